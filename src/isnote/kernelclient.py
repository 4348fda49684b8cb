"""The client of the run's kernels: ready as soon as the kernel has answered, without the stock
client's wait for 0.2 s of silence on IOPub.

papermill (through nbclient) opens a new client of the kernel for every notebook and waits until it
is ready. jupyter_client's `wait_for_ready` asks for `kernel_info`, checks that IOPub delivers a
message (a subscriber socket connected late misses what was published before it joined), and then
drains IOPub until nothing has come for 0.2 s. That last wait costs 0.2 s of wall time per notebook
and per kernel start, in the middle of the run: two notebooks run one after the other in a kernel
(typology then IEJ results) pay it three times on the path a register change waits for.

Nothing depends on that silence: nbclient takes from IOPub only the messages answering the cell it
executes (by their parent's id) and ignores the rest; the kernel's `status` messages that answer
`kernel_info` may arrive later and are ignored the same way. So `ReadyClient` keeps the handshake
(kernel_info reply, then one IOPub message) and drains only what is already queued.

The kernel managers of `run_execute.KernelPool` name this class (`run_execute.CLIENT_CLASS`) as
their client class; jupyter_client imports it when the first client is made.
"""

from __future__ import annotations

import threading
import time
from queue import Empty

from jupyter_client.blocking import BlockingKernelClient

# clients whose channels are started (strong references: a client dropped by its user without
# stopping its channels leaves them running, threads and sockets included)
_OPEN: set = set()
_OPEN_LOCK = threading.Lock()

IOPUB_CHECK_S = 0.2      # how long to wait for IOPub's first message after each kernel_info reply


class ReadyClient(BlockingKernelClient):
    def start_channels(self, *args, **kwargs) -> None:
        super().start_channels(*args, **kwargs)
        with _OPEN_LOCK:
            _OPEN.add(self)

    def stop_channels(self) -> None:
        with _OPEN_LOCK:
            _OPEN.discard(self)
        super().stop_channels()

    def wait_for_ready(self, timeout: float | None = None) -> None:
        """Return once the kernel answered `kernel_info` and IOPub delivered a message; raise
        RuntimeError if the kernel died or did not answer within `timeout` seconds."""
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = self.get_shell_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    self.get_iopub_msg(timeout=IOPUB_CHECK_S)
                except Empty:
                    pass              # IOPub not connected yet: ask again
                else:
                    self._handle_kernel_info_reply(reply)
                    break
            if not self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
        while True:                   # what is already queued, without waiting for more
            try:
                self.get_iopub_msg(timeout=0)
            except Empty:
                break


def close_clients(km) -> int:
    """Stop the channels of the clients of kernel manager `km` still open; return how many.

    nbclient leaves the channels of the client it made open when the kernel is not its own (the
    run's kernels are the pool's): each notebook would leave a zmq context, its sockets and
    threads behind, about 40 file descriptors per rebuild of the preview, until the process runs
    out of them. Called by `run_execute.run_notebook` once the notebook ran (its kernel runs one
    notebook at a time)."""
    with _OPEN_LOCK:
        mine = [kc for kc in _OPEN if kc.parent is km]
    for kc in mine:
        kc.stop_channels()
    return len(mine)
