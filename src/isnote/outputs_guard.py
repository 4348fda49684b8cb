"""Safe outputs: the output folder of a run must be a folder of its own, and write failures of the
file system (disk full, read-only folder, permission denied) are reported in French.

`check_output_dir(params)` is called by the pipeline and the CLI before anything is written. A run
replaces its whole output folder (see isnote.pipeline), so `output_dir` must not be `/`, the home
folder, the project root or one of its parents, must not hold any file the run reads (inputs,
parameters, review register), the notebooks, the static content or the code, and an existing
non-empty folder must look like isnote outputs.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Mapping

from .config import NOTEBOOKS_DIR, PROJECT_ROOT, resolve
from .errors import InputError, IsnoteError

# what the other commands write into the output folder (`make bench`, `make screening-report`):
# a fresh clone's outputs/ may hold one of them alone before the first report
BENCH_FILE = "bench.json"
SCREENING_REPORT_DIR = "screening_report"
# names a folder written by isnote holds (one is enough to recognise it)
OUTPUT_NAMES = frozenset({".state", "clean", "notebooks", "tables", "figures", "note.html",
                          "key_figures.json", "provenance.json", BENCH_FILE, SCREENING_REPORT_DIR})
EXPECTED = "un dossier dédié aux sorties du calcul (par exemple outputs ou outputs-<nom>)"


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def protected_paths(params: Mapping) -> list[tuple[str, Path]]:
    """(what, path) of everything a run must never write over: the files it reads, the notebooks,
    the static content, the code and the project's version control."""
    from .provenance import input_files

    out = [(role, path) for role, path in input_files(params)]
    content = params.get("content_dir") or "content"
    out += [("carnets", NOTEBOOKS_DIR), ("contenu rédigé", resolve(content)),
            ("code", PROJECT_ROOT / "src"), ("dépôt git", PROJECT_ROOT / ".git")]
    return [(what, _real(p)) for what, p in out]


def check_output_dir(params: Mapping) -> Path:
    """Refuse an `output_dir` that is not a dedicated folder (InputError naming the parameters file);
    return the resolved folder."""
    source = getattr(params, "source", "paramètres")
    raw = params.get("output_dir")

    def refuse(message: str) -> InputError:
        return InputError(source, f"output_dir « {raw} » {message}", column="output_dir", expected=EXPECTED)

    if not isinstance(raw, (str, os.PathLike)) or not str(raw).strip():
        raise refuse("n'est pas un chemin de dossier")
    out = _real(resolve(raw))
    root = _real(PROJECT_ROOT)
    home = _real(Path.home())
    if out == Path(out.anchor):
        raise refuse("désigne la racine du système de fichiers")
    if out == home:
        raise refuse("désigne le dossier personnel")
    if _inside(root, out):
        raise refuse("désigne le projet lui-même ou un dossier qui le contient : le calcul remplace "
                     "tout le contenu de son dossier de sortie")
    for what, path in protected_paths(params):
        if _inside(path, out):
            raise refuse(f"contient un fichier ou dossier que le calcul lit ou qui fait partie du projet "
                         f"({what} : {path}) : il serait remplacé par les sorties")
        if path.is_dir() and _inside(out, path) and what in ("carnets", "contenu rédigé", "code", "dépôt git"):
            raise refuse(f"se trouve dans le dossier {path} ({what})")
    if out.exists() and not out.is_dir():
        raise refuse("existe et n'est pas un dossier")
    if out.is_dir():
        try:
            names = {p.name for p in out.iterdir()}
        except OSError as exc:
            raise IsnoteError(os_error_message(exc, out)) from None
        visible = {n for n in names if not n.startswith(".")}
        if visible and not names & OUTPUT_NAMES:
            raise refuse("existe, n'est pas vide et ne contient pas de sorties d'isnote "
                         f"({len(visible)} élément(s), par exemple « {sorted(visible)[0]} ») : "
                         "le calcul remplacerait son contenu")
    return out


def check_writable(out: Path) -> None:
    """Refuse, before a run starts, an output folder (or the folder that holds it, where the run
    stages its work) that cannot be written: read-only file system or missing permission."""
    out = Path(out)
    parent = next((p for p in [out, *out.parents] if p.exists()), None)
    targets = [out, out.parent] if out.exists() else [parent]
    for path in targets:
        if path is not None and path.exists() and not os.access(path, os.W_OK | os.X_OK):
            raise IsnoteError(f"écriture impossible dans {path} (dossier en lecture seule ou permission "
                              "refusée) : le calcul a besoin d'écrire son dossier de sortie et le dossier "
                              "qui le contient ; les sorties précédentes sont conservées")


REASONS = {
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota disque dépassé",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EISDIR: "le chemin désigne un dossier",
    errno.EEXIST: "le chemin existe déjà",
    errno.ENAMETOOLONG: "nom de fichier trop long",
    errno.EIO: "erreur d'entrée-sortie",
}


def os_error_message(exc: OSError, path: str | os.PathLike | None = None) -> str:
    """French message for a failed file operation, naming the path."""
    where = exc.filename or path
    extra = f" → {exc.filename2}" if getattr(exc, "filename2", None) else ""
    reason = REASONS.get(exc.errno, exc.strerror or str(exc))
    text = f"écriture ou lecture impossible : {reason}"
    if where:
        text += f" ({where}{extra})"
    return text
