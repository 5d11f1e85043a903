"""Trusted cells from the instructor, only solution cells from the student."""
import pytest

from autograder.grading import merge
from fixture_assignment.build import SOURCE, student_notebook


def run_merge(data: bytes) -> merge.Merged:
    return merge.merge(merge.read_instructor(SOURCE), merge.read_submission(data), "01_basics")


def test_reference_runs_instructor_cells_and_no_test_cells():
    """Are test cells (and their hidden tests) dropped, and everything else kept in order?"""
    merged = run_merge(student_notebook())
    text = "\n".join(c.source for c in merged.cells)
    assert "grade_in_notebook" not in text and "assert square" not in text
    assert [c.grade_id for c in merged.cells if c.origin == "student"] == ["fx_square", "fx_mask", "fx_model"]
    assert merged.notes == []


def test_student_cannot_replace_locked_cells():
    """Does an edited locked (expose) cell run in its original form?"""
    merged = run_merge(student_notebook(replace={"fx_expose_square": "expose('square', lambda x: x * x)"}))
    locked = next(c for c in merged.cells if c.grade_id == "fx_expose_square")
    assert locked.source.strip() == 'expose("square", square)'


def test_missing_solution_becomes_the_stub_and_is_reported():
    """Is a deleted solution cell replaced by its stub (never by the instructor's solution)?"""
    merged = run_merge(student_notebook(drop=("fx_mask",)))
    stub = next(c for c in merged.cells if c.grade_id == "fx_mask")
    assert stub.origin == "stub" and "raise NotImplementedError()" in stub.source and "tril" not in stub.source
    assert any("'fx_mask' is missing" in n for n in merged.notes)


def test_edited_and_deleted_test_cells_are_reported():
    merged = run_merge(student_notebook(replace={"fx_square_test": "pass"}, drop=("fx_mask_test",)))
    assert any("'fx_square_test' was edited" in n for n in merged.notes)
    assert any("'fx_mask_test' was deleted" in n for n in merged.notes)


def test_added_cells_run_after_the_cell_they_follow():
    merged = run_merge(student_notebook(append=("HELPER = 1",)))
    assert merged.cells[-1].origin == "extra" and merged.cells[-1].source == "HELPER = 1"


@pytest.mark.parametrize("data, words", [(b"{nope", "not a readable"), (b'{"cells": 3, "nbformat": 4}', "readable")])
def test_unreadable_files_get_a_clear_message(data, words):
    with pytest.raises(merge.SubmissionError, match=words):
        merge.read_submission(data)
