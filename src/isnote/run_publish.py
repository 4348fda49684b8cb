"""Publishing a run: the staging folder, the register snapshot, the crash-safe swap of the new
outputs for the old, and the cleanup of what killed runs left.

A run works in `<out parent>/.<out name>.staging/stage-<pid>/` (same file system as `<out>`),
holding the lock `stage-<pid>.lock` for its whole life, and reads one copy of the review register
(`stage-<pid>.register.csv`). At the end the stage replaces `<out>` by one atomic swap (Linux
`renameat2(RENAME_EXCHANGE)`; elsewhere two renames through `previous-<pid>`). Leftovers of runs
whose lock is free (killed runs) are removed by the next run, which first puts back complete old
outputs that a publish killed between its two renames had moved aside.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .config import Params, load_params
from .run_plan import Step


def stage_path(final: Path) -> Path:
    """The scratch folder where this process stages a run of the outputs `final`."""
    return final.parent / f".{final.name}.staging" / f"stage-{os.getpid()}"


def drop_step_outputs(step: Step, layout) -> None:
    """Outputs of an earlier run of a step that no longer applies (its programme is absent)."""
    name = Path(step.notebook).stem
    for path in (layout.notebooks / step.notebook, layout.notebooks / f"{name}.html",
                 layout.state / "checks" / f"{name}.json"):
        path.unlink(missing_ok=True)
    for frag in (layout.state / "key_figures").glob(f"*{step.programme}*.json") if step.programme else ():
        frag.unlink(missing_ok=True)


def lock_stage(build_root: Path, stage: Path):
    """Hold a lock that marks `stage` as in use for as long as this process lives."""
    import fcntl
    fh = open(build_root / f"{stage.name}.lock", "w")
    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fh


SNAPSHOT_ENV = ("ISNOTE_REGISTER_SNAPSHOT", "ISNOTE_REGISTER_SOURCE")


def snapshot_register(params: Params, target: Path) -> Params:
    """Copy the review register once for the whole run and return the parameters that point to the
    copy (every step, in every kernel, reads it: `config.load_params` honours the variables).
    A register replaced during the run (an import) is seen by the next run, never by half of this one."""
    source = params.path("review_register")
    if not source.is_file():
        return params
    shutil.copyfile(source, target)
    os.environ[SNAPSHOT_ENV[0]] = str(target)
    os.environ[SNAPSHOT_ENV[1]] = str(source)
    if isinstance(params.get("review_register"), str):   # what load_params would now give, unparsed again
        snap = Params({**params, "review_register": str(target)}, params.source)
        snap.register_source = source
        return snap
    return load_params(params.source)


def staged_params(params: Params, stage: Path) -> Params:
    """The run's parameters writing into `stage` (as `load_params(source, output_dir=stage)`)."""
    staged = Params({**params, "output_dir": str(stage)}, params.source)
    staged.register_source = getattr(params, "register_source", None)
    return staged


def end_run(build_root: Path, stage: Path, lock) -> None:
    """Release what the run holds: environment, register snapshot, stage lock."""
    for name in SNAPSHOT_ENV:
        os.environ.pop(name, None)
    (build_root / f"{stage.name}.register.csv").unlink(missing_ok=True)
    lock.close()
    (build_root / f"{stage.name}.lock").unlink(missing_ok=True)


# what a run keeps beside its stages for the next one (never part of the outputs): the PDF's laid-out
# parts, the note's post-processed parts, the reviewer HTML's cells and compiled templates
CACHE_DIRS = {"pdf": "pdf-cache", "post": "post-cache", "side": "side-cache"}


def cache_dir(build_root: Path, kind: str) -> Path:
    """The folder of the cache `kind` (a key of CACHE_DIRS) beside the stages in `build_root`."""
    return Path(build_root) / CACHE_DIRS[kind]


def remove_abandoned_stages(build_root: Path, final: Path | None = None) -> None:
    """Clean up after runs that were killed (nobody holds their lock any more): remove their staging
    folder and register snapshot; outputs their publish had moved aside (`previous-PID`) are put
    back when the output folder is missing (killed between the two renames), removed otherwise."""
    import fcntl
    import re
    # old outputs swapped out by a publish with `defer_removal`: garbage from the start, nobody reads
    # them; this process's own are being removed by its thread
    for trash in build_root.glob("trash-*"):
        if not trash.name.startswith(f"trash-{os.getpid()}-"):
            shutil.rmtree(trash, ignore_errors=True)
    pids = {m.group(1) for d in build_root.iterdir()
            if (m := re.fullmatch(r"(?:stage|previous)-(\d+)(?:\.register\.csv|\.lock)?", d.name))}
    for pid in sorted(pids):
        lock = build_root / f"stage-{pid}.lock"
        try:
            with open(lock, "a") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)   # free: its run is gone
                previous = build_root / f"previous-{pid}"
                if previous.is_dir():
                    if final is not None and not final.exists():
                        os.replace(previous, final)             # the old outputs, complete
                    else:
                        shutil.rmtree(previous, ignore_errors=True)
                shutil.rmtree(build_root / f"stage-{pid}", ignore_errors=True)
                (build_root / f"stage-{pid}.register.csv").unlink(missing_ok=True)
            lock.unlink(missing_ok=True)
        except BlockingIOError:
            continue                                            # a run in progress


def publish(stage: Path, final: Path, build_root: Path, defer_removal: bool = False) -> None:
    """Replace `final` by `stage` so that readers see the old or the new outputs, never a mix.

    `final` (e.g. outputs/) is swapped with the staged folder by two renames; the old outputs are
    moved aside first and removed afterwards. Between the two renames `final` does not exist for a
    few microseconds: a reader sees "no outputs", never a mixture.
    `defer_removal` (the preview, a long-lived process): after the atomic swap the old outputs are
    renamed `trash-<pid>-<n>` and removed by a background thread, not on the way to the page; what
    a killed process left is removed by the next run (`remove_abandoned_stages`).
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists() and exchange(stage, final):
        # one atomic swap: `stage` now holds the old outputs; if the run is killed here, the next
        # run removes them as the leftover of a dead run
        if defer_removal:
            import threading
            import time
            trash = build_root / f"trash-{os.getpid()}-{time.monotonic_ns()}"
            try:
                os.replace(stage, trash)
            except OSError:     # never removed in the background under the name of the next stage
                shutil.rmtree(stage, ignore_errors=True)
                return
            threading.Thread(target=shutil.rmtree, args=(trash,), kwargs={"ignore_errors": True},
                             daemon=True).start()
            return
        shutil.rmtree(stage, ignore_errors=True)
        return
    old = build_root / f"previous-{os.getpid()}"
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.replace(final, old)
    try:
        os.replace(stage, final)
    except BaseException:
        if old.exists() and not final.exists():
            os.replace(old, final)                     # put the old outputs back
        raise
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    import ctypes
    import errno
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))
