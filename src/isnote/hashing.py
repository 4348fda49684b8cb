"""File digests: the one owner of how an input or output file is fingerprinted (sha256, hex)."""

from __future__ import annotations

import hashlib
import os


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes, read in chunks (`hashlib.file_digest`), as 64 hex digits."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
