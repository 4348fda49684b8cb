"""Live preview of the note: `make preview` (python -m isnote.preview --params params/demo.yaml).

Builds the HTML note (no PDF) into the run's outputs with the pipeline (same step keys: only what
a change touches reruns), serves it on 127.0.0.1 (a free port, printed with the URL), watches the
review register, content/, params/, the data files named in the parameters and the notebooks
(`watchfiles`), rebuilds on each change and reloads the open page by itself.

- The kernels of the steps stay started between changes (a `pipeline.KernelPool` kept by the
  preview; restarted only when the library code changes or a kernel died).
- Only the served page carries the reload script (injected on the fly); `note.html` never does.
- While a change is rebuilt the page says so (and which step); a failed change shows the French
  error over the last good note, which stays visible; the next good save recovers.
- Ctrl-C (SIGINT, SIGTERM) stops the server, the watcher and the kernels; a lock file next to the
  outputs (fcntl) makes a second preview of the same outputs say that one is already running.

HTTP endpoints: `/` (the note + reload script), `/__apercu/etat?depuis=N` (JSON state, long poll:
answers as soon as the state version differs from N, or after 20 s), `/__apercu/note` (the note
alone, its version in the `X-Apercu-Version` header).

A new note is shown without reloading the page when it can be: the script fetches the note, and
replaces only the parts of the page that changed (title page, table of contents, the cells of the
body, footer), so that the unchanged parts (figures, Annex A) are neither parsed, decoded nor
laid out again and the reader keeps the scroll position. It reloads the page when the frame
changed (styles, title) or when Annex A's sorting/filtering script would have to be bound again
on part of its tables only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from . import entrypoint, pipeline, run_plan
from .config import NOTEBOOKS_DIR, PARAMS_DIR, PROJECT_ROOT, load_params, resolve, work_root
from .errors import IsnoteError

HOST = "127.0.0.1"
STATE_PATH = "/__apercu/etat"
NOTE_PATH = "/__apercu/note"            # written as is in RELOAD_SCRIPT
LONG_POLL_S = 20.0
SIDE_DELAY_S = 1.0      # the reviewer HTML and workbook start this long after a build: the page updates first

# what the page says while a stage runs (reader-facing, French)
STEP_LABELS = {"ingest": "lecture des données", "screening": "repérage des opérations",
               "typology": "typologie", "fse": "résultats du PON FSE", "iej": "résultats du PON IEJ",
               "note": "mise en page de la note"}

RELOAD_SCRIPT = """
<div id="isn-apercu" role="status" aria-live="polite" hidden
 style="position:fixed;top:0;left:0;right:0;z-index:9999;margin:0;padding:.5em 1em;font:14px/1.4 sans-serif;
 background:#1e3a8a;color:#fff;box-shadow:0 2px 6px rgba(0,0,0,.3);max-height:50vh;overflow:auto">
<strong id="isn-apercu-titre"></strong><pre id="isn-apercu-detail"
 style="white-space:pre-wrap;margin:.3em 0 0;font:13px/1.4 monospace"></pre></div>
<div id="isn-apercu-remarques" role="note" hidden
 style="position:fixed;bottom:0;right:0;z-index:9998;max-width:min(44em,100vw);max-height:40vh;overflow:auto;
 margin:0;padding:.4em .9em;font:13px/1.4 sans-serif;background:#fef3c7;color:#78350f;border:1px solid #d97706;
 border-radius:6px 0 0 0;box-shadow:0 -1px 5px rgba(0,0,0,.2)"><details><summary id="isn-apercu-remarques-titre"
 style="cursor:pointer;font-weight:bold"></summary><ul id="isn-apercu-remarques-liste" style="margin:.4em 0;padding-left:1.2em"></ul>
<p style="margin:0">Un paragraphe « à relire » cite un chiffre qui a changé depuis son approbation. Une fois
le texte relu, <code>make approve-text</code> enregistre les nouvelles valeurs. Ces remarques ne figurent pas
dans la note.</p></details></div>
<script id="isn-apercu-script">
(function () {
  var loaded = %(version)d, seen = -1, box = document.getElementById("isn-apercu");
  var title = document.getElementById("isn-apercu-titre"), detail = document.getElementById("isn-apercu-detail");
  var notes = document.getElementById("isn-apercu-remarques"), notesShown = null;
  function showNotices(list) {
    /* the writer's remarks on the last good note (paragraphs to re-read, technical terms, wide
       tables): redrawn only when they change, so that an opened list stays open */
    var key = JSON.stringify(list);
    if (key === notesShown) { return; }
    notesShown = key;
    notes.hidden = !list.length;
    document.getElementById("isn-apercu-remarques-titre").textContent = "À revoir avant publication : "
      + list.length + (list.length > 1 ? " remarques" : " remarque");
    var ul = document.getElementById("isn-apercu-remarques-liste");
    while (ul.firstChild) { ul.removeChild(ul.firstChild); }
    list.forEach(function (text) { var li = document.createElement("li"); li.textContent = text; ul.appendChild(li); });
  }
  try {
    var y = sessionStorage.getItem("isn-apercu-y");
    if (y !== null) { sessionStorage.removeItem("isn-apercu-y"); window.scrollTo(0, +y); }
  } catch (e) {}
  function show(st) {
    showNotices(st.notices || []);
    document.documentElement.setAttribute("data-apercu", st.state);
    document.documentElement.setAttribute("data-apercu-version", String(st.note_version));
    if (st.state === "building") {
      box.hidden = false; box.style.background = "#1e3a8a";
      title.textContent = "Mise à jour de la note en cours : " + st.step + "…"; detail.textContent = "";
    } else if (st.state === "error") {
      box.hidden = false; box.style.background = "#991b1b";
      title.textContent = "La dernière modification n'a pas pu être prise en compte ; la note affichée est la dernière version valide.";
      detail.textContent = st.error;
    } else { box.hidden = true; }
  }
  function reloadPage() {
    try { sessionStorage.setItem("isn-apercu-y", String(window.scrollY)); } catch (e) {}
    location.reload();
  }
  function sameFrame(doc) {
    if (doc.title !== document.title || doc.body.className !== document.body.className) { return false; }
    var a = document.querySelectorAll("head style"), b = doc.querySelectorAll("head style");
    if (a.length !== b.length) { return false; }
    for (var i = 0; i < a.length; i++) { if (a[i].textContent !== b[i].textContent) { return false; } }
    return true;
  }
  function patch(doc) {
    /* replace the parts that differ; false when the page must be reloaded instead */
    var main = document.querySelector("body > main"), next = doc.querySelector("body > main");
    if (!main || !next || !sameFrame(doc)) { return false; }
    var pairs = [];
    ["header", "nav", "footer"].forEach(function (name) {
      pairs.push([document.querySelector("body > " + name), doc.querySelector("body > " + name)]);
    });
    var olds = main.children, news = next.children;
    if (olds.length === news.length) {
      for (var i = 0; i < olds.length; i++) { pairs.push([olds[i], news[i]]); }
    } else {
      pairs.push([main, next]);
    }
    var changed = [], i2;
    for (i2 = 0; i2 < pairs.length; i2++) {
      var a = pairs[i2][0], b = pairs[i2][1];
      if (!a !== !b) { return false; }
      if (a && !a.isEqualNode(b)) { changed.push(pairs[i2]); }
    }
    /* the note's own script binds the sortable tables and filters of Annex A once: bound again
       only when all of them are new */
    var bound = document.querySelectorAll("table.isn-sortable, input.isn-filter"), fresh = 0;
    for (i2 = 0; i2 < bound.length; i2++) {
      for (var k = 0; k < changed.length; k++) { if (changed[k][0].contains(bound[i2])) { fresh++; break; } }
    }
    if (fresh && fresh !== bound.length) { return false; }
    for (i2 = 0; i2 < changed.length; i2++) {
      changed[i2][0].replaceWith(document.importNode(changed[i2][1], true));
    }
    if (fresh) {
      var own = document.querySelectorAll("body > script:not(#isn-apercu-script)");
      if (own.length) {
        var s = document.createElement("script");
        s.textContent = own[own.length - 1].textContent;
        own[own.length - 1].after(s);
      }
    }
    return true;
  }
  function swap(st) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "/__apercu/note");
    xhr.timeout = 30000;
    xhr.onload = function () {
      var v = parseInt(xhr.getResponseHeader("X-Apercu-Version"), 10), doc = null;
      try { doc = new DOMParser().parseFromString(xhr.responseText, "text/html"); } catch (e) {}
      if (xhr.status !== 200 || isNaN(v) || !doc || !patch(doc)) { reloadPage(); return; }
      loaded = v;
      st.note_version = v;
      show(st);
      setTimeout(poll, 0);
    };
    xhr.onerror = xhr.ontimeout = reloadPage;
    xhr.send();
  }
  function poll() {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", "%(path)s?depuis=" + seen);
    xhr.timeout = 30000;
    xhr.onload = function () {
      var st = null;
      try { st = JSON.parse(xhr.responseText); } catch (e) {}
      if (st) {
        seen = st.version;
        if (st.note_version !== loaded && st.state !== "building") {
          swap(st); return;
        }
        show(st);
      }
      setTimeout(poll, st ? 0 : 1000);
    };
    xhr.onerror = xhr.ontimeout = function () { setTimeout(poll, 1000); };
    xhr.send();
  }
  poll();
})();
</script>
"""

EMPTY_PAGE = ("<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Aperçu de la note</title>"
              "</head><body><main><h1>Aperçu de la note</h1><p>La note n'a pas encore pu être produite.</p>"
              "</main></body></html>")


_CSP_META = re.compile(r"<meta[^>]*http-equiv=[\"']?Content-Security-Policy[^>]*>", re.I)


def inject_reload(html: str, version: int) -> str:
    """The served page: the note with the status banner and the reload script before </body>.
    The note's Content-Security-Policy (no script but its own, no request) would block the
    preview's script and its polling of this server: the served copy goes without it; the
    published note.html keeps it."""
    html = _CSP_META.sub("", html, count=1)
    script = RELOAD_SCRIPT % {"version": version, "path": STATE_PATH}
    i = html.lower().rfind("</body>")
    return html + script if i < 0 else html[:i] + script + html[i:]


# ---------------------------------------------------------------- state shared with the page


class PreviewState:
    """What the page shows: the last good note, the build state (idle/building/error)."""

    def __init__(self):
        self._cond = threading.Condition()
        self.version = 0          # bumped on every change of state
        self.note_version = 0     # bumped when a new good note is available
        self.state = "building"
        self.step = STEP_LABELS["note"]
        self.error = ""
        self.notices: list[str] = []   # the assembly's remarks for the writer on the last good note
        self.html = EMPTY_PAGE
        self.closed = False

    def snapshot(self) -> dict:
        return {"version": self.version, "note_version": self.note_version, "state": self.state,
                "step": self.step, "error": self.error, "notices": list(self.notices)}

    def _bump(self, **changes) -> None:
        with self._cond:
            for k, v in changes.items():
                setattr(self, k, v)
            self.version += 1
            self._cond.notify_all()

    def building(self, step: str) -> None:
        self._bump(state="building", step=step)

    def done(self, html: str | None, notices: list[str] | None = None) -> None:
        """A build succeeded: `html` is the new note (None: unchanged); `notices` the assembly's
        remarks for the writer (None: those of the note shown stand)."""
        with self._cond:
            if html is not None:
                self.html = html
                self.note_version += 1
            if notices is not None:
                self.notices = list(notices)
        self._bump(state="idle", step="", error="")

    def failed(self, message: str) -> None:
        self._bump(state="error", step="", error=message)

    def wait(self, since: int, timeout: float) -> dict:
        with self._cond:
            self._cond.wait_for(lambda: self.version != since or self.closed, timeout=timeout)
            return self.snapshot()

    def note(self) -> tuple[bytes, int]:
        """The last good note as published (no script of the preview) and its version."""
        with self._cond:
            return self.html.encode("utf-8"), self.note_version

    def page(self) -> bytes:
        with self._cond:
            return inject_reload(self.html, self.note_version).encode("utf-8")

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


def make_server(state: PreviewState, port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        server_version = "isnote-apercu"

        def log_message(self, *args):  # quiet
            pass

        def _send(self, code: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
            self.send_response(code)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802
            url = urlparse(self.path)
            try:
                if url.path in ("/", "/note.html", "/index.html"):
                    self._send(200, state.page(), "text/html; charset=utf-8")
                elif url.path == NOTE_PATH:
                    body, version = state.note()
                    self._send(200, body, "text/html; charset=utf-8", {"X-Apercu-Version": str(version)})
                elif url.path == STATE_PATH:
                    try:
                        since = int(parse_qs(url.query).get("depuis", ["-1"])[0])
                    except ValueError:
                        since = -1
                    snap = state.wait(since, LONG_POLL_S)
                    self._send(200, json.dumps(snap, ensure_ascii=False).encode("utf-8"),
                               "application/json; charset=utf-8")
                else:
                    self._send(404, "Introuvable".encode("utf-8"), "text/plain; charset=utf-8")
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer((HOST, port), Handler)
    server.daemon_threads = True
    return server


# ---------------------------------------------------------------- what to watch


def watched_paths(params) -> tuple[list[Path], set[Path], list[Path]]:
    """(folders to watch, files that matter in them, folders whose whole content matters)."""
    from .editorial import closing_base, content_base, lock_path
    trees = [content_base(params), closing_base(params), PARAMS_DIR, NOTEBOOKS_DIR, params.source.parent]
    files: set[Path] = {params.source.resolve(), params.path("review_register").resolve(),
                        lock_path(params).resolve()}
    for step in pipeline.STEPS:
        for keys in step.params_keys:
            keys = tuple(k.split("@")[0] for k in keys)
            files.update(p.resolve() for p in run_plan.param_files(params, keys))
    trees = [t.resolve() for t in trees]
    roots = {t for t in trees if t.is_dir()} | {f.parent for f in files if f.parent.is_dir()}
    # keep the outermost folders only (watchfiles watches recursively)
    outer = sorted(r for r in roots if not any(o != r and o in r.parents for o in roots))
    return outer, files, [t for t in trees if t.is_dir()]


def make_filter(params, files: set[Path], trees: list[Path]):
    out = params.layout.root.resolve()
    staging = out.parent / f".{out.name}.staging"

    def keep(change, path: str) -> bool:
        p = Path(path)
        name = p.name
        if name.startswith((".", "~")) or name.endswith(("~", ".swp", ".tmp")) or ".bak-" in name \
                or "__pycache__" in p.parts or ".ipynb_checkpoints" in p.parts:
            return False
        if p == out or out in p.parents or staging in p.parents:
            return False
        if p in files:
            return True
        return any(t in p.parents for t in trees) and p.suffix in (".md", ".yaml", ".yml", ".ipynb", ".j2", ".csv")

    return keep


# ---------------------------------------------------------------- the preview


class Preview:
    def __init__(self, params_path: str | None, port: int = 0, out=sys.stdout):
        self.params_path = params_path
        self.params = load_params(params_path)
        self.final = self.params.layout.root
        self.out = out
        self.state = PreviewState()
        self.stop = threading.Event()
        self._wake = threading.Event()
        self._changes: set[str] = set()
        self._lock = threading.Lock()
        self.pool: pipeline.KernelPool | None = None
        self._pool_code = ""
        self._side: subprocess.Popen | None = None
        self._side_pending: set[str] = set()   # notebooks whose reviewer HTML is still to write
        self._side_due: float | None = None     # when to start them (time.monotonic)
        self.server = make_server(self.state, port)
        self.port = self.server.server_address[1]
        self.url = f"http://{HOST}:{self.port}/"
        self._threads: list[threading.Thread] = []
        self.builds = 0

    # -- kernels
    def _kernel_env(self) -> dict:
        stage = pipeline.stage_path(self.final)
        env = dict(os.environ)
        register = self.params.path("review_register")
        if register.is_file():   # each build copies the register there first (pipeline._snapshot_register)
            env[pipeline.SNAPSHOT_ENV[0]] = str(stage.parent / f"{stage.name}.register.csv")
            env[pipeline.SNAPSHOT_ENV[1]] = str(register)
        return env

    def _code(self) -> str:
        from . import statmemo
        with statmemo.session():
            return pipeline.code_hash(tuple(sorted({m for s in pipeline.STEPS for m in run_plan.step_modules(s)})))

    def _ensure_pool(self) -> None:
        """Kernels of every step, started once and kept; restarted if the library code changed
        (a kernel keeps the modules it imported) or if one of them died."""
        code = self._code()
        if self.pool is not None:
            dead = any(not km.is_alive() for km in list(self.pool._kms.values()))
            if code == self._pool_code and not dead:
                return
            self._close_pool()
        # the kernels of the first stage this build runs start first (the results' kernels when
        # nothing needs to run: those are the ones a register change needs)
        _, _, todo, _ = pipeline.plan(self.params, self.params.layout, pdf=False)
        first = pipeline.first_stage(todo) or set(pipeline.PARALLEL)
        order = sorted(pipeline.STEPS, key=lambda s: s.name not in first)
        self.pool = pipeline.KernelPool(order, first=first, env=self._kernel_env())
        self._pool_code = code

    def _close_pool(self) -> None:
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.close()

    # -- building
    def _progress(self, label: str) -> None:
        names = [n.strip() for n in label.split(",")]
        self.state.building(", ".join(STEP_LABELS.get(n, n) for n in names))
        self._log(f"  … {label}")

    def _log(self, msg: str) -> None:
        print(msg, file=self.out, flush=True)

    def _stop_side(self) -> None:
        """The reviewer HTML and the workbook are written into the outputs, which the next run
        copies and replaces: a change arriving meanwhile stops them (they are redone after it;
        their files are written atomically, so an interrupted one leaves no half-written file)."""
        side, self._side = self._side, None
        if side is not None:
            if side.poll() is None:
                side.kill()
            side.wait()
            if side.returncode == 0:
                self._side_pending.clear()

    def _start_side(self) -> None:
        self._side_due = None
        if not self._side_pending or self._side is not None:
            return
        order = [s.notebook for s in pipeline.STEPS if s.notebook in self._side_pending]
        self._side = pipeline.start_side_tasks(self.params, self.final, order, workbook=True,
                                               stderr=subprocess.DEVNULL, nice=10,
                                               cache_dir=pipeline.cache_dir(pipeline.stage_path(self.final).parent, "side"))

    def build(self) -> bool:
        """One rebuild: run the pipeline (HTML only) with the warm kernels; publish or report."""
        from .note import postcache
        t = time.perf_counter()
        reused = (postcache.CACHE.hits, postcache.CACHE.misses)
        self.state.building("préparation")
        self._stop_side()
        try:
            self.params = load_params(self.params_path)
            self._ensure_pool()
            summary = pipeline.run(self.params_path, pdf=False, pool=self.pool,
                                   progress=self._progress, side=False)
        except IsnoteError as exc:
            msg = f"ERREUR : {exc}"
            self.state.failed(msg)
            self._log(msg)
            return False
        except Exception as exc:  # the preview survives anything a save can cause
            if self.stop.is_set():
                return False
            msg = f"ERREUR : {type(exc).__name__} : {exc}"
            self.state.failed(msg)
            self._log(msg)
            self._log(traceback.format_exc(limit=3))
            return False
        ran = [s.notebook for s in pipeline.STEPS if summary.get(s.name) == "ran"]
        html = None
        layout = self.params.layout          # loaded at the start of this build
        if summary.get("assemble") == "ran" or self.state.note_version == 0:
            html = layout.note_html.read_text(encoding="utf-8")
        self.state.done(html, summary.get("notices") if summary.get("assemble") == "ran" else None)
        self.builds += 1
        done = [k for k, v in summary.items() if v == "ran"]
        hits, misses = postcache.CACHE.hits - reused[0], postcache.CACHE.misses - reused[1]
        self._log(f"Note à jour en {time.perf_counter() - t:.1f} s"
                  + (f" (étapes : {', '.join(done)})" if done else " (rien à refaire)")
                  + (f" ; parties de la note reprises : {hits}/{hits + misses}" if hits + misses else ""))
        self._side_pending.update(ran)
        # reviewer HTML and workbook of the notebooks that ran: after the page has been updated
        self._side_due = time.monotonic() + SIDE_DELAY_S if self._side_pending else None
        return True

    def _builder(self) -> None:
        while not self.stop.is_set():
            self._wake.wait(0.25)
            if self.stop.is_set():
                break
            if not self._wake.is_set():
                if self._side_due is not None and time.monotonic() >= self._side_due:
                    self._start_side()
                continue
            self._wake.clear()
            with self._lock:
                changes, self._changes = sorted(self._changes), set()
            if changes:
                shown = ", ".join(_rel(c) for c in changes[:3]) + (" …" if len(changes) > 3 else "")
                self._log(f"Modifié : {shown}")
            self.build()

    def _watcher(self) -> None:
        import watchfiles

        roots, files, trees = watched_paths(self.params)
        keep = make_filter(self.params, files, trees)
        for changes in watchfiles.watch(*roots, watch_filter=keep, stop_event=self.stop,
                                        debounce=400, step=30, yield_on_timeout=False,
                                        raise_interrupt=False, rust_timeout=500):
            with self._lock:
                self._changes.update(p for _, p in changes)
            self._wake.set()

    def start(self) -> None:
        """Serve at once (the page says the note is being built), then build and watch."""
        from .note import postcache
        postcache.enable()    # the note's post-processing by part, unchanged parts reused
        self._threads = [threading.Thread(target=self.server.serve_forever, name="apercu-http", daemon=True),
                         threading.Thread(target=self._watcher, name="apercu-watch", daemon=True)]
        for th in self._threads:
            th.start()
        self._wake.set()      # the first build
        builder = threading.Thread(target=self._builder, name="apercu-build", daemon=True)
        builder.start()
        self._threads.append(builder)

    def close(self) -> None:
        """Stop everything this preview started: watcher, builder, kernels, server."""
        self.stop.set()
        self._wake.set()
        self.state.close()
        self._close_pool()     # a notebook still running fails at once (its kernel is gone)
        for th in self._threads:
            if th.name != "apercu-http":
                th.join(timeout=15)
        self.server.shutdown()
        self.server.server_close()
        if self._side is None and self._side_due is not None:
            self._start_side()            # the reviewer HTML of the last build, not started yet
        if self._side is not None:        # let the reviewer HTML and workbook finish (a few seconds)
            try:
                self._side.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._side.kill()
                self._side.wait()


def _rel(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(work_root().resolve()))
    except ValueError:
        return path


# ---------------------------------------------------------------- one preview per output folder


def lock_path(params) -> Path:
    out = params.layout.root
    return out.parent / f".{out.name}.apercu.lock"


class AlreadyRunning(Exception):
    pass


def acquire_lock(path: Path):
    """Hold an exclusive lock on `path` for the life of this process (fcntl)."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    fh = open(path, "a+", encoding="utf-8")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        info = fh.read().strip()
        fh.close()
        raise AlreadyRunning(info) from None
    return fh


def _write_lock_info(fh, text: str) -> None:
    fh.seek(0)
    fh.truncate()
    fh.write(text + "\n")
    fh.flush()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="isnote.preview", description=__doc__.split("\n")[0])
    entrypoint.add_params(ap)
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    args = ap.parse_args(argv)
    params, code = entrypoint.guarded(load_params, args.params)
    if code is not None:
        return code
    lpath = lock_path(params)
    try:
        lock = acquire_lock(lpath)
    except AlreadyRunning as exc:
        where = f" ({exc})" if str(exc) else ""
        print(f"Un aperçu de ces sorties est déjà en cours{where}. Ouvrez-le dans le navigateur, "
              "ou arrêtez-le (Ctrl-C dans son terminal) avant d'en lancer un autre.", file=sys.stderr)
        return 1

    preview = Preview(args.params, args.port)
    _write_lock_info(lock, f"{preview.url} — processus {os.getpid()}")

    def _terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)   # even when started in the background
    print(f"Aperçu de la note : {preview.url}  (Ctrl-C pour arrêter)", flush=True)
    try:
        preview.start()
        while not preview.stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        print("\nArrêt de l'aperçu…", flush=True)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        preview.close()
        _write_lock_info(lock, "")
        lock.close()          # the (empty) file stays: removing it could let two previews lock two files
    print("Aperçu arrêté.", flush=True)
    return 0


if __name__ == "__main__":
    entrypoint.exit_now(main())
