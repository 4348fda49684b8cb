"""File digests: the one owner of how an input or output file is fingerprinted (sha256, hex)."""

from __future__ import annotations

import hashlib
import os


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes, read in chunks (`hashlib.file_digest`), as 64 hex digits."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def parts_sha256(*parts) -> str:
    """sha256 of several values taken together (strings as UTF-8, lone surrogates kept; anything
    else by its repr), each followed by a separator so that ("ab", "c") and ("a", "bc") differ."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass") if isinstance(p, str) else repr(p).encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()
