"""Gradescope ``results.json`` and crash-safe file writes.

Schema (Gradescope autograder specification): top level ``score``,
``max_score``, ``execution_time`` (s), ``output`` (text), ``tests``: list of
``{name, score, max_score, status: "passed"|"failed", output, visibility}``.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .runner import NotebookReport, Outcome


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


def test_entry(o: Outcome, visibility: str = "visible") -> dict:
    status = "passed" if o.result.passed else "failed"
    return {"name": f"{o.question.notebook}: {o.question.title or o.question.id} [{o.question.id}]",
            "score": o.points, "max_score": float(o.question.points), "status": status,
            "output": o.result.message, "visibility": visibility}


def build_results(reports: list[NotebookReport], execution_time: float, extra: dict | None = None,
                  pending: list | None = None) -> dict:
    """The Gradescope dict for one student; ``pending`` questions (not graded yet) count 0 and say so."""
    tests, lines = [], []
    for rep in reports:
        tests += [test_entry(o) for o in rep.outcomes]
        lines += [f"[{rep.stem}] {n}" for n in rep.notes + rep.cell_errors]
    for q in pending or []:
        tests.append({"name": f"{q.notebook}: {q.title or q.id} [{q.id}]", "score": 0.0,
                      "max_score": float(q.points), "status": "failed", "visibility": "visible",
                      "output": "not graded (the grader stopped before this question: time limit)"})
    out = {"score": round(sum(t["score"] for t in tests), 4),
           "max_score": float(sum(t["max_score"] for t in tests)),
           "execution_time": round(execution_time, 2),
           "output": "\n".join(lines) or "all notebooks ran",
           "tests": tests}
    if extra:
        out["extra_data"] = extra
    return out


def dumps(results: dict) -> str:
    return json.dumps(results, indent=1, sort_keys=True) + "\n"
