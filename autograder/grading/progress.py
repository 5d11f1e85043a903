"""A tqdm bar for a class: graded / failed / skipped / remaining, with ETA."""
from __future__ import annotations

import sys

from tqdm.auto import tqdm


class ClassProgress:
    """Counts outcomes and shows them on one bar (on stderr; disabled when not a TTY unless forced)."""

    def __init__(self, total: int, enabled: bool | None = None):
        self.graded = self.failed = self.skipped = 0
        self.total = total
        self.bar = tqdm(total=total, unit="student", desc="grading", file=sys.stderr,
                        disable=(not sys.stderr.isatty()) if enabled is None else not enabled, dynamic_ncols=True)

    def update(self, status: str) -> None:
        """status: ``"graded"``, ``"failed"`` (internal error) or ``"skipped"`` (unchanged since last run)."""
        setattr(self, status, getattr(self, status) + 1)
        self.bar.set_postfix(graded=self.graded, failed=self.failed, skipped=self.skipped,
                             remaining=self.total - self.graded - self.failed - self.skipped, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()
