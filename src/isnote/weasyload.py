"""WeasyPrint imported without the compiler runs of the standard library search.

WeasyPrint opens its libraries (GObject, Pango, HarfBuzz, fontconfig) through cffi, trying several
spellings of each name in turn (Linux, macOS and Windows ones). For a name that is not a file,
cffi asks `ctypes.util.find_library`, which on Linux runs `ldconfig -p` and, when that fails, the
C compiler and the linker: the Windows and macOS spellings always fail, so one import of WeasyPrint
starts about forty processes (0.2 s of CPU, 0.3 s of wall time, paid by the note's process and by
the PDF workers' server on each run).

`ensure()` imports WeasyPrint with a `find_library` that answers from one reading of the loader's
cache (`ldconfig -p`), as the standard one does first, and stops there. If the import fails that
way (a library that only the compiler's search finds), it is imported again with the standard
search, so nothing that worked before stops working; WeasyPrint's own error message is then shown
once, by that second attempt."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys

_ABI = {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "sparc64-64": "libc6,64bit",
        "s390x-64": "libc6,64bit", "ia64-64": "libc6,IA-64"}


def loader_cache() -> str:
    """The loader's cache as `ldconfig -p` prints it ("" when it cannot be read)."""
    try:
        return subprocess.run(["/sbin/ldconfig", "-p"], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, env={"LC_ALL": "C", "LANG": "C"},
                              check=False, timeout=10).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError):
        return ""


def cached_finder(listing: str):
    """A `find_library(name)` answering from `listing` (the output of `ldconfig -p`), with the
    same rule as the standard library's first step: the first `lib<name>.<...>` of this machine's
    ABI, returned as its file name; None when there is none."""
    machine = os.uname().machine + ("-64" if sys.maxsize > 2**32 else "-32")
    abi = re.escape(_ABI.get(machine, "libc6"))
    memo: dict[str, str | None] = {}

    def find_library(name: str) -> str | None:
        if name not in memo:
            m = re.search(r"\s+(lib%s\.[^\s]+)\s+\(%s" % (re.escape(name), abi), listing)
            memo[name] = m.group(1) if m else None
        return memo[name]

    return find_library


def ensure() -> None:
    """Import WeasyPrint (once per process; see the module's docstring)."""
    if "weasyprint" in sys.modules:
        return
    if not sys.platform.startswith("linux") or not os.path.exists("/sbin/ldconfig"):
        import weasyprint  # noqa: F401 - elsewhere the standard search is not slow
        return
    import ctypes.util
    listing = loader_cache()
    if listing:
        standard = ctypes.util.find_library
        ctypes.util.find_library = cached_finder(listing)
        try:
            with contextlib.redirect_stdout(io.StringIO()):   # WeasyPrint prints why it failed
                import weasyprint  # noqa: F401
            return
        except OSError:
            for mod in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
                del sys.modules[mod]
        finally:
            ctypes.util.find_library = standard
    import weasyprint  # noqa: F401,F811 - the standard search
