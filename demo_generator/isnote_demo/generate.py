"""Seeded generator of the SYNTHETIC demo dataset of isnote.

    python -m isnote_demo --out data/demo        (make demo-data)

Writes, byte for byte identical for a given seed: the operations of the PON FSE and the PON IEJ
(cp1252 CSV), their qualitative texts (UTF-8 CSV), the participant records (parquet), the survey
of axis-3 managing bodies, the IEJ lot-5 list, the review register and LISEZMOI.md.

Calibration targets (aggregates of the 2019 note) are in specs/calibration.yaml, the operations the
note names in specs/named_operations.yaml, our own design choices in specs/design.yaml, the text and
geography banks in specs/texts.yaml and specs/geography.yaml. `build()` runs the stages
(`isnote_demo.stages.STAGES`) over a fresh state; `generate()` writes the files into a temporary
folder, runs every check (`isnote_demo.checks`) and only then moves them into the output folder:
generation FAILS, and writes nothing, if a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from isnote.errors import IsnoteError

from . import checks
from .stages import STAGES
from .state import GenerationError, State, new_state
from .write import write_dataset

__all__ = ["GenerationError", "build", "generate", "main"]


def build(seed: int | None = None) -> State:
    """Run every stage, in order, over a fresh state."""
    st = new_state(seed)
    for stage in STAGES:
        stage(st)
    return st


def generate(out: str | Path, seed: int | None = None, skip_participants: bool = False,
             check: bool = True) -> dict:
    """Build the dataset, check it in a temporary folder, then move the files into `out`."""
    st = build(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".demo-", dir=out.parent))
    try:
        stats = write_dataset(st, tmp, skip_participants=skip_participants)
        if check:
            problems = checks.verify(tmp, participants=not skip_participants)
            if problems:
                raise GenerationError("le jeu de démonstration ne respecte pas la calibration :\n- "
                                      + "\n- ".join(problems[:30]))
        for f in sorted(tmp.iterdir()):
            os.replace(f, out / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m isnote_demo",
                                 description="Génère le jeu de données de démonstration SYNTHÉTIQUE d'isnote.")
    ap.add_argument("--out", default="data/demo", help="dossier de sortie (défaut : data/demo)")
    ap.add_argument("--seed", type=int, default=None, help="graine (défaut : celle de design.yaml)")
    ap.add_argument("--skip-participants", action="store_true",
                    help="ne pas écrire le fichier des participants (tests rapides)")
    ap.add_argument("--no-check", action="store_true", help="ne pas vérifier la calibration (débogage)")
    args = ap.parse_args(argv)
    try:
        stats = generate(args.out, seed=args.seed, skip_participants=args.skip_participants, check=not args.no_check)
    except IsnoteError as exc:
        print(f"ERREUR : {exc}", file=sys.stderr)
        return 2
    print(f"Jeu de démonstration écrit dans {args.out} : {stats['n_ops']['fse']} opérations PON FSE, "
          f"{stats['n_ops']['iej']} opérations PON IEJ, {stats['participants']} participants.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
