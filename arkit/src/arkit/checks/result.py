"""The one result type every check returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CheckResult:
    """Outcome of one check.

    Attributes:
        name: short identifier, e.g. ``"made_masks.autoregressive"``.
        passed: whether the check passed.
        score: fraction of credit in [0, 1] (1.0 when passed unless partial credit applies).
        message: what a student reads: the cause, in the student's terms, and what to fix.
        details: machine-readable facts (offending pairs, coverage, measured values).
        figure: optional matplotlib Figure (dependency heatmap, samples, ...).
    """

    name: str
    passed: bool
    score: float
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    figure: Any = None

    def __post_init__(self) -> None:
        self.score = float(min(1.0, max(0.0, self.score)))

    @classmethod
    def ok(cls, name: str, message: str = "ok", **details: Any) -> "CheckResult":
        return cls(name, True, 1.0, message, dict(details))

    @classmethod
    def fail(cls, name: str, message: str, score: float = 0.0, **details: Any) -> "CheckResult":
        return cls(name, False, score, message, dict(details))

    def raise_if_failed(self) -> "CheckResult":
        """Raise ``AssertionError(message)`` if the check failed (for notebook test cells)."""
        if not self.passed:
            raise AssertionError(f"[{self.name}] {self.message}")
        return self

    def __bool__(self) -> bool:  # ``assert check(...)`` reads naturally
        return self.passed

    def __str__(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        return f"{status} {self.name} ({self.score:.2f}): {self.message}"


def combine(name: str, results: list[CheckResult]) -> CheckResult:
    """All-of combination: passes iff every part passes; score is the mean score;
    the message lists the failing parts first."""
    if not results:
        return CheckResult.fail(name, "no checks were run")
    failed = [r for r in results if not r.passed]
    score = sum(r.score for r in results) / len(results)
    if failed:
        msg = "; ".join(f"{r.name}: {r.message}" for r in failed)
        return CheckResult(name, False, score, msg, {"parts": [r.name for r in results]},
                           next((r.figure for r in failed if r.figure is not None), None))
    return CheckResult(name, True, score, "all parts passed", {"parts": [r.name for r in results]})
