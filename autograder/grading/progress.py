"""Progress of a class: a tqdm bar on a terminal, one line per student elsewhere, a summary at the end.

Modes (``--progress``): ``bar`` (tqdm on stderr), ``lines`` (one line per finished student on
stderr: ``[3/40] alice 7.5/8 points, 12.3 s``; what CI logs and ``nohup`` see), ``none``.
Default: ``bar`` when stderr is a terminal, else ``lines``.
"""
from __future__ import annotations

import sys
from typing import TextIO

MODES = ("bar", "lines", "none")


def default_mode(stream: TextIO | None = None) -> str:
    stream = stream or sys.stderr
    try:
        return "bar" if stream.isatty() else "lines"
    except (AttributeError, ValueError):
        return "lines"


class ClassProgress:
    """Counts graded / failed / skipped students and reports each one as it finishes."""

    def __init__(self, total: int, mode: str | None = None, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.mode = mode or default_mode(self.stream)
        if self.mode not in MODES:
            raise ValueError(f"progress mode must be one of {MODES}, got {mode!r}")
        self.graded = self.failed = self.skipped = 0
        self.total = total
        self.times: list[tuple[float, str]] = []
        self.bar = None
        if self.mode == "bar":
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit="student", desc="grading", file=self.stream, dynamic_ncols=True)

    @property
    def done(self) -> int:
        return self.graded + self.failed + self.skipped

    def update(self, status: str, student: str = "", score: float | None = None,
               max_score: float | None = None, seconds: float | None = None) -> None:
        """status: ``"graded"``, ``"failed"`` (internal error) or ``"skipped"`` (unchanged since last run)."""
        setattr(self, status, getattr(self, status) + 1)
        if seconds is not None and status != "skipped":
            self.times.append((seconds, student))
        if self.bar is not None:
            self.bar.set_postfix(graded=self.graded, failed=self.failed, skipped=self.skipped,
                                 remaining=self.total - self.done, refresh=False)
            self.bar.update(1)
        elif self.mode == "lines" and status != "skipped":
            what = f"{score:g}/{max_score:g} points" if score is not None and max_score is not None else ""
            what = "FAILED (internal grader error)" if status == "failed" else what
            took = f", {seconds:.1f} s" if seconds is not None else ""
            print(f"[{self.done}/{self.total}] {student} {what}{took}", file=self.stream, flush=True)

    def summary(self) -> str:
        """``graded N, failed F, skipped S (unchanged); slowest: alice 41.2 s, ...``."""
        text = f"graded {self.graded}, failed {self.failed}, skipped {self.skipped} (unchanged)"
        slow = sorted(self.times, reverse=True)[:3]
        if slow:
            text += "; slowest: " + ", ".join(f"{s} {t:.1f} s" for t, s in slow)
        return text

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
