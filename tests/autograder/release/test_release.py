"""Release and nbgrader autograde on a small fixture assignment (``fx``)."""
import csv
import json
import os
import shutil
from pathlib import Path

import pytest

from autograder import paths
from autograder.release import autograde as ag
from autograder.release.course import build_course, run_nbgrader
from autograder.release.drift import check_drift, release

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture()
def fixture_sources(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "SOLUTIONS_DIR", FIXTURES)
    monkeypatch.setattr("autograder.release.drift.ASSIGNMENTS_DIR", tmp_path / "assignments")
    return tmp_path


def _cells(nb_path):
    return json.loads(nb_path.read_text())["cells"]


def test_release_strips_solutions_and_hidden_tests(fixture_sources):
    """Does the student version keep signatures and public tests but lose the solution and hidden tests,
    fill the How-to-submit cell from the configuration and install the kit at its pinned version?"""
    from autograder.colab_config import SUBMIT_TO, load_config

    written = release("fx", fixture_sources / "course")
    text = written[0].read_text()
    assert "raise NotImplementedError()" in text and "def add_one(x):" in text
    assert "return x + 1" not in text
    assert "grade_in_notebook" not in text and "HIDDEN TESTS" not in text
    assert "add_one(1) == 2" in text  # the public test stays
    assert "import arkit" in "".join(_cells(written[0])[0]["source"])  # install cell first
    cells = _cells(written[0])
    [submit] = [c for c in cells if "how-to-submit" in c["metadata"].get("tags", [])]
    submit_text = "".join(submit["source"])
    assert submit_text.startswith("## How to submit") and SUBMIT_TO in submit_text
    assert "`01_demo.ipynb`" in submit_text and "written by `autograder release`" not in submit_text
    requirement = load_config().pip_requirement()
    assert repr(requirement) in "".join(cells[0]["source"])
    assert "@main" not in requirement and requirement.startswith("arkit-autoregressive-hw ")


def test_release_is_reproducible(fixture_sources):
    """Does a second release produce byte-identical notebooks (no drift)?"""
    release("fx", fixture_sources / "course")
    assert check_drift("fx") == []
    target = fixture_sources / "assignments" / "fx" / "01_demo.ipynb"
    target.write_text(target.read_text().replace("Return x + 1", "Return x + 2"))
    assert check_drift("fx") == ["01_demo.ipynb"]


def walkthrough_commands(assignment: str) -> list[list[str]]:
    """The nbgrader command lines of the walk-through block in docs/instructor.md (hw1 -> ``assignment``)."""
    text = (ROOT / "docs" / "instructor.md").read_text()
    block = text.split("<!-- walkthrough:", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    lines = [line.split("#")[0].split() for line in block.splitlines()]
    return [[assignment if word == "hw1" else word for word in line[1:]] for line in lines
            if line and line[0] == "nbgrader"]


def test_the_documented_walkthrough_has_every_step():
    """Does docs/instructor.md list autograde, generate_feedback and export, in that order?"""
    assert [c[0] for c in walkthrough_commands("hw1")] == ["autograde", "generate_feedback", "export"]


def test_walkthrough_in_a_moved_course_folder(fixture_sources):
    """In a copied course folder, does the documented release -> collect -> autograde -> feedback ->
    export give the solution full marks, the blank release zero, restore a tampered locked cell with
    one checksum warning naming it, and stay silent about untouched cells?"""
    built = fixture_sources / "built"
    build_course("fx", built)
    config = (built / "nbgrader_config.py").read_text()
    assert str(built) not in config and str(built.resolve()) not in config, "absolute course root"
    course = fixture_sources / "elsewhere" / "course"
    shutil.copytree(built, course)
    shutil.rmtree(built)  # nothing may still point at the first location
    source_nbs = sorted((course / "source" / "fx").glob("*.ipynb"))
    released_nbs = sorted((course / "release" / "fx").glob("*.ipynb"))
    ag.submit(course, "fx", "solution", source_nbs)
    ag.submit(course, "fx", "blank", released_nbs)
    tampered = ag.submit(course, "fx", "tampered", source_nbs) / "01_demo.ipynb"
    tampered.write_text(tampered.read_text().replace("assert add_one(1) == 2", "pass  # assert add_one(1) == 2"))
    env = {"PYTHONPATH": os.pathsep.join([str(FIXTURES), os.environ.get("PYTHONPATH", "")])}
    logs = []
    for command in walkthrough_commands("fx"):
        proc = run_nbgrader(course, *command, env=env, timeout=300)
        logs.append(proc.stdout + proc.stderr)
    assert ag.read_scores(course, "fx", "solution") == {"01_demo": {"fx_add_test": (3.0, 3.0)}}
    assert ag.read_scores(course, "fx", "blank") == {"01_demo": {"fx_add_test": (0.0, 3.0)}}
    assert ag.read_scores(course, "fx", "tampered") == {"01_demo": {"fx_add_test": (3.0, 3.0)}}
    warnings = [line for line in logs[0].splitlines() if "has changed" in line]
    assert len(warnings) == 1 and "'checksum' for cell fx_add_test" in warnings[0], logs[0][-3000:]
    for student in ("solution", "blank", "tampered"):
        page = course / "feedback" / student / "fx" / "01_demo.html"
        assert page.is_file() and "fx_add_test" in page.read_text()
    rows = {r["student_id"]: float(r["score"]) for r in csv.DictReader((course / "grades.csv").open())}
    assert rows == {"solution": 3.0, "blank": 0.0, "tampered": 3.0}


def test_every_hw1_source_has_one_how_to_submit_cell():
    """Does every hw1 notebook source mark exactly one place for the How-to-submit section?"""
    from autograder.paths import solution_sources
    from autograder.release.how_to_submit import is_submit_cell
    from autograder.release.notebooks import read_source

    sources = solution_sources("hw1")
    assert sources
    counts = {src.name: sum(map(is_submit_cell, read_source(src).cells)) for src in sources}
    assert counts == {src.name: 1 for src in sources}
