"""A helper process ends by itself, with the code asked, once the process it works for is gone."""

import subprocess
import sys
import textwrap
import time


def test_ends_once_the_parent_is_gone():
    code = textwrap.dedent("""
        import subprocess, sys, time
        from isnote.parentwatch import end_with
        parent = subprocess.Popen(["sleep", "0.3"])      # stands for the run's process
        end_with(parent.pid, interval=0.05, code=7)
        parent.wait()                                     # gone (reaped)
        time.sleep(10)
        sys.exit(0)                                       # not reached
    """)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 7, proc.stderr
    assert time.perf_counter() - t < 8


def test_keeps_running_while_the_parent_lives():
    code = textwrap.dedent("""
        import os, time
        from isnote.parentwatch import end_with
        end_with(os.getppid(), interval=0.05, code=7)
        time.sleep(0.5)
        print("done")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "done", proc.stderr
