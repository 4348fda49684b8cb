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

from .config import PROJECT_ROOT, input_entries, resolve, work_root
from .display import esc
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
            entry["sha256"] = sha256_file(path)
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
        "packages": package_versions(),
        "python": platform.python_version(),
        "git": git_state(),
    }


def write_json(prov: dict, path: Path) -> None:
    from .atomic import write_text
    write_text(path, json.dumps(prov, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def git_label(git: dict | None) -> str:
    if not git:
        return "non disponible (pas de dépôt git)"
    return git["commit"] + (" (modifié : l'arbre de travail contient des changements non enregistrés)"
                            if git.get("dirty") else "")


def _git_html(git: dict | None) -> str:
    if not git:
        return esc(git_label(git))
    dirty = (" (modifié : l'arbre de travail contient des changements non enregistrés)"
             if git.get("dirty") else "")
    return f"<code>{esc(git['commit'])}</code>{esc(dirty)}"


def render_html(prov: dict, run_label: str) -> str:
    """Annex C: the provenance block (all values escaped)."""
    rows = "".join(
        f"<tr><td>{esc(e['role'])}</td><td><code>{esc(e['path'])}</code></td>"
        f"<td class=\"hash\"><code>{esc(e.get('sha256') or '–')}</code></td>"
        f"<td>{esc(e.get('note', ''))}</td></tr>"
        for e in prov["inputs"])
    packages = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in prov["packages"].items())
    params = (f'<pre class="isn-yaml">{esc(prov["params_yaml"])}</pre>' if prov.get("params_yaml")
              else "<p>Fichier de paramètres non disponible.</p>")
    return (
        '<section class="isn-annex isn-provenance" id="annexe-c-contenu">'
        '<h1 data-nonum="" id="annexe-c">Annexe C – Provenance</h1>'
        "<p>Ce bloc permet de refaire le calcul à l'identique : il identifie les fichiers lus, "
        "les paramètres, les versions des logiciels et l'état du code.</p>"
        '<dl class="isn-facts">'
        f"<dt>Date de production</dt><dd>{esc(run_label)}</dd>"
        f"<dt>Version du code (commit git)</dt><dd>{_git_html(prov.get('git'))}</dd>"
        f"<dt>Python</dt><dd>{esc(prov.get('python', ''))}</dd>"
        f"<dt>Fichier de paramètres</dt><dd><code>{esc(prov.get('params_file') or '–')}</code></dd>"
        "</dl>"
        '<h2 data-nonum="" id="annexe-c-1">C.1 Fichiers lus et empreintes SHA-256</h2>'
        '<table class="isn-plain isn-hashes"><thead><tr><th scope="col">Rôle</th><th scope="col">Fichier</th>'
        f'<th scope="col">SHA-256</th><th scope="col">Remarque</th></tr></thead><tbody>{rows}</tbody></table>'
        '<h2 data-nonum="" id="annexe-c-2">C.2 Versions des logiciels</h2>'
        '<table class="isn-plain"><thead><tr><th scope="col">Paquet</th><th scope="col">Version</th></tr></thead>'
        f"<tbody>{packages}</tbody></table>"
        '<h2 data-nonum="" id="annexe-c-3">C.3 Paramètres du calcul</h2>'
        f"{params}</section>"
    )
