"""Class-level outputs: ``grades.csv`` and the nbgrader gradebook (through ``nbgrader.api``)."""
from __future__ import annotations

import csv
import io
import os
import sys
import warnings
from pathlib import Path

from autograder.assignments.base import Question

from .results import write_atomic


def write_grades_csv(path: Path, rows: dict[str, dict], questions: list[Question]) -> None:
    """One row per student: ``student, score, max_score, <question id>...`` (points), atomically."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "score", "max_score", *[q.id for q in questions]])
    for student in sorted(rows):
        res = rows[student]
        by_id = {t["name"].rsplit("[", 1)[-1].rstrip("]"): t["score"] for t in res.get("tests", [])}
        w.writerow([student, res["score"], res["max_score"], *[by_id.get(q.id, 0.0) for q in questions]])
    write_atomic(path, buf.getvalue())


def update_gradebook(db_path: Path, assignment: str, questions: list[Question], rows: dict[str, dict]) -> None:
    """Create/update the assignment, notebooks, grade cells, students and submissions; set auto scores.

    Grade cells are the questions' hidden-test cells (``grade_id`` == question id), so the
    gradebook lines up with nbgrader's own autograde of the same notebooks.
    """
    from nbgrader.api import Gradebook, MissingEntry

    # nbgrader runs the `alembic` script of its own environment: make it findable
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{db_path}") as gb:
        warnings.simplefilter("ignore")  # SQLAlchemy notes from inside nbgrader's add_submission
        gb.update_or_create_assignment(assignment)
        for stem in sorted({q.notebook for q in questions}):
            gb.update_or_create_notebook(stem, assignment)
        for q in questions:
            gb.update_or_create_grade_cell(q.id, q.notebook, assignment, max_score=float(q.points),
                                           cell_type="code")
        for student, res in sorted(rows.items()):
            gb.update_or_create_student(student)
            try:
                gb.find_submission(assignment, student)
            except MissingEntry:
                gb.add_submission(assignment, student)
            by_id = {t["name"].rsplit("[", 1)[-1].rstrip("]"): t for t in res.get("tests", [])}
            for q in questions:
                grade = gb.find_grade(q.id, q.notebook, assignment, student)
                test = by_id.get(q.id)
                grade.auto_score = float(test["score"]) if test else 0.0
        gb.db.commit()
