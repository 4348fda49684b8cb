"""The one entry point of a run: execute the notebooks in order, then assemble the note.

    python -m isnote.pipeline run --params params/demo.yaml [--force] [--no-pdf]

Each step is a notebook executed by papermill into `<out>/notebooks/`. A step is skipped when
nothing it depends on changed since its last successful run (content hashes of its inputs, the
parameters, the notebook and the library code it imports are recorded in
`<out>/.state/steps.json`); so a changed review register does not re-ingest. The typology and the
two results notebooks run side by side.

A run is staged: everything is written to a fresh copy of the previous outputs, and the new
outputs replace the old ones in one atomic swap at the end. A run that fails or is interrupted
leaves the previous complete outputs untouched.

The run is in three parts, each in its own module: `run_plan` (steps, keys, what to rerun),
`run_execute` (kernels, notebooks, note, side work) and `run_publish` (staging, register
snapshot, the final swap, cleanup of killed runs). This module ties them together.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import sys
import threading
import time
from concurrent.futures import wait
from pathlib import Path

from . import entrypoint
from .config import NOTEBOOKS_DIR, load_params
from .run_execute import (KernelPool, SideWork, StepFailed, assemble, dataset_notice,  # noqa: F401
                          preload_assembly, run_notebook, side_tasks, start_side_tasks)
from .run_plan import (STAGES, STEPS, Step, absent_programme_steps, code_hash, first_stage, lanes,  # noqa: F401
                       plan as _plan, save_import_cache, write_state)
from .run_publish import (SNAPSHOT_ENV, cache_dir, drop_step_outputs, end_run, lock_stage, publish,  # noqa: F401
                          remove_abandoned_stages, snapshot_register, stage_path, staged_params as staged)

PARALLEL = {"typology", "fse", "iej"}     # the steps whose retained counts stepcheck compares


def _log(msg: str) -> None:
    print(msg, flush=True)


def plan(params, layout, *, force: bool = False, pdf: bool = True) -> tuple[dict, dict, list[str], str]:
    """What must run (see `run_plan.plan`), with this module's steps, code hash and notebooks."""
    return _plan(params, layout, force=force, pdf=pdf, steps=STEPS, code=code_hash, notebooks_dir=NOTEBOOKS_DIR)


def _assemble(params, layout, *, pdf: bool, pdf_cache: Path | None = None) -> list[str]:
    """Build the note; log and return the warnings for the writer (see run_execute.assemble)."""
    notices, layout_line = assemble(params, layout, pdf=pdf, pdf_cache=pdf_cache)
    for line in [*notices, *([layout_line] if layout_line else [])]:
        _log(f"  {line}")
    return notices


def run(params_path: str | None = None, *, force: bool = False, pdf: bool = True,
        pool: "KernelPool | None" = None, progress=None, side: bool = True) -> dict:
    """Run the chain; return a summary {step: 'ran'|'skipped'|'absent', ..., 'seconds': ...}, with
    'notices' (the assembly's warnings for the writer) when the note was assembled.

    `pool`: kernels kept by the caller (the preview), used and left running; `progress(label)` is
    called when a stage or the assembly starts; `side=False` leaves the reviewer HTML and the
    workbook to the caller."""
    t0 = time.perf_counter()
    params = load_params(params_path)
    final = params.layout.root
    from .outputs_guard import check_output_dir, check_writable
    check_output_dir(params)                 # a dedicated folder, refused before anything is written
    check_writable(final)

    # -- plan: staging next to the output folder (same file system, so the final swap is atomic)
    stage = stage_path(final)
    build_root = stage.parent
    build_root.mkdir(parents=True, exist_ok=True)
    remove_abandoned_stages(build_root, final)   # and restore outputs a killed publish moved aside
    if stage.exists():
        shutil.rmtree(stage)
    stage_lock = lock_stage(build_root, stage)
    summary: dict[str, object] = {s.name: "skipped" for s in STEPS}
    summary["assemble"] = "skipped"
    try:
        # every step of the run reads this one copy of the review register
        params = snapshot_register(params, build_root / f"{stage.name}.register.csv")
        keys, state, todo, assemble_key = plan(params, params.layout, force=force, pdf=pdf)
    except BaseException:
        end_run(build_root, stage, stage_lock)
        raise
    if not todo:
        end_run(build_root, stage, stage_lock)
        summary["seconds"] = round(time.perf_counter() - t0, 2)
        return summary

    # -- execute: every kernel the run needs starts now, while the previous outputs are copied
    own_pool = pool is None
    if own_pool:
        pool = KernelPool([s for s in STEPS if s.name in todo], first=first_stage(todo, STAGES), stages=STAGES)
    side_work = closer = preload = None
    if "assemble" in todo:   # import the assembly's heavy libraries while the notebooks run
        preload = pool.submit(functools.partial(preload_assembly, pdf=pdf))
    try:
        if final.exists() and any(final.iterdir()):
            shutil.copytree(final, stage, symlinks=True)
        else:
            stage.mkdir(parents=True)
        staged_params = staged(params, stage)
        layout = staged_params.layout.ensure()
        _run_stages(todo, keys, state, summary, staged_params, stage, pool, progress, final)

        ran = [s.notebook for s in STEPS if summary.get(s.name) == "ran"]
        if ran:
            from . import checks
            from .atomic import write_text
            notice = dataset_notice(staged_params)
            if notice:
                write_text(layout.tables / "LISEZMOI.txt", notice + "\n")
            checks.write_summary(layout)              # checks passed, for the methodological annex
        if ran and side:   # reviewer HTML and the workbook, beside the note (started below)
            side_work = SideWork(staged_params, ran, cache_dir=cache_dir(build_root, "side"))
        if own_pool:   # the kernels are no longer needed: shut them down in the background
            closer = threading.Thread(target=pool.close, daemon=True)
            closer.start()
        pool = None
        _merge_key_figures(staged_params, layout)

        if "assemble" in todo:
            t = time.perf_counter()
            state.pop("assemble", None)
            if progress is not None:
                progress("note")
            if preload is not None:   # the PDF engine is not used from two threads at once
                try:
                    preload.result()
                except Exception:
                    pass
            if not pdf:   # an HTML-only build (the preview): the previous PDF would no longer match the note
                layout.note_pdf.unlink(missing_ok=True)
            if side_work is not None:   # once the preloading thread is done (see SideWork)
                side_work.start()
            # the PDF's laid-out parts are kept beside the stages, for the next run
            # what the writer should look at (paragraphs to re-read, jargon, wide tables): the preview shows it
            summary["notices"] = _assemble(staged_params, layout, pdf=pdf, pdf_cache=cache_dir(build_root, "pdf"))
            state["assemble"] = assemble_key
            summary["assemble"] = "ran"
            _log(f"  note : {time.perf_counter() - t:.1f} s")
        if side_work is not None:
            for line in side_work.finish():       # e.g. workbook cells cleaned or cut
                _log(f"  {line}")
            side_work = None
        write_state(layout.state / "steps.json", state)
        save_import_cache(layout)
        # -- publish
        publish(stage, final, build_root, defer_removal=not own_pool)   # the preview: old outputs removed aside
        remove_abandoned_stages(build_root, final)   # again: what a killed run's last writes left
    except BaseException as exc:
        if side_work is not None:      # it writes into the stage removed below
            side_work.abandon()
        _keep_failed_notebook(exc, build_root)
        shutil.rmtree(stage, ignore_errors=True)
        raise
    finally:
        if closer is not None:
            closer.join()
        if pool is not None and own_pool:
            pool.close()
        end_run(build_root, stage, stage_lock)

    summary["seconds"] = round(time.perf_counter() - t0, 2)
    return summary


def _run_stages(todo, keys, state, summary, params, stage: Path, pool, progress, final: Path | None = None) -> None:
    """Run the stages in order, the steps of a stage side by side; record each step's key once it
    ran. `final`: the output folder the stage becomes (named in the executed notebooks)."""
    layout = params.layout
    state_file = layout.state / "steps.json"
    by_name = {s.name: s for s in STEPS}
    for stage_names in STAGES:
        steps = [by_name[n] for n in stage_names if n in todo]
        absent = absent_programme_steps(steps, layout)
        for step in absent:            # no section, no table for a programme absent from the data
            drop_step_outputs(step, layout)
            state[step.name] = state[f"{step.name}@absent"] = keys[step.name]
            summary[step.name] = "absent"
        steps = [s for s in steps if s not in absent]
        if not steps:
            continue
        for step in steps:
            state.pop(step.name, None)
        t = time.perf_counter()
        if progress is not None:
            progress(", ".join(s.name for s in steps))
        groups = [[by_name[n] for n in lane] for lane in lanes([s.name for s in steps])]

        def run_lane(lane: list[Step]) -> None:     # steps sharing a kernel, one after the other
            for step in lane:
                run_notebook(step, params, stage, pool.get(step.name), NOTEBOOKS_DIR, published_root=final)
        if len(groups) == 1:
            run_lane(groups[0])
        else:   # in the pool's lane threads; every lane has ended before a failure is raised
            futures = [pool.lanes.submit(run_lane, lane) for lane in groups]
            wait(futures)
            for f in futures:
                f.result()
        for step in steps:
            state[step.name] = keys[step.name]
            summary[step.name] = "ran"
        _log(f"  {', '.join(s.name for s in steps)} : {time.perf_counter() - t:.1f} s")
        if set(stage_names) & PARALLEL:
            from .stepcheck import check_run
            check_run(layout, params["current_wave"])   # the steps agree on the retained list
        write_state(state_file, state)


def _merge_key_figures(params, layout) -> None:
    from .atomic import write_text
    from .keyfigures import dumps, merge_fragments
    merged = merge_fragments(layout.state / "key_figures")
    merged["dataset"] = {"label": params.get("dataset_label") or "",
                         "synthetic": bool(params.get("synthetic")),
                         "run_name": params.get("run_name") or ""}
    write_text(layout.key_figures, dumps(merged))


def _keep_failed_notebook(exc: BaseException, build_root: Path) -> None:
    """Keep the executed notebook of a failed step in `.staging/echec/` and name it in the error."""
    failed_nb = getattr(exc, "notebook", None)
    if failed_nb is None or not Path(failed_nb).exists():
        return
    kept = build_root / "echec" / Path(failed_nb).name.replace(".running", "").lstrip(".")
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(failed_nb, kept)
        exc.args = (f"{exc.args[0]} — carnet exécuté conservé : {kept}",) + exc.args[1:]
    except OSError:
        pass                                   # disk full: the original error matters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="isnote.pipeline", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the chain and build the note")
    entrypoint.add_params(r)
    r.add_argument("--force", action="store_true", help="rerun every step")
    r.add_argument("--no-pdf", action="store_true", help="skip the PDF")
    sd = sub.add_parser("side", help=argparse.SUPPRESS)
    entrypoint.add_params(sd, required=True)
    sd.add_argument("--output-dir", required=True)
    sd.add_argument("--workbook", action="store_true")
    sd.add_argument("--cache-dir", default=None)
    sd.add_argument("notebooks", nargs="*")
    args = parser.parse_args(argv)
    if args.cmd == "side":
        warnings, code = entrypoint.guarded(lambda: side_tasks(load_params(args.params, output_dir=args.output_dir),
                                                               args.notebooks, args.workbook,
                                                               Path(args.cache_dir) if args.cache_dir else None))
        for line in warnings or []:
            print(line, file=sys.stderr)
        return code or 0
    try:
        summary, code = entrypoint.guarded(run, args.params, force=args.force, pdf=not args.no_pdf,
                                           os_suffix=" ; les sorties précédentes sont conservées")
    except KeyboardInterrupt:
        print("Interrompu : les sorties précédentes sont intactes.", file=sys.stderr)
        return 130
    if code is not None:
        return code
    ran = [k for k, v in summary.items() if v == "ran"]
    _log(f"Rapport à jour en {summary['seconds']} s"
         + (f" (étapes exécutées : {', '.join(ran)})" if ran else " (rien à refaire)"))
    out = load_params(args.params).layout.root
    try:
        out = out.relative_to(Path.cwd())
    except ValueError:
        pass
    _log(f"Sorties : {out / 'note.html'}, {out / 'note.pdf'} ; carnets exécutés dans {out / 'notebooks'}")
    return 0


if __name__ == "__main__":
    entrypoint.exit_now(main())
