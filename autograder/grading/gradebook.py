"""Class-level outputs: ``grades.csv`` and the nbgrader gradebook (through ``nbgrader.api``)."""
from __future__ import annotations

import csv
import io
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

from autograder.assignments.base import Question

from .results import write_atomic
from .student_result import StudentResult


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A CSV cell safe to open in a spreadsheet (OWASP CSV injection rule).

    Numbers stay numbers; a text cell starting with ``= + - @``, a tab or a carriage return
    gets a leading ``'`` so that no spreadsheet evaluates it as a formula.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def grades_csv(rows: dict[str, StudentResult], questions: list[Question]) -> str:
    """``student, score, max_score, <question id>... (points), status, review`` (flagged question ids)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")  # RFC 4180: a CR or LF inside a cell is quoted
    w.writerow([csv_cell(c) for c in ["student", "score", "max_score", *[q.id for q in questions],
                                      "status", "review"]])
    for student in sorted(rows):
        res = rows[student]
        points = [res.questions[q.id].points if q.id in res.questions else 0.0 for q in questions]
        review = " ".join(q.id for q in res.flagged)
        w.writerow([csv_cell(c) for c in [student, res.score, res.max_score, *points, res.status, review]])
    return buf.getvalue()


def write_grades_csv(path: Path, rows: dict[str, StudentResult], questions: list[Question]) -> None:
    """Write :func:`grades_csv` atomically."""
    write_atomic(path, grades_csv(rows, questions))


def update_gradebook(db_path: Path, assignment: str, questions: list[Question],
                     rows: dict[str, StudentResult]) -> None:
    """Create/update the assignment, notebooks, grade cells, students and submissions; set auto scores.

    Atomic: the update is made on a copy of the database that then replaces it (``os.replace``),
    so a kill at any moment leaves either the old or the new gradebook.

    Grade cells are the questions' hidden-test cells (``grade_id`` == question id), so the
    gradebook lines up with nbgrader's own autograde of the same notebooks.
    """
    # nbgrader runs the `alembic` script of its own environment: make it findable
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{db_path.name}.", dir=db_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if db_path.exists():
            shutil.copyfile(db_path, tmp)
        else:
            tmp.unlink()
        _update(tmp, assignment, questions, rows)
        os.replace(tmp, db_path)
    finally:
        tmp.unlink(missing_ok=True)


def _update(db_path: Path, assignment: str, questions: list[Question], rows: dict[str, StudentResult]) -> None:
    from nbgrader.api import Gradebook, MissingEntry

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
            for q in questions:
                grade = gb.find_grade(q.id, q.notebook, assignment, student)
                qr = res.questions.get(q.id)
                grade.auto_score = float(qr.points) if qr else 0.0
        gb.db.commit()
