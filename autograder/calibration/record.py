"""Measurements for calibration, read from graded results (no side channel).

A threshold question reports what it measured in its result's ``details``:
``{"dataset": <name>, "nats_per_dim": <float>}`` (``check_threshold`` does; questions that
combine several datasets keep one such dict per part, e.g. under ``details["parts"]``).
:func:`measurements` collects them from a
:class:`~autograder.grading.student_result.StudentResult`, whatever the question's score or
status (a missing threshold is expected during calibration). Unit: **nats/dim**; a question that
grades an accuracy reports ``{"dataset": ..., "error_rate": 1 - accuracy}`` instead (lower is better,
so the same margin rule applies; e.g. hw2's ``fisher_classifier_test``).
"""
from __future__ import annotations

import math
from typing import Any, Iterator


def _walk(details: Any) -> Iterator[tuple[str, float]]:
    if isinstance(details, dict):
        ds, v = details.get("dataset"), details.get("nats_per_dim")
        if v is None:                       # accuracy questions record 1 - accuracy (lower is better)
            v = details.get("error_rate")
        if isinstance(ds, str) and isinstance(v, (int, float)) and not isinstance(v, bool):
            yield ds, float(v)
        for value in details.values():
            if isinstance(value, (dict, list)):
                yield from _walk(value)
    elif isinstance(details, list):
        for value in details:
            yield from _walk(value)


def from_details(question: str, details: dict) -> dict[tuple[str, str], float]:
    """``{(question, dataset): nats/dim}`` found in one result's ``details`` (finite values only)."""
    return {(question, ds): value for ds, value in _walk(details) if math.isfinite(value)}


def measurements(result) -> dict[tuple[str, str], float]:
    """``{(question id, dataset): nats/dim}`` measured while grading ``result`` (finite values only).

    ``result``: a :class:`~autograder.grading.student_result.StudentResult`.
    """
    out: dict[tuple[str, str], float] = {}
    for qid, q in result.questions.items():
        out.update(from_details(qid, q.details))
    return out
