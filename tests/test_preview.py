"""Live preview (`make preview`, isnote.preview).

Library checks (fast): the reload script goes into the served page only, the state the page polls,
the lock that keeps a second preview out, the server's interface, what the watcher ignores.

Browser check (slow): the preview of a COPY of the demo register, content and parameters (the
repository is never modified) is opened in the system Chromium; one decision is flipped and one
paragraph edited, and the page follows (new count, new sentence) by itself; a bad register value
shows the French error over the last good note, and the next good save recovers. Timings belong
to `make bench`, not here: the waits are generous.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from isnote import preview
from isnote.config import DEFAULT_PARAMS, PROJECT_ROOT, load_params

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_browser import ARGS, CHROMIUM, _chromium_or_skip  # noqa: E402

NOTE = ('<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>N</title></head>'
        '<body><main><h1 class="isn-title">Note</h1><p>Texte.</p></main></body></html>')


# ---------------------------------------------------------------- library


def test_reload_script_only_in_the_served_page():
    served = preview.inject_reload(NOTE, 3)
    assert 'id="isn-apercu-script"' in served and 'id="isn-apercu-script"' not in NOTE
    assert served.index("isn-apercu-script") < served.rindex("</body>")
    assert served.replace(preview.RELOAD_SCRIPT % {"version": 3, "path": preview.STATE_PATH}, "") == NOTE
    assert "var loaded = 3" in served
    assert preview.inject_reload("<p>sans corps</p>", 1).startswith("<p>sans corps</p>")


def test_state_transitions_and_long_poll():
    st = preview.PreviewState()
    assert st.snapshot()["state"] == "building" and st.note_version == 0
    st.done(NOTE)
    snap = st.snapshot()
    assert snap["state"] == "idle" and snap["note_version"] == 1
    v = snap["version"]
    st.building("typologie")
    assert st.wait(v, 0.01)["step"] == "typologie"
    st.failed("ERREUR : registre illisible")
    snap = st.snapshot()
    assert snap["state"] == "error" and snap["note_version"] == 1 and "registre" in snap["error"]
    assert b"<h1 class=\"isn-title\">Note</h1>" in st.page()          # last good note kept
    st.done(None)                                                     # nothing rebuilt: same note
    assert st.snapshot()["state"] == "idle" and st.note_version == 1 and st.error == ""
    # the writer's remarks on the note shown: replaced by a new assembly's, kept otherwise
    assert st.snapshot()["notices"] == []
    st.done(NOTE, ["paragraphe à relire (x.md, « Texte. ») : iej.retenues.nb : 5 → 4"])
    assert st.snapshot()["notices"] == ["paragraphe à relire (x.md, « Texte. ») : iej.retenues.nb : 5 → 4"]
    st.failed("ERREUR : registre illisible")
    st.done(None)
    assert len(st.snapshot()["notices"]) == 1
    st.done(NOTE, [])
    assert st.snapshot()["notices"] == []
    # a long poll answers as soon as the state changes
    v = st.snapshot()["version"]
    threading.Timer(0.2, lambda: st.building("note")).start()
    t = time.monotonic()
    assert st.wait(v, 10)["state"] == "building"
    assert time.monotonic() - t < 9


def test_server_is_local_and_serves_page_and_state():
    st = preview.PreviewState()
    st.done(NOTE)
    server = preview.make_server(st)
    th = threading.Thread(target=server.serve_forever, daemon=True)
    th.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1" and port > 0
        base = f"http://127.0.0.1:{port}"
        page = urllib.request.urlopen(base + "/").read().decode("utf-8")
        assert "isn-apercu-script" in page and "Texte." in page
        state = json.loads(urllib.request.urlopen(base + preview.STATE_PATH + "?depuis=-1").read())
        assert state["state"] == "idle" and state["note_version"] == 1
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(base + "/../../etc/passwd")
    finally:
        st.close()
        server.shutdown()
        server.server_close()


def test_second_lock_is_refused(tmp_path):
    path = tmp_path / ".outputs.apercu.lock"
    first = preview.acquire_lock(path)
    preview._write_lock_info(first, "http://127.0.0.1:1234/ — processus 1")
    # flock locks belong to the open file description: a second open in this process conflicts too
    with pytest.raises(preview.AlreadyRunning, match="127.0.0.1:1234"):
        preview.acquire_lock(path)
    first.close()
    preview.acquire_lock(path).close()


def test_watch_filter_ignores_outputs_backups_and_temporaries(tmp_path):
    data = yaml.safe_load(DEFAULT_PARAMS.read_text(encoding="utf-8"))
    data["output_dir"] = str(tmp_path / "out")
    data["review_register"] = str(tmp_path / "registre.csv")
    (tmp_path / "registre.csv").write_text("op_id\n", encoding="utf-8")
    src = tmp_path / "p.yaml"
    src.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    params = load_params(src)
    roots, files, trees = preview.watched_paths(params)
    keep = preview.make_filter(params, files, trees)
    assert tmp_path in roots and (PROJECT_ROOT / "notebooks") in roots
    assert keep(None, str(tmp_path / "registre.csv"))
    assert keep(None, str(PROJECT_ROOT / "content" / "01_objectifs.md"))
    assert keep(None, str(PROJECT_ROOT / "notebooks" / "03_typology.ipynb"))
    assert keep(None, str((PROJECT_ROOT / data["inputs"]["operations"]["fse"]).resolve()))
    assert not keep(None, str(tmp_path / "registre.bak-20250101T101010.csv"))
    assert not keep(None, str(tmp_path / "out" / "clean" / "x.csv"))
    assert not keep(None, str(tmp_path / ".out.staging" / "stage-1" / "a.csv"))
    assert not keep(None, str(PROJECT_ROOT / "content" / ".01_objectifs.md.swp"))
    assert not keep(None, str(PROJECT_ROOT / "notebooks" / ".ipynb_checkpoints" / "x.ipynb"))


# ---------------------------------------------------------------- the real thing, in Chromium


def _scratch_project(tmp: Path) -> Path:
    """Parameters pointing at copies of the register and of content/, outputs in `tmp`."""
    data = yaml.safe_load(DEFAULT_PARAMS.read_text(encoding="utf-8"))
    register = tmp / "data" / "registre_revue.csv"
    register.parent.mkdir(parents=True)
    shutil.copy2(PROJECT_ROOT / data["review_register"], register)
    shutil.copytree(PROJECT_ROOT / "content", tmp / "content")
    data.update(review_register=str(register), content_dir=str(tmp / "content"),
                output_dir=str(tmp / "outputs"), run_name="apercu")
    out = tmp / "params" / "apercu.yaml"
    out.parent.mkdir()
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def _set_decision(register: Path, old: str, new: str, *, wave: str) -> str:
    """Change the decision of the last row of `wave` whose decision is `old`; returns its op_id."""
    lines = register.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(";")
    i_dec, i_wave, i_id = header.index("decision"), header.index("vague"), header.index("op_id")
    for k in range(len(lines) - 1, 0, -1):
        cells = lines[k].rstrip("\n").split(";")
        if cells[i_wave] == wave and cells[i_dec] == old:
            cells[i_dec] = new
            lines[k] = ";".join(cells) + "\n"
            register.write_text("".join(lines), encoding="utf-8")
            return cells[i_id]
    raise AssertionError(f"aucune ligne {old!r} dans la vague {wave}")


def _start_preview(params: Path) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if k != "ISNOTE_OUTPUT_DIR"}
    env["PYTHONPATH"] = str(PROJECT_ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen([sys.executable, "-m", "isnote.preview", "--params", str(params)],
                            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    line = proc.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:\d+/", line)
    assert m, f"pas d'adresse annoncée : {line!r}"
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
    proc.log = lines  # type: ignore[attr-defined]
    return proc, m.group(0)


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for c in task.read_text().split():
            out.add(int(c))
            out |= _children(int(c))
    return out


WAIT = 300_000   # ms: the first build runs the whole chain on a loaded 2-core machine


@pytest.mark.slow
@pytest.mark.browser
def test_preview_follows_register_and_text_in_browser(tmp_path):
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    params = _scratch_project(tmp_path)
    register = tmp_path / "data" / "registre_revue.csv"
    repo_register = (PROJECT_ROOT / "data" / "demo" / "registre_revue.csv").read_bytes()
    wave = str(yaml.safe_load(params.read_text(encoding="utf-8"))["current_wave"])
    proc, url = _start_preview(params)
    try:
        # a second preview of the same outputs is refused, and says where the first one is
        second = subprocess.run([sys.executable, "-m", "isnote.preview", "--params", str(params)],
                                cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                                env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src")})
        assert second.returncode == 1 and "déjà en cours" in second.stderr and url in second.stderr

        path = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=path, args=ARGS)
            try:
                page = browser.new_page()
                page.set_default_timeout(WAIT)
                page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
                page.goto(url)
                rows = "#annexe-liste tbody tr"
                page.wait_for_selector(rows, state="attached")        # first build done, page reloaded
                page.wait_for_function("document.documentElement.getAttribute('data-apercu') === 'idle'")
                n0 = page.locator(rows).count()
                assert n0 >= 2
                assert "isn-apercu-script" in page.content()
                published = (tmp_path / "outputs" / "note.html").read_text(encoding="utf-8")
                assert "isn-apercu" not in published and "__apercu" not in published
                assert not (tmp_path / "outputs" / "note.pdf").exists()        # HTML only

                assert page.is_hidden("#isn-apercu-remarques")          # the demo's text is approved as it is

                # 1. one decision flipped: the page reloads by itself with one retained operation less
                op = _set_decision(register, "retenue", "ecartee", wave=wave)
                page.wait_for_function(f"document.querySelectorAll('{rows}').length === {n0 - 1}")
                assert op not in page.text_content("#annexe-liste tbody")
                assert f"{n0 - 1} opérations affichées" in page.text_content(".isn-count").replace("\u202f", " ")

                # the demo's conclusions cite the retained counts: the page lists the paragraph to re-read
                notes = "#isn-apercu-remarques"
                page.wait_for_selector(notes, state="visible")
                assert "paragraphe à relire" in page.text_content(notes)
                assert "isn-apercu-remarques" not in (tmp_path / "outputs" / "note.html").read_text(encoding="utf-8")

                # 2. one paragraph edited: the new sentence appears
                md = tmp_path / "content" / "01_objectifs.md"
                sentence = "Cette phrase nouvelle vérifie que cet aperçu suit les modifications du texte."
                text = md.read_text(encoding="utf-8")
                md.write_text(text + "\n" + sentence + "\n", encoding="utf-8")
                page.wait_for_function("s => document.body.innerText.includes(s)", arg=sentence)

                # 3. a bad register value: the French error over the last good note, then recovery
                _set_decision(register, "retenue", "peut-être", wave=wave)
                page.wait_for_function("document.documentElement.getAttribute('data-apercu') === 'error'")
                banner = page.text_content("#isn-apercu")
                assert "ERREUR" in banner and "peut-être" in banner and "décision" in banner
                assert page.locator(rows).count() == n0 - 1                  # last good note still shown
                register.write_bytes(repo_register)                          # the next good save
                page.wait_for_function(f"document.querySelectorAll('{rows}').length === {n0}")
                page.wait_for_function("document.documentElement.getAttribute('data-apercu') === 'idle'")
                assert page.is_hidden("#isn-apercu")
                assert page.is_hidden("#isn-apercu-remarques")         # the approved figures are back
                assert sentence in page.text_content("body")
                assert "isn-apercu" not in (tmp_path / "outputs" / "note.html").read_text(encoding="utf-8")
            finally:
                browser.close()

        # Ctrl-C stops everything the preview started (kernels included)
        kids = _children(proc.pid)
        assert kids, "aucun noyau démarré par l'aperçu"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 0
        time.sleep(0.5)
        alive = [k for k in kids if Path(f"/proc/{k}").exists()
                 and "zombie" not in Path(f"/proc/{k}/status").read_text().lower()]
        assert alive == [], f"processus encore vivants après l'arrêt : {alive}"
        assert "Aperçu arrêté" in "".join(proc.log)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (PROJECT_ROOT / "data" / "demo" / "registre_revue.csv").read_bytes() == repo_register


def test_assembly_key_follows_the_content_dir_of_the_parameters(tmp_path):
    """The preview (and the test above) edits a copy of content/ named by `content_dir`: the
    assembly must be redone when it changes, and the notebooks must not."""
    from isnote import pipeline

    params_path = _scratch_project(tmp_path)
    params = load_params(params_path)
    keys, _, todo, key1 = pipeline.plan(params, params.layout, pdf=False)
    md = tmp_path / "content" / "01_objectifs.md"
    md.write_text(md.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")
    keys2, _, _, key2 = pipeline.plan(params, params.layout, pdf=False)
    assert key2 != key1 and keys2 == keys
    assert pipeline.stage_path(params.layout.root).parent == tmp_path / ".outputs.staging"


def test_served_copy_drops_the_note_policy_that_would_block_the_preview_script():
    from isnote.preview import inject_reload
    note_html = ('<html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
                 "</head><body><main>note</main></body></html>")
    served = inject_reload(note_html, 3)
    assert "Content-Security-Policy" not in served and 'id="isn-apercu-script"' in served
    assert "Content-Security-Policy" in note_html          # the published page is not touched
