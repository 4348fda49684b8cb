"""Jinja's cache of compiled templates on disk, for the processes of a run that start cold.

Compiling the note's templates (narrative texts, HTML blocks, nbconvert's) costs a few tenths of a
second of CPU in each new process; Jinja can keep the compiled code in a folder and check it
against each template's source (and against its own and Python's versions) before using it.
Jinja checks a template's source, not the settings of the environment that compiled it (autoescape,
finalize, extensions: our code), so the folders are named by a digest of the package's code
(`package_key`): other code, other folder; the folders of older code are removed.
A cache that cannot be read or written is never a reason for a build to fail: the template is
compiled as usual.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

from jinja2 import FileSystemBytecodeCache

_PACKAGE_KEY: list = []


def package_key() -> str:
    """A digest of every file of the isnote package (code, templates, word lists) and of Python's
    version: what decides, beside their own inputs, the results kept by the run's caches."""
    if not _PACKAGE_KEY:
        root = Path(__file__).resolve().parent
        h = hashlib.sha256(sys.version.encode("utf-8"))
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            h.update(str(path.relative_to(root)).encode("utf-8") + b"\x1f" + path.read_bytes() + b"\x1e")
        _PACKAGE_KEY.append(h.hexdigest())
    return _PACKAGE_KEY[0]


def folder(root: Path | str | None, name: str) -> Path | None:
    """`root/jinja-<package key>/<name>` (None without a root); the folders that older code left in
    `root` are removed."""
    if root is None:
        return None
    root = Path(root)
    mine = f"jinja-{package_key()[:24]}"
    try:
        for old in root.glob("jinja-*"):
            if old.name != mine and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass
    return root / mine / name


class SafeBytecodeCache(FileSystemBytecodeCache):
    """FileSystemBytecodeCache that ignores a damaged, unreadable or unwritable folder."""

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        try:
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except Exception:
            pass


def attach(env, folder: Path | str | None) -> None:
    """Keep the compiled templates of `env` in `folder` (None: leave `env` as it is). Templates
    already compiled in this process stay in Jinja's own memory."""
    if folder is None or env is None:
        return
    current = getattr(env, "bytecode_cache", None)
    if isinstance(current, SafeBytecodeCache) and current.directory == str(folder):
        return
    env.bytecode_cache = SafeBytecodeCache(str(folder))
