"""Provenance of a run: input files with their checksums, parameters, package versions, git
commit, run date. Shown in annex C of the note and written to `<out>/provenance.json`."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

from . import statmemo
from .config import PROJECT_ROOT, input_entries, resolve, work_root
from .hashing import file_sha256

PACKAGES = ("isnote", "pandas", "pyarrow", "nbconvert", "papermill", "weasyprint", "matplotlib",
            "jinja2", "openpyxl", "pyyaml")

# parameters that point to files the run reads (besides `inputs`)
FILE_PARAMS = ("mapping", "nomenclature", "keywords", "actors", "typology", "survey_themes",
               "review_register")


def run_datetime(run_date: _dt.datetime | None = None) -> _dt.datetime:
    """The run date: `run_date`, else SOURCE_DATE_EPOCH if set (reproducible builds), else now."""
    if run_date is not None:
        return run_date
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.timezone.utc)
    return _dt.datetime.now().astimezone()


sha256_file = file_sha256        # the one file digest (isnote.hashing)


def _relative(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(work_root().resolve()))
    except ValueError:
        return str(path)


def input_files(params: Mapping) -> list[tuple[str, Path]]:
    """(role, path) of every file the run reads: data inputs, parameter files, the register."""
    files = [(f"inputs.{role}", resolve(p)) for role, p in input_entries(params.get("inputs", {}))]
    files += [(key, resolve(params[key])) for key in FILE_PARAMS if params.get(key)]
    original = getattr(params, "register_source", None)      # a run reads a snapshot of the register
    if original is not None:
        files = [(role, Path(original) if role == "review_register" else p) for role, p in files]
    source = getattr(params, "source", None)
    if source:
        files.insert(0, ("paramètres", Path(source)))
    return files


def _ingest_hashes(meta_path: Path) -> dict[str, str]:
    """sha256 per resolved path recorded by the ingest step (tolerates several layouts)."""
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found: dict[str, str] = {}

    def walk(node):
        if isinstance(node, Mapping):
            if "sha256" in node and "path" in node:
                found[str(resolve(node["path"]).resolve())] = str(node["sha256"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(meta)
    return found


def git_state(root: Path = PROJECT_ROOT) -> dict | None:
    """{'commit', 'dirty'} of the project checkout, or None without git."""
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10)
        if commit.returncode != 0:
            return None
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}


def package_versions(names=PACKAGES) -> dict[str, str]:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def collect(params: Mapping, layout=None, run_date: _dt.datetime | None = None) -> dict:
    """Everything needed to say how the note was produced."""
    recorded = _ingest_hashes(layout.clean / "ingest_meta.json") if layout is not None else {}
    inputs = []
    for role, shown in input_files(params):
        entry = {"role": role, "path": _relative(shown)}
        # the register: the run's snapshot is what was read
        path = resolve(params[role]) if role == "review_register" else shown
        if path.is_file():
            # kept while the file's stat is unchanged (the preview's rebuilds); the register's
            # snapshot is new at each run
            entry["sha256"] = sha256_file(path) if role == "review_register" else statmemo.sha256(path)
            entry["bytes"] = path.stat().st_size
            seen = recorded.get(str(path.resolve()))
            if seen and seen != entry["sha256"]:
                entry["note"] = "modifié depuis l'ingestion"
        else:
            entry["sha256"] = None
            entry["note"] = "absent"
        inputs.append(entry)
    source = getattr(params, "source", None)
    params_text = Path(source).read_text(encoding="utf-8") if source and Path(source).is_file() else None
    when = run_datetime(run_date)
    return {
        "run_date": when.isoformat(timespec="seconds"),
        "params_file": _relative(Path(source)) if source else None,
        "params_yaml": params_text,
        "inputs": inputs,
        "packages": dict(statmemo.once("package_versions", package_versions)),   # the process's
        "python": platform.python_version(),
        "git": git_state(),
    }


def write_json(prov: dict, path: Path) -> None:
    from .atomic import write_text
    write_text(path, json.dumps(prov, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


DIRTY_NOTE = " (modifié : l'arbre de travail contient des changements non enregistrés)"
NO_GIT = "non disponible (pas de dépôt git)"


def git_label(git: dict | None) -> str:
    if not git:
        return NO_GIT
    return git["commit"] + (DIRTY_NOTE if git.get("dirty") else "")


def render_html(prov: dict, run_label: str) -> str:
    """Annex C: the provenance block (all values escaped; `templates/blocks/provenance.html.j2`)."""
    from . import htmlblocks          # Jinja only where the annex is written (not in the CLI checks)

    git = prov.get("git")
    return htmlblocks.render(
        "provenance", run_label=run_label, commit=git["commit"] if git else None,
        dirty=bool(git and git.get("dirty")), dirty_note=DIRTY_NOTE, no_git=NO_GIT,
        python=prov.get("python", ""), params_file=prov.get("params_file") or "–",
        inputs=[(e["role"], e["path"], e.get("sha256") or "–", e.get("note", "")) for e in prov["inputs"]],
        packages=list(prov["packages"].items()), params_yaml=prov.get("params_yaml"))
