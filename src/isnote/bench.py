"""Benchmarks (not tests): `make bench` → `<out>/bench.json` and a summary on stdout.

Measures, on the parameters given (default: the demo data), in a scratch copy so that nothing of
the user's outputs or review register is touched:
- cold: a full report from empty outputs, PDF included (target <= 20 s);
- register: the report after one decision of the review register changed, median of three
  successive changes (target <= 12 s);
- noop: `make report` when nothing changed (target <= 1 s);
- screening: keyword screening of 1,000,000 synthetic operations (target <= 15 s, <= 3 GB).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from .config import PROJECT_ROOT, load_params, resolve

TARGETS = {"cold_s": 20.0, "register_change_s": 12.0, "noop_s": 1.0,
           "screening_1m_s": 15.0, "screening_1m_peak_mb": 3072.0}


def _scratch_params(params_path: str | None, scratch: Path) -> Path:
    params = load_params(params_path)
    data = yaml.safe_load(params.source.read_text(encoding="utf-8"))
    register = resolve(data["review_register"])
    reg_copy = scratch / register.name
    shutil.copy2(register, reg_copy)
    data["review_register"] = str(reg_copy)
    data["output_dir"] = str(scratch / "outputs")
    data["run_name"] = "bench"
    out = scratch / "bench_params.yaml"
    out.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def _flip_one_decision(register: Path) -> None:
    lines = register.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(";")
    i_dec = header.index("decision")
    for k in range(len(lines) - 1, 0, -1):
        cells = lines[k].rstrip("\n").split(";")
        if len(cells) > i_dec and cells[i_dec] == "retenue":
            cells[i_dec] = "ecartee"
            lines[k] = ";".join(cells) + "\n"
            break
    register.write_text("".join(lines), encoding="utf-8")


def _timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL)
    return round(time.perf_counter() - t, 2)


def run(params_path: str | None = None, screening_n: int = 1_000_000) -> dict:
    py = sys.executable
    results: dict = {"targets": TARGETS}
    with tempfile.TemporaryDirectory(prefix="isnote-bench-") as tmp:
        scratch = Path(tmp)
        bp = _scratch_params(params_path, scratch)
        results["cold_s"] = _timed([py, "-m", "isnote.pipeline", "run", "--params", str(bp)])
        results["noop_s"] = _timed(["make", "-s", "report", f"PARAMS={bp}"])
        register = Path(yaml.safe_load(bp.read_text(encoding="utf-8"))["review_register"])
        runs = []
        for _ in range(3):              # three successive changes of one decision: the median
            _flip_one_decision(register)
            runs.append(_timed([py, "-m", "isnote.pipeline", "run", "--params", str(bp)]))
        results["register_change_runs_s"] = runs
        results["register_change_s"] = sorted(runs)[1]
    if screening_n:
        out = subprocess.run([py, "-m", "isnote.bench_screening", "--n", str(screening_n), "--json"],
                             cwd=PROJECT_ROOT, check=True, capture_output=True, text=True).stdout
        s = json.loads(out.strip().splitlines()[-1])
        results["screening_1m_s"] = s.get("seconds")
        results["screening_1m_peak_mb"] = s.get("peak_mb")
        results["screening_n_ops"] = s.get("n_ops")
    results["met"] = {k: results[k] <= v for k, v in TARGETS.items() if results.get(k) is not None}
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="isnote.bench")
    ap.add_argument("--params", default=None)
    ap.add_argument("--screening-n", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    res = run(args.params, args.screening_n)
    out_dir = load_params(args.params).layout.root
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench.json").write_text(json.dumps(res, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for k in TARGETS:
        if k in res["met"]:
            print(f"{k:22s} {res[k]!s:>8}  (cible <= {TARGETS[k]})  {'ok' if res['met'][k] else 'NON ATTEINT'}")
    missed = [k for k, ok in res["met"].items() if not ok]
    print("Toutes les cibles sont atteintes." if not missed else f"Cibles non atteintes : {', '.join(missed)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
