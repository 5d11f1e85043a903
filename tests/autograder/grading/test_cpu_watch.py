"""The per-cell CPU-time budget is measured by the parent from /proc and kills a busy process
tree, while a process that only waits (wall time, no CPU) is left alone."""
import subprocess
import sys
import time

from autograder.grading.cpu_watch import CpuWatch, tree_cpu_seconds

BUSY = "import os\nif os.fork() == 0:\n    while True: pass\nwhile True: pass\n"  # CPU in a child too


def _start(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code], start_new_session=True)


def test_busy_tree_is_killed_after_its_cpu_budget():
    proc = _start(BUSY)
    try:
        with CpuWatch(proc.pid, budget_s=0.6, poll_s=0.05) as watch:
            proc.wait(timeout=60)
        assert watch.hit and watch.used_s > 0.6
        assert proc.returncode == -9
    finally:
        if proc.poll() is None:
            proc.kill()


def test_waiting_process_uses_no_cpu_budget():
    proc = _start("import time\ntime.sleep(1.5)\n")
    try:
        with CpuWatch(proc.pid, budget_s=0.5, poll_s=0.05) as watch:
            proc.wait(timeout=60)
        assert not watch.hit and proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_tree_cpu_counts_children():
    proc = _start(BUSY)
    try:
        deadline = time.monotonic() + 60  # a loaded machine gives the busy tree CPU slowly
        while tree_cpu_seconds(proc.pid) <= 0.3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert tree_cpu_seconds(proc.pid) > 0.3
    finally:
        import os
        import signal

        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
