"""What the command-line entry points share (`python -m isnote.pipeline`, `python -m isnote.preview`):
the `--params` argument, the French error exit (`ERREUR : ...`, status 2, no traceback) and the
quick exit once everything is written."""

from __future__ import annotations

import os
import sys

from .errors import IsnoteError

PARAMS_HELP = "parameters file (default params/demo.yaml)"


def add_params(parser, *, required: bool = False) -> None:
    parser.add_argument("--params", default=None, required=required, help=PARAMS_HELP)


def error_exit(exc: BaseException, suffix: str = "") -> int:
    """Print the French message of a bad input or a failed file operation; return the exit status 2."""
    if isinstance(exc, OSError):
        from .outputs_guard import os_error_message
        print(f"ERREUR : {os_error_message(exc)}{suffix}", file=sys.stderr)
    else:
        print(f"ERREUR : {exc}", file=sys.stderr)
    return 2


def guarded(fn, *args, os_suffix: str = "", **kwargs):
    """Call `fn`; (result, None) or, for an IsnoteError or an OSError, (None, exit status 2) after
    printing the French message (`os_suffix` is added to an OSError's)."""
    try:
        return fn(*args, **kwargs), None
    except IsnoteError as exc:
        return None, error_exit(exc)
    except OSError as exc:
        return None, error_exit(exc, os_suffix)


def exit_now(code: int) -> None:
    """End the process once everything is written and closed: flush, then skip the interpreter's
    teardown (zmq contexts and kernel clients of a finished run take about half a second to be
    garbage-collected). The PDF's worker processes, if any, are stopped first, and multiprocessing's
    exit work is done (its temporary folder would be left behind otherwise)."""
    pdfparts = sys.modules.get("isnote.pdfparts")
    if pdfparts is not None:
        pdfparts.stop_pool()
    mp_util = sys.modules.get("multiprocessing.util")
    if mp_util is not None:     # what multiprocessing does at a normal exit: among others, remove the
        mp_util._exit_function()    # temporary folder of the PDF workers' server (/tmp/pymp-…)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
