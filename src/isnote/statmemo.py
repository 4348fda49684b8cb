"""Results computed from files, kept in the process while the files' stat has not changed.

The preview plans every rebuild (step keys: hashes of the library code, the notebooks, the data
files); in a long-lived process most of those files have not changed since the last rebuild, and
hashing them again costs a tenth of a second or more. A file's *signature* is its path, inode,
size, modification and change times (ns); a value computed from files is reused while their
signatures are the same.

A file modified less than `RACY_NS` before the signature is taken has no signature (None: the
value is computed, never kept): two writes of the same size within one tick of the file system's
clock would otherwise look alike ("racy" files, as git calls them). So a value is kept only for
files that were quiet for a second, and any later write changes their signature.

Nothing here is kept on disk: each process starts empty (a `make report` computes everything).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import time
from pathlib import Path

RACY_NS = 1_000_000_000
_LIMIT = 512                     # entries per memo (a preview's needs are a few dozen)

_MEMOS: dict[str, dict] = {}


class _Racy(Exception):
    pass


def _entry(path: str, st, horizon: int) -> tuple:
    if st.st_mtime_ns > horizon or st.st_ctime_ns > horizon:
        raise _Racy
    return (path, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _walk_dir(path: str, st, horizon: int, out: list) -> None:
    # a folder: its own stat (names added or removed) and every file below, in a stable order
    out.append(_entry(path, st, horizon))
    with os.scandir(path) as it:
        entries = sorted(it, key=lambda e: e.name)
    for e in entries:
        if e.name == "__pycache__":
            continue
        est = e.stat()
        if e.is_dir():
            _walk_dir(e.path, est, horizon, out)
        else:
            out.append(_entry(e.path, est, horizon))


def _walk(path: str, horizon: int, out: list) -> None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        out.append((path, None))
        return
    if stat.S_ISDIR(st.st_mode):
        _walk_dir(path, st, horizon, out)
    else:
        out.append(_entry(path, st, horizon))


_SESSION: list = []      # signatures taken once within `session()`


@contextlib.contextmanager
def session():
    """Within it, each path's signature is taken once (a plan walks the package a dozen times)."""
    _SESSION.append({})
    try:
        yield
    finally:
        _SESSION.pop()


def _one(path: str, horizon: int) -> tuple | None:
    out: list = []
    try:
        _walk(path, horizon, out)
    except (_Racy, OSError):
        return None
    return tuple(out)


def signature(*paths) -> tuple | None:
    """The signature of files and folders (folders walked, `__pycache__` left out); None when one
    of them was modified within the last second."""
    cache = _SESSION[-1] if _SESSION else None
    horizon = time.time_ns() - RACY_NS
    sig: tuple = ()
    for p in paths:
        p = os.fspath(p)
        if cache is not None and p in cache:
            one = cache[p]
        else:
            one = _one(p, horizon)
            if cache is not None:
                cache[p] = one
        if one is None:
            return None
        sig += one
    return sig


def memo(kind: str, key, compute):
    """`compute()`, kept under (kind, key); a key that is None (racy files) is never kept."""
    if key is None:
        return compute()
    table = _MEMOS.setdefault(kind, {})
    try:
        return table[key]
    except KeyError:
        pass
    value = compute()
    if len(table) >= _LIMIT:
        table.clear()
    table[key] = value
    return value


def file_digest(path: Path) -> tuple[bytes | None, str]:
    """(the file's bytes or None when they were not read, their sha256 hex digest)."""
    sig = signature(path)
    if sig is not None:
        found = _MEMOS.get("digest", {}).get(sig)
        if found is not None:
            return None, found
    data = Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if sig is not None:
        memo("digest", sig, lambda: digest)
    return data, digest


def sha256(path) -> str:
    """`hashing.file_sha256(path)`, kept while the file's stat is unchanged (read in chunks)."""
    from .hashing import file_sha256
    sig = signature(path)
    return memo("digest", sig, lambda: file_sha256(path))


def once(kind: str, compute):
    """`compute()` once per process (values that cannot change while it runs)."""
    return memo("once", kind, compute)


def clear() -> None:
    _MEMOS.clear()
