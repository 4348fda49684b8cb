/* isnote – annex A: filter and sort the list of retained operations. Vanilla JS, no network. */
(function () {
  "use strict";

  function norm(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[\s\u00a0\u202f]+/g, " ").trim();
  }

  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) { return numeric ? -Infinity : ""; }
    if (numeric) {
      var raw = cell.getAttribute("data-sort");
      var v = raw === null || raw === "" ? NaN : parseFloat(raw);
      return isNaN(v) ? -Infinity : v;
    }
    return norm(cell.textContent);
  }

  function sortTable(table, index, th) {
    var numeric = th.getAttribute("data-type") === "num";
    var current = th.getAttribute("aria-sort");
    var direction = current === "ascending" ? "descending" : "ascending";
    var headers = table.tHead.rows[0].cells;
    for (var i = 0; i < headers.length; i++) { headers[i].setAttribute("aria-sort", "none"); }
    th.setAttribute("aria-sort", direction);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var keyed = rows.map(function (row, position) {
      return { row: row, key: cellValue(row, index, numeric), position: position };
    });
    var sign = direction === "ascending" ? 1 : -1;
    keyed.sort(function (a, b) {
      var c;
      if (numeric) { c = a.key - b.key; }
      else { c = a.key.localeCompare(b.key, "fr", { numeric: true }); }
      return c !== 0 ? sign * c : a.position - b.position;
    });
    var fragment = document.createDocumentFragment();
    keyed.forEach(function (item) { fragment.appendChild(item.row); });
    body.appendChild(fragment);
  }

  function filterTable(table, query, counter) {
    var q = norm(query);
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var match = q === "" || norm(row.textContent).indexOf(q) !== -1;
      row.classList.toggle("isn-hidden", !match);
      if (match) { shown += 1; }
    });
    if (counter) {
      counter.textContent = shown.toLocaleString("fr-FR") + (shown > 1 ? " opérations affichées" : " opération affichée");
    }
  }

  function setup() {
    var tables = document.querySelectorAll("table.isn-sortable");
    Array.prototype.forEach.call(tables, function (table) {
      if (!table.tHead || !table.tBodies.length) { return; }
      var headers = table.tHead.rows[0].cells;
      Array.prototype.forEach.call(headers, function (th, index) {
        var button = th.querySelector("button") || th;
        button.addEventListener("click", function () { sortTable(table, index, th); });
      });
    });
    var inputs = document.querySelectorAll("input.isn-filter");
    Array.prototype.forEach.call(inputs, function (input) {
      var table = document.getElementById(input.getAttribute("data-table"));
      if (!table) { return; }
      var bar = input.closest(".isn-filter-bar");
      var counter = bar ? bar.querySelector(".isn-count") : null;
      input.addEventListener("input", function () { filterTable(table, input.value, counter); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
