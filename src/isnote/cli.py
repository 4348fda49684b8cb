"""The `isnote` command (also `python -m isnote.cli`).

Sub-commands register themselves in COMMANDS with `@command(...)`; each gets an argparse
sub-parser and returns an exit status. Errors about the user's input (IsnoteError) are printed as
`ERREUR : <message>` on stderr with exit status 2, never as a traceback.

    isnote review-export --params params/demo.yaml
    isnote review-import --params params/demo.yaml --file data/demo/revue/a_relire_registre_revue.xlsx [--force]
    isnote screening-report --params params/demo.yaml [--labels labels.csv] [--out folder]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import IsnoteError


@dataclass
class Command:
    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {}


def command(name: str, help: str, configure: Callable[[argparse.ArgumentParser], None] | None = None):
    """Register a sub-command: `@command("run", "...", configure=add_args)` on `def f(args) -> int`."""
    def deco(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS[name] = Command(name, help, configure or (lambda p: None), fn)
        return fn
    return deco


def _params_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--params", default=None, help="fichier de paramètres (défaut : params/demo.yaml)")


# --------------------------------------------------------------------------------------------
# review


def load_clean(params, *, ingest_if_missing: bool = True):
    """Clean tables of the run (operations, survey, lot5, excluded); runs the ingest when absent."""
    import pandas as pd

    from .outputs_guard import check_output_dir
    check_output_dir(params)                 # a dedicated output folder, before anything is written
    clean = params.layout.clean
    names = ("operations", "survey", "lot5")
    if not all((clean / f"{n}.parquet").exists() for n in names):
        if not ingest_if_missing:
            raise IsnoteError(f"tables propres absentes de {clean} : lancez d'abord « make report »")
        try:
            from . import ingest
        except ImportError:   # pragma: no cover - the ingest module ships with isnote
            raise IsnoteError(f"tables propres absentes de {clean} : lancez d'abord « make report »") from None
        print(f"Tables propres absentes : lecture des données ({params.source.name})...", file=sys.stderr)
        ingest.write_clean(ingest.run(params), params.layout.ensure())
    tables = {n: pd.read_parquet(clean / f"{n}.parquet") for n in names}
    excluded = clean / "excluded.parquet"
    tables["excluded"] = pd.read_parquet(excluded) if excluded.exists() else None
    return tables


def review_workbook_path(params) -> Path:
    """Default review workbook: outside the outputs (a run never replaces it), in `review_dir`
    (parameters), else in the folder `revue/` beside the register."""
    from .config import resolve

    reg = params.path("review_register")
    folder = resolve(params["review_dir"]) if params.get("review_dir") else reg.parent / "revue"
    return folder / f"a_relire_{reg.stem}.xlsx"


def _pending_entries(target: Path, reg_path: Path, params, operations) -> str | None:
    """Why `target` must not be overwritten (entries not yet in the register), or None."""
    from .errors import ReviewConflictError
    from .review import import_review

    try:
        report = import_review(target, reg_path, params, operations, dry_run=True)
    except ReviewConflictError:
        return "il contient des décisions différentes de celles du registre"
    except IsnoteError:
        return "il n'a pas pu être relu (peut-être en cours de saisie)"
    n = len(report.added) + len(report.updated)
    return f"il contient {n} saisie(s) pas encore importée(s)" if n else None


def _review_export(args: argparse.Namespace) -> int:
    import datetime as dt

    from .config import load_params
    from .review import export_review, read_register
    from .screening import screen

    params = load_params(args.params)
    t = load_clean(params)
    reg_path = params.path("review_register")
    register = read_register(reg_path, params, t["operations"]) if reg_path.exists() else None
    result = screen(t["operations"], t["survey"], t["lot5"], register, params, excluded=t["excluded"])
    target = Path(args.out) if args.out else review_workbook_path(params)
    if target.exists():               # never overwrite entries that are not in the register yet
        why = _pending_entries(target, reg_path, params, t["operations"])
        if why:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            kept = target
            target = target.with_name(f"{target.stem}-{stamp}{target.suffix}")
            k = 1
            while target.exists():
                target = kept.with_name(f"{kept.stem}-{stamp}-{k}{kept.suffix}")
                k += 1
            print(f"Classeur existant conservé : {kept} ({why} ; importez-le avec "
                  f"« make review-import FILE=... »).\nNouveau classeur daté écrit à côté.", file=sys.stderr)
    export_review(result.candidates, t["operations"], register, target, params)
    n_cand = len(result.candidates)
    decided = 0 if register is None else int(
        register.loc[register["vague"] == str(params["current_wave"]), "decision"].isin(["retenue", "ecartee"]).sum())
    from openpyxl import load_workbook
    todo = load_workbook(target, read_only=True)["À revoir"].max_row - 1
    print(f"{n_cand} opération(s) candidate(s) pour la vague {params['current_wave']} ; "
          f"{max(todo, 0)} à revoir, {decided} décision(s) déjà prise(s).\nClasseur écrit : {target}")
    return 0


def _review_export_args(p: argparse.ArgumentParser) -> None:
    _params_arg(p)
    p.add_argument("--out", default=None,
                   help="chemin du classeur (défaut : revue/a_relire_<registre>.xlsx à côté du registre)")


def _review_import(args: argparse.Namespace) -> int:
    from .config import load_params
    from .review import import_review

    params = load_params(args.params)
    t = load_clean(params)
    report = import_review(args.file, params.path("review_register"), params, t["operations"], force=args.force)
    print(report.summary())
    if report.forced:
        print("Décisions modifiées (import forcé) : " + ", ".join(report.forced))
    return 0


def _review_import_args(p: argparse.ArgumentParser) -> None:
    _params_arg(p)
    p.add_argument("--file", required=True, help="classeur rempli (.xlsx)")
    p.add_argument("--force", action="store_true",
                   help="appliquer aussi les modifications de décisions déjà enregistrées")


command("review-export", "écrire le classeur des opérations candidates à revoir",
        _review_export_args)(_review_export)
command("review-import", "importer un classeur rempli dans le registre de revue",
        _review_import_args)(_review_import)


# --------------------------------------------------------------------------------------------
# screening report


def _screening_report(args: argparse.Namespace) -> int:
    import os

    from .config import load_params
    from .screening_report import format_summary, run

    # `make screening-report` passes its arguments through the environment (never the shell)
    params = load_params(args.params or os.environ.get("ISNOTE_PARAMS") or None)
    labels = args.labels or os.environ.get("ISNOTE_LABELS") or None
    out = args.out or os.environ.get("ISNOTE_OUT") or None
    summary, flagged, info, folder = run(params, labels, out)
    print(format_summary(summary, info))
    print(f"Tableaux écrits : {folder / 'signaux.csv'}, {folder / 'operations_signalees.csv'}")
    return 0


def _screening_report_args(p: argparse.ArgumentParser) -> None:
    _params_arg(p)
    p.add_argument("--labels", default=None, help="jeu étiqueté : CSV op_id ; attendu (oui/non)")
    p.add_argument("--out", default=None, help="dossier des tableaux (défaut : <sortie>/screening_report)")


command("screening-report", "ce que signale chaque signal du repérage (et sa précision sur un jeu étiqueté)",
        _screening_report_args)(_screening_report)


# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="isnote", description="Note d'évaluation sur l'innovation sociale (isnote).")
    sub = parser.add_subparsers(dest="command", metavar="commande")
    sub.required = True
    for cmd in COMMANDS.values():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.configure(p)
        p.set_defaults(_run=cmd.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except IsnoteError as exc:
        print(f"ERREUR : {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except BrokenPipeError:          # output piped into a command that stopped reading (head...)
        return 0
    except OSError as exc:           # disk full, read-only folder, permission denied
        from .outputs_guard import os_error_message
        print(f"ERREUR : {os_error_message(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
