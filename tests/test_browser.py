"""Browser check of the note: headless Chromium (Debian package, `make browser-deps`), no network.

Opens the note, takes a screenshot, and checks that no request leaves the file (any http(s)
request fails the test), nothing fails to load, the console stays clean, no dialog fires (planted
<script>/<img onerror> texts stay inert), every table-of-contents link has its target, and the
list of annex A sorts and filters.
"""

import datetime as dt
import os
import re
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from isnote import note

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "note_fixtures"))
import builders  # noqa: E402

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("ISNOTE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium_or_skip():
    if not (Path(CHROMIUM).is_file() or shutil.which("chromium")):
        pytest.skip("Chromium absent (paquet Debian « chromium » : make browser-deps) ; contrôle navigateur ignoré")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright absent de l'environnement ; contrôle navigateur ignoré")


@contextmanager
def browser():
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    path = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=ARGS)
        try:
            yield b
        finally:
            b.close()


class Watched:
    """A page with everything it requested, failed to load, logged or tried to pop up."""

    def __init__(self, b, viewport=(1280, 1600)):
        self.page = b.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        self.page.set_default_timeout(30_000)
        self.requests, self.failed, self.errors, self.dialogs = [], [], [], []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        # nothing may leave the machine: any http(s) request is recorded, then aborted
        self.page.route(re.compile(r"^https?://"), lambda route: route.abort())

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, path: Path):
        self.page.goto(path.resolve().as_uri(), wait_until="load")
        self.page.wait_for_timeout(200)

    def assert_clean(self):
        outside = [u for u in self.requests if not u.startswith(("file:", "data:", "about:"))]
        assert outside == [], f"requêtes hors du fichier : {outside}"
        assert self.failed == [], f"ressources en échec : {self.failed}"
        assert self.errors == [], f"erreurs dans la console : {self.errors}"
        assert self.dialogs == [], f"une boîte de dialogue s'est ouverte : {self.dialogs}"


def check_note(b, html: Path, screenshot: Path, *, full_page: bool) -> dict:
    w = Watched(b)
    w.open(html)
    page = w.page
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=full_page)
    assert screenshot.stat().st_size > 10_000

    # table of contents
    toc = page.eval_on_selector_all("nav.isn-toc a[href^='#']", "els => els.map(a => a.getAttribute('href'))")
    assert len(toc) >= 10
    missing = page.evaluate("hrefs => hrefs.filter(h => !document.getElementById(h.slice(1)))", toc)
    assert missing == [], f"liens du sommaire sans cible : {missing}"
    page.click(f"nav.isn-toc a[href='{toc[3]}']")
    assert page.evaluate("location.hash") == toc[3]

    # annex A: sort by a numeric column, then by a text column, then filter
    rows = "#annexe-liste tbody tr"
    n_rows = page.locator(rows).count()
    assert n_rows >= 1
    headers = page.eval_on_selector_all("#annexe-liste thead th", "els => els.map(e => e.textContent.trim())")
    i_ct = headers.index("Coût total (€)")
    values = f"Array.from(document.querySelectorAll('{rows}')).map(r => r.cells[{i_ct}].getAttribute('data-sort'))"
    page.click(f"#annexe-liste thead th:nth-child({i_ct + 1}) button")
    asc = [float(v) for v in page.evaluate(values) if v]
    assert asc == sorted(asc)
    assert page.get_attribute(f"#annexe-liste thead th:nth-child({i_ct + 1})", "aria-sort") == "ascending"
    page.click(f"#annexe-liste thead th:nth-child({i_ct + 1}) button")
    desc = [float(v) for v in page.evaluate(values) if v]
    assert desc == sorted(desc, reverse=True) and len(desc) == len(asc)
    i_id = headers.index("N°")
    ids = f"Array.from(document.querySelectorAll('{rows}')).map(r => r.cells[{i_id}].textContent)"
    page.click(f"#annexe-liste thead th:nth-child({i_id + 1}) button")
    sorted_ids = page.evaluate(ids)
    assert sorted_ids == sorted(sorted_ids)
    target = sorted_ids[-1]
    page.fill("#annexe-filtre", target)
    visible = page.locator(f"{rows}:not(.isn-hidden)")
    assert visible.count() == 1 and target in visible.first.text_content()
    assert "1 opération affichée" in page.text_content(".isn-count")
    page.fill("#annexe-filtre", "")
    assert page.locator(f"{rows}:not(.isn-hidden)").count() == n_rows
    page.fill("#annexe-filtre", "aucune opération ne contient ce texte zzz")
    assert page.locator(f"{rows}:not(.isn-hidden)").count() == 0

    w.assert_clean()
    return {"rows": n_rows, "toc": len(toc), "text": page.text_content("body")}


def test_fixture_note_in_browser(tmp_path):
    _chromium_or_skip()
    params, layout = builders.make_run(tmp_path)
    result = note.build(params, layout, pdf=False, companions=True, run_date=dt.datetime(2025, 1, 2, 10, 30))
    with browser() as b:
        report = check_note(b, layout.note_html, layout.root / "screenshots" / "note.png", full_page=True)
        assert report["rows"] == 4
        assert builders.XSS_SCRIPT in report["text"] and builders.XSS_IMG in report["text"]
        for page in result["companions"]:                  # reviewer view: offline too
            w = Watched(b)
            w.open(page)
            assert "params_path" in w.page.text_content("body")
            w.assert_clean()


def test_watcher_catches_leaks_and_dialogs(tmp_path):
    """The checks above can fail: an external image and an executed script are caught."""
    page = tmp_path / "leaky.html"
    page.write_text('<!DOCTYPE html><html><body><img src="https://cdn.example.invalid/x.png">'
                    "<script>alert(1)</script></body></html>", encoding="utf-8")
    with browser() as b:
        w = Watched(b)
        w.open(page)
        assert any(u.startswith("https://cdn.example.invalid") for u in w.requests)
        assert w.dialogs == ["1"]
        with pytest.raises(AssertionError, match="hors du fichier"):
            w.assert_clean()


@pytest.fixture
def report_out(built_report) -> Path:
    """The output folder of the demo report (session fixture of tests/conftest.py)."""
    return built_report.root


def test_report_note_in_browser(report_out, tmp_path):
    with browser() as b:   # the screenshot goes to the test's folder, not into the user's outputs
        report = check_note(b, report_out / "note.html", tmp_path / "note.png", full_page=False)
        assert report["rows"] >= 1
