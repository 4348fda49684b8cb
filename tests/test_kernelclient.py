"""The run's kernel client (isnote.kernelclient): ready once the kernel answered, and still a
working client: a notebook's code runs and its output comes back; a dead kernel is reported."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow      # starts a real kernel


@pytest.fixture
def km():
    from jupyter_client.manager import KernelManager

    from isnote.config import KERNEL_NAME
    from isnote.run_execute import CLIENT_CLASS

    manager = KernelManager(kernel_name=KERNEL_NAME, client_class=CLIENT_CLASS)
    manager.start_kernel(extra_arguments=["--IPKernelApp.log_level=ERROR", "--HistoryManager.enabled=False"])
    yield manager
    if manager.has_kernel:
        manager.shutdown_kernel(now=True)


def _run(kc, code: str) -> list[str]:
    texts: list[str] = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            texts.append(msg["content"]["text"])

    reply = kc.execute_interactive(code, timeout=30, output_hook=hook)
    assert reply["content"]["status"] == "ok"
    return texts


def test_ready_client_runs_code_in_each_new_client(km):
    from isnote.kernelclient import ReadyClient

    for k in range(3):               # a new client per notebook, as papermill makes them
        kc = km.client()
        assert isinstance(kc, ReadyClient)
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=30)
            assert _run(kc, f"print('tour', {k})") == [f"tour {k}\n"]
        finally:
            kc.stop_channels()


def test_ready_client_reports_a_dead_kernel(km):
    kc = km.client()
    km.shutdown_kernel(now=True)
    kc.start_channels()
    try:
        with pytest.raises(RuntimeError):
            kc.wait_for_ready(timeout=5)
    finally:
        kc.stop_channels()


def test_close_clients_stops_what_papermill_left_open(km):
    """nbclient does not stop the channels of the client it made on a kernel it does not own."""
    from isnote.kernelclient import close_clients

    left = km.client()
    left.start_channels()
    left.wait_for_ready(timeout=30)
    assert left.channels_running and left.hb_channel.is_alive()
    assert close_clients(km) == 1
    assert not left.channels_running and not left.hb_channel.is_alive()
    assert close_clients(km) == 0
