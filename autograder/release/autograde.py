"""Run ``nbgrader autograde`` on a course directory and read the scores back.

This is the classic nbgrader path (student code and hidden tests in one
kernel). The sandboxed pipeline in ``autograder.grading`` is the safer one;
this path exists so that instructors who already use nbgrader get the same
questions and thresholds.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from autograder.release.course import run_nbgrader


def submit(course_dir: Path, assignment: str, student: str, notebooks: list[Path]) -> Path:
    """Copy ``notebooks`` into ``course_dir/submitted/<student>/<assignment>/``."""
    dest = course_dir / "submitted" / student / assignment
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for nb in notebooks:
        shutil.copy2(nb, dest / nb.name)
    return dest


def autograde(course_dir: Path, assignment: str, student: str, env: dict | None = None,
              timeout: float | None = None):
    """``nbgrader autograde <assignment> --student <student> --force`` in ``course_dir``;
    returns the finished process (its log is in ``stdout``/``stderr``)."""
    return run_nbgrader(course_dir, "autograde", assignment, "--student", student, "--force",
                        env=env, timeout=timeout)


def read_scores(course_dir: Path, assignment: str, student: str) -> dict[str, dict[str, tuple[float, float]]]:
    """Scores from the gradebook: ``{notebook: {grade_id: (score, max_score)}}``."""
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    from nbgrader.api import Gradebook

    db_url = "sqlite:///" + str((course_dir / "gradebook.db").resolve())
    out: dict[str, dict[str, tuple[float, float]]] = {}
    with Gradebook(db_url) as gb:
        submission = gb.find_submission(assignment, student)
        for nb in submission.notebooks:
            out[nb.name] = {g.name: (float(g.score), float(g.max_score)) for g in nb.grades
                            if g.cell.max_score}
    return out
