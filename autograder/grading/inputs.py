"""Find the submissions to grade (compatibility name for :mod:`autograder.grading.intake`).

``inputs.discover(path, assignment, stems, mapping=None)`` and ``inputs.Submission``
keep working; the layouts, naming rules and limits are in ``docs/submissions.md``.
"""
from .intake import (KINDS, MAX_NOTEBOOK_BYTES, IntakeError, Notebooks, Problem, Submission, SubmissionChanged,
                     discover, instructor_report, parse_map_args)

__all__ = ["discover", "parse_map_args", "instructor_report", "Submission", "Problem", "IntakeError", "KINDS",
           "MAX_NOTEBOOK_BYTES", "Notebooks", "SubmissionChanged"]
