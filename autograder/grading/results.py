"""Gradescope ``results.json`` (a writer of :class:`StudentResult`) and crash-safe file writes.

Schema (Gradescope autograder specification): top level ``score``,
``max_score``, ``execution_time`` (s), ``output`` (text), ``tests``: list of
``{name, score, max_score, status: "passed"|"failed", output, visibility}``.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .student_result import QuestionResult, StudentResult, json_safe


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``path`` via a temp file in the same folder and ``os.replace``: a kill never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def test_entry(q: QuestionResult, visibility: str = "visible", hint_level: str | None = None) -> dict:
    """One Gradescope test; ``extra_data`` carries the question id, status and the instructor's
    review flags (never parse ``name``; flags are not in the student-visible ``output``).
    ``output`` is the message, plus the hint at hint level ``fix`` (:func:`.hints.student_text`)."""
    from .hints import student_text

    return {"name": f"{q.notebook}: {q.title or q.id} [{q.id}]", "score": q.points,
            "max_score": float(q.max_points), "status": "passed" if q.passed else "failed",
            "output": student_text(q, hint_level), "visibility": visibility,
            "extra_data": {"question_id": q.id, "status": q.status, "flags": list(q.flags)}}


def gradescope(result: StudentResult, hint_level: str | None = None) -> dict:
    """The Gradescope ``results.json`` dict rendering ``result`` (pending questions count 0 and say so)."""
    from .hints import clean_error

    lines = [result.output] if result.output else []
    for stem in sorted(set(result.notes) | set(result.cell_errors)):
        prefix = f"[{stem}] " if stem else ""
        lines += [prefix + n for n in result.notes.get(stem, [])]
        lines += [prefix + clean_error(n) for n in result.cell_errors.get(stem, [])]
    out = {"score": result.score, "max_score": result.max_score,
           "execution_time": round(result.execution_time_s, 2),
           "output": "\n".join(lines) or "all notebooks ran",
           "tests": [test_entry(q, hint_level=hint_level) for q in result.questions.values()],
           "extra_data": {"sandbox": json_safe(result.sandbox), "key": result.key, "status": result.status,
                          "student": result.student}}
    return out


def dumps(results: dict) -> str:
    return json.dumps(results, indent=1, sort_keys=True) + "\n"
