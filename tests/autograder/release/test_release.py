"""Release and nbgrader autograde on a small fixture assignment (``fx``)."""
import json
import os
from pathlib import Path

import pytest

from autograder import paths
from autograder.release import autograde as ag
from autograder.release.course import build_course
from autograder.release.drift import check_drift, release

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture()
def fixture_sources(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "SOLUTIONS_DIR", FIXTURES)
    monkeypatch.setattr("autograder.release.drift.ASSIGNMENTS_DIR", tmp_path / "assignments")
    return tmp_path


def _cells(nb_path):
    return json.loads(nb_path.read_text())["cells"]


def test_release_strips_solutions_and_hidden_tests(fixture_sources):
    """Does the student version keep signatures and public tests but lose the solution and hidden tests?"""
    written = release("fx", fixture_sources / "course")
    text = written[0].read_text()
    assert "raise NotImplementedError()" in text and "def add_one(x):" in text
    assert "return x + 1" not in text
    assert "grade_in_notebook" not in text and "HIDDEN TESTS" not in text
    assert "add_one(1) == 2" in text  # the public test stays
    assert "import arkit" in "".join(_cells(written[0])[0]["source"])  # install cell first


def test_release_is_reproducible(fixture_sources):
    """Does a second release produce byte-identical notebooks (no drift)?"""
    release("fx", fixture_sources / "course")
    assert check_drift("fx") == []
    target = fixture_sources / "assignments" / "fx" / "01_demo.ipynb"
    target.write_text(target.read_text().replace("Return x + 1", "Return x + 2"))
    assert check_drift("fx") == ["01_demo.ipynb"]


def test_autograde_solution_full_marks_blank_zero(fixture_sources):
    """Does nbgrader autograde give the solution full marks and the blank release zero?"""
    course = fixture_sources / "course"
    released = build_course("fx", course)
    ag.submit(course, "fx", "solution", sorted((course / "source" / "fx").glob("*.ipynb")))
    ag.submit(course, "fx", "blank", sorted(released.glob("*.ipynb")))
    env = {"PYTHONPATH": os.pathsep.join([str(FIXTURES), os.environ.get("PYTHONPATH", "")])}
    for student in ("solution", "blank"):
        ag.autograde(course, "fx", student, env=env, timeout=300)
    assert ag.read_scores(course, "fx", "solution") == {"01_demo": {"fx_add_test": (3.0, 3.0)}}
    assert ag.read_scores(course, "fx", "blank") == {"01_demo": {"fx_add_test": (0.0, 3.0)}}
