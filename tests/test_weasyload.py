"""WeasyPrint imported with the loader cache's answers, and with the standard search when those fail."""

import subprocess
import sys
import textwrap

import pytest

from isnote import weasyload

LISTING = textwrap.dedent("""\
    612 libs found in cache `/etc/ld.so.cache'
    \tlibpolkit-gobject-1.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libpolkit-gobject-1.so.0
    \tlibgobject-2.0.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libgobject-2.0.so.0
    \tlibgobject-2.0.so.0 (libc6) => /lib/i386-linux-gnu/libgobject-2.0.so.0
    \tlibpango-1.0.so.0 (libc6) => /lib/i386-linux-gnu/libpango-1.0.so.0
    \tlibharfbuzz.so.0 (libc6,x86-64) => /lib/x86_64-linux-gnu/libharfbuzz.so.0
""")


def test_finder_answers_like_the_standard_first_step(monkeypatch):
    monkeypatch.setattr(weasyload.os, "uname", lambda: type("U", (), {"machine": "x86_64"})())
    monkeypatch.setattr(weasyload.sys, "maxsize", 2**63 - 1)
    find = weasyload.cached_finder(LISTING)
    assert find("gobject-2.0") == "libgobject-2.0.so.0"
    assert find("harfbuzz") == "libharfbuzz.so.0"
    # the Windows and macOS spellings WeasyPrint also tries: no answer, and no process started
    assert find("libgobject-2.0-0") is None
    assert find("gobject-2.0-0") is None
    assert find("harfbuzz-vector") is None
    # a library of another ABI only (here 32-bit) is not taken
    assert find("pango-1.0") is None


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the loader cache is Linux's")
def test_import_starts_no_compiler():
    r = _run("""
        import os, sys
        from isnote import weasyload
        weasyload.ensure()
        import weasyprint
        t = os.times()
        print(round(t.children_user + t.children_system, 3), "weasyprint" in sys.modules)
        import ctypes.util
        print(ctypes.util.find_library.__module__)
    """)
    assert r.returncode == 0, r.stderr
    children, imported, module = r.stdout.split()
    assert imported == "True"
    assert module == "ctypes.util"          # the standard search is put back
    # only `ldconfig -p` ran (well under the compiler runs' 0.2 s)
    assert float(children) < 0.05


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the loader cache is Linux's")
def test_falls_back_to_the_standard_search_when_the_cache_finds_nothing():
    r = _run("""
        import sys
        from isnote import weasyload
        weasyload.loader_cache = lambda: "0 libs found in cache"
        weasyload.ensure()
        import weasyprint.text.ffi as ffi
        print(ffi.pango is not None)
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True"]
    # WeasyPrint's own failure message, printed by the first attempt, is not shown
    assert "could not import" not in r.stdout + r.stderr
