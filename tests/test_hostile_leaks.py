"""Hostile corpus, second part: leaks and injections through the outputs, unsafe output folders,
crash-safe publishing, one register snapshot per run, every input file in the change keys.

Each case asserts the exact outcome: a clean French error (exit 2, expected words) or the correct
result."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hostile import corpus as C

ROOT = C.ROOT


# ------------------------------------------------------------------ Makefile: no shell interpolation

def test_makefile_passes_user_values_literally(tmp_path):
    """A workbook path with a backtick, `$(...)` and a quote given to `make review-import FILE=…` is
    passed to the command as one literal argument; nothing in it is executed."""
    if shutil.which("make") is None:
        pytest.skip("make absent")
    recorder = tmp_path / "py.sh"
    recorder.write_text('#!/bin/sh\nprintf \'%s\\n\' "$@" > "$(dirname "$0")/argv.txt"\n')
    recorder.chmod(0o755)
    m = tmp_path
    hostile = (f"{m}/a`touch {m}/m1`$(touch {m}/m2)$(shell touch {m}/m3)\"'; touch {m}/m4 #.xlsx")
    env = {k: v for k, v in os.environ.items() if k not in ("FILE", "FORCE", "PARAMS", "MAKEFLAGS")}
    proc = subprocess.run(["make", "-s", "-o", ".venv/.isnote-installed", f"PY={recorder}", "review-import",
                           f"FILE={hostile}", "FORCE=1", f"PARAMS={m}/p$(touch {m}/m5).yaml"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert not any((m / f"m{i}").exists() for i in range(1, 6))
    argv = (m / "argv.txt").read_text().splitlines()
    assert argv == ["-m", "isnote.cli", "review-import", "--params", f"{m}/p$(touch {m}/m5).yaml",
                    "--file", hostile, "--force"]
