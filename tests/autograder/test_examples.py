"""Example submissions are rebuilt from the sources; each mutation must still apply."""
import json

import pytest

from autograder.examples import HW1_MUTATIONS, Mutation, apply_mutation, build_examples
from autograder.paths import SOLUTIONS_DIR


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    out = tmp_path_factory.mktemp("examples")
    return out, build_examples("hw1", out)


def test_every_mutation_applies_and_changes_one_cell(examples):
    """Does each named mutation still match the current solution text (else the demo lies)?"""
    out, students = examples
    for m in HW1_MUTATIONS:
        nb = json.loads((out / "submitted" / m.student / "hw1" / f"{m.notebook}.ipynb").read_text())
        sources = ["".join(c["source"]) for c in nb["cells"]]
        assert any(m.new in s for s in sources), m.student
        assert m.student in students


def test_solution_and_blank_cover_all_notebooks(examples):
    out, _ = examples
    stems = sorted(p.stem + ".ipynb" for p in (SOLUTIONS_DIR / "hw1").glob("[0-9][0-9]_*.py"))
    for student in ("solution", "blank"):
        assert sorted(p.name for p in (out / "submitted" / student / "hw1").glob("*.ipynb")) == stems
    blank = (out / "submitted" / "blank" / "hw1" / "02_made.ipynb").read_text()
    assert "raise NotImplementedError()" in blank and "BEGIN SOLUTION" not in blank


def test_stale_mutation_is_reported():
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nb.cells[0].metadata["nbgrader"] = {"grade_id": "a"}
    with pytest.raises(ValueError, match="update autograder/examples.py"):
        apply_mutation(nb, Mutation("s", "01", "a", "x = 2", "x = 3", "d"))
