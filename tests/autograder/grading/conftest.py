"""Shared helpers for the grading-pipeline tests."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def grade_cli(subs: Path, out: Path, *extra: str) -> int:
    """Run ``autograder grade fx1`` on the fixture assignment (in-process)."""
    from autograder.grading import cli
    from fixture_assignment.build import QUESTIONS, SOURCE_DIR

    return cli.main(["fx1", str(subs), "--out", str(out), "--source-dir", str(SOURCE_DIR),
                     "--questions", str(QUESTIONS), "--profile", "ci", *extra])


def read_results(out: Path, student: str) -> dict:
    return json.loads((out / student / "results.json").read_text())


def by_question(res: dict) -> dict[str, dict]:
    """Gradescope tests keyed by question id (from ``extra_data``, never parsed from the display name)."""
    return {t["extra_data"]["question_id"]: t for t in res["tests"]}


def read_student(out: Path, student: str):
    """The typed :class:`StudentResult` the pipeline wrote for ``student``."""
    from autograder.grading.student_result import StudentResult

    return StudentResult.loads((out / student / "result.json").read_text())


@pytest.fixture(scope="session")
def sandbox_ok() -> bool:
    from autograder.grading.sandbox import probe_isolation

    return probe_isolation().namespaces and probe_isolation().uid_drop


@pytest.fixture(scope="session")
def hw1_graded(tmp_path_factory):
    """The hw1 example submissions (``autograder.examples``) graded once per session by the
    sandboxed pipeline: ``(root, students, rows, out)``; ``root / "examples"`` holds the course
    and the ``submitted/<student>/hw1`` notebooks (also graded by nbgrader in
    ``test_hw1_paths_agree.py``)."""
    from autograder.examples import build_examples
    from autograder.grading import cli as grade_cli
    from autograder.grading import pipeline
    from autograder.paths import SOLUTIONS_DIR

    root = tmp_path_factory.mktemp("hw1_examples")
    students = build_examples("hw1", root / "examples")
    out = root / "grades"
    args = grade_cli.parser().parse_args(["hw1", str(root / "examples"), "--out", str(out), "--workers", "2",
                                          "--profile", "ci", "--source-dir", str(SOLUTIONS_DIR / "hw1")])
    rows = pipeline.run(grade_cli.config_from_args(args))
    return root, students, rows, out
