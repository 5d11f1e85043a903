"""Public checks: pure functions returning :class:`CheckResult`.

They need no reference solution, so students may run them. The grader uses
the same functions on the trusted side.
"""
from arkit.checks.result import CheckResult, combine

__all__ = ["CheckResult", "combine"]
