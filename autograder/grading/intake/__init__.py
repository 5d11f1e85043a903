"""Intake of submissions: who handed in what, from the LMS's own keys.

``discover(path, assignment, stems, mapping=None)`` -> ``list[Submission]``;
``parse_map_args(["file=notebook", ...])`` builds ``mapping`` from ``--map``.
Accepted layouts: :mod:`.layouts` and ``docs/submissions.md``.
"""
from .discover import discover
from .model import KINDS, MAX_NOTEBOOK_BYTES, IntakeError, Problem, Submission
from .naming import parse_map_args
from .notebooks import Notebooks, SubmissionChanged


def instructor_report(subs: list[Submission]) -> list[str]:
    """One line per intake problem, for the instructor's console (names the other file of a collision)."""
    return [p.for_instructor() for s in subs for p in s.problems]


__all__ = ["discover", "parse_map_args", "instructor_report", "Submission", "Problem", "IntakeError", "KINDS",
           "MAX_NOTEBOOK_BYTES", "Notebooks", "SubmissionChanged"]
