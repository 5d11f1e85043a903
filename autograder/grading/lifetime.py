"""Tie processes of a grading run to the run: nothing survives a ``kill -9`` of the grader.

* :func:`die_with_parent` (Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``): called in each
  pool worker's initializer, and in each sandbox launcher (``setpriv --pdeathsig``), so
  killing the grader kills its workers, and a dead worker takes its sandboxes with it
  (:func:`kill_me_with_parent` as the sandbox launcher's ``preexec_fn``; inside, ``unshare
  --kill-child`` and the PID namespace do the rest). Without namespaces the runner that the
  launcher forks sets the death signal again after its uid change (``sandbox_boot``); processes the
  student's code starts itself are then reaped by uid on a normal close, not after a SIGKILL.
* :class:`OutputLock`: ``fcntl.flock`` on ``<out>/.lock`` so two runs never write into one
  output folder; the kernel releases it when the holder dies, however it dies.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def _libc_prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _libc_prctl()  # resolved at import: a preexec_fn must not load libraries after fork


def kill_me_with_parent() -> None:
    """``preexec_fn`` for ``subprocess.Popen``: the child gets SIGKILL when the process that started it
    dies (only a ctypes call: safe between fork and exec)."""
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def die_with_parent(sig: int = signal.SIGKILL, expected_parent: int | None = None) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies; returns whether it could.

    If the parent is already gone (this process was reparented to init or a subreaper, so its
    parent is no longer ``expected_parent``), exits at once.
    """
    if _PRCTL is None:
        return False
    parent = os.getppid() if expected_parent is None else expected_parent
    if _PRCTL(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    if os.getppid() != parent or parent == 1:  # the parent died before prctl took effect
        os._exit(1)
    return True


class LockedError(RuntimeError):
    """Another grading run holds the output folder."""


class OutputLock:
    """Exclusive lock on ``<out>/.lock`` holding the owner's pid (a context manager)."""

    def __init__(self, out: Path):
        self.path = Path(out) / ".lock"
        self.fd: int | None = None

    def acquire(self) -> "OutputLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                os.close(fd)
                raise
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise LockedError(f"another grading run is writing to {self.path.parent} (pid {pid}); "
                              "wait for it to finish or stop it") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing drops the flock
            self.fd = None

    def __enter__(self) -> "OutputLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
