"""CPU-time budget of one notebook cell, measured by the trusted parent from ``/proc``.

A cell's *CPU-time* limit is what is meant by "this cell may compute for N seconds": it does
not shrink when the machine is loaded (CI, a class graded with many workers), unlike wall
time. The parent samples the CPU seconds (user + system, including reaped children) of the
sandbox's whole process tree while the cell runs and kills the sandbox when the cell used more
than its budget. Wall-clock limits stay as a generous outer bound (a cell that sleeps or
waits uses no CPU). Nothing here trusts the child: the numbers come from the kernel.
"""
from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
POLL_S = 0.25


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system, plus reaped children) of ``root`` and all its descendants."""
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))) is not None:
            stats[int(entry)] = st
    children: dict[int, list[int]] = {}
    for pid, st in stats.items():
        children.setdefault(int(st[1]), []).append(pid)
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in stats:
            continue
        seen.add(pid)
        st = stats[pid]
        total += sum(int(v) for v in st[11:15])  # utime, stime, cutime, cstime (fields 14-17)
        todo += children.get(pid, [])
    return total / TICK


class CpuWatch:
    """Kill the process group of ``pid`` once its tree used ``budget_s`` CPU seconds since :meth:`start`.

    Use as a context manager around one cell; ``hit`` says whether the budget was exceeded and
    ``used_s`` how much CPU the cell used (measured at the end or at the kill).
    """

    def __init__(self, pid: int, budget_s: float | None, poll_s: float = POLL_S):
        self.pid, self.budget_s, self.poll_s = pid, budget_s, poll_s
        self.hit = False
        self.used_s = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._base = 0.0

    def __enter__(self) -> "CpuWatch":
        self._base = tree_cpu_seconds(self.pid)
        if self.budget_s is not None and self.budget_s > 0:
            self._thread = threading.Thread(target=self._run, name="cpu-watch", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            self.used_s = tree_cpu_seconds(self.pid) - self._base
            if self.used_s > self.budget_s:
                self.hit = True
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                return

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if not self.hit:
            self.used_s = max(self.used_s, tree_cpu_seconds(self.pid) - self._base)
