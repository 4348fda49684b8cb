"""End a helper process as soon as the process it works for is gone.

The pipeline's kernels, the PDF's worker processes and the forked side work all write into the
staging folder of one run; when that run is killed, each ends by itself instead of writing into a
folder the next run is cleaning. They are not always the run's children in the sense the system
helps with (kernels run in their own session, a container may never reparent to PID 1), so each
checks for the run's process itself, a few times a second, from a daemon thread."""

from __future__ import annotations

import os
import threading
import time


def end_with(parent: int, interval: float = 0.2, code: int = 1) -> None:
    """Start a thread that ends this process with `code` (no clean-up: `os._exit`) once `parent`
    no longer exists."""
    def watch() -> None:
        while True:
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(code)
            except PermissionError:  # pragma: no cover - a process of another user took the PID
                os._exit(code)
            time.sleep(interval)

    threading.Thread(target=watch, name="isnote-parent-watch", daemon=True).start()
