"""What counts as student-written code, and does the released template ever count as a match?"""
from __future__ import annotations

import json

from synthetic_class import RELEASE, fill

from autograder.similarity.compare import compare_cell
from autograder.similarity.extract import Template, load_template, student_code

GIVEN = '''def given_helper(t):
    """Provided by the course: every student has this text."""
    out = torch.zeros_like(t)
    for i in range(t.shape[0]):
        out[i] = torch.cumsum(t[i], dim=0) / (1 + torch.arange(t.shape[1]))
    return out.clamp(min=0.0, max=1.0).flip(0).contiguous()


def solve(x):
    """Implement me.

    Args:
        x: (B, T) float tensor.
    """
    # YOUR CODE HERE
    raise NotImplementedError()
'''


def _nb(cells: list[tuple[str, str, bool]]) -> dict:
    """cells: (grade_id, source, solution)."""
    return {"cells": [{"cell_type": "code", "source": src, "metadata": {"nbgrader": {"grade_id": gid, "solution": sol}}}
                      for gid, src, sol in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_released_notebook_has_no_student_code():
    """A notebook handed in as released is empty: signature, docstring, stub all removed."""
    template = load_template(RELEASE / "02_made.ipynb")
    code = student_code(json.loads((RELEASE / "02_made.ipynb").read_text()), template)
    assert code.is_empty() and not code.missing


def test_only_the_body_is_left():
    template = Template("nb", {"q1": GIVEN})
    code = student_code(_nb([("q1", fill(GIVEN, "", "return given_helper(x) * 2"), True)]), template)
    assert code.blocks == {"q1": "    return given_helper(x) * 2"}


def test_cells_matched_by_grade_id_not_position_and_added_cells_ignored():
    """A solution cell moved below an added cell still counts; the added cell does not (not a solution cell of
    the release)."""
    template = Template("nb", {"q1": GIVEN})
    nb = _nb([("mine", "def my_scratch():\n    return 42", True), ("q1", fill(GIVEN, "", "return x + 1"), True)])
    assert student_code(nb, template).blocks == {"q1": "    return x + 1"}


def test_edited_docstring_does_not_hide_the_code_after_it():
    """A student who rewrites one line of the released docstring must not leave half a string literal that
    swallows their code when tokenised."""
    template = Template("nb", {"q1": GIVEN})
    edited = fill(GIVEN, "", "y = x * 3\nreturn y").replace('"""Implement me.', '"""My own words now.')
    block = student_code(_nb([("q1", edited, True)]), template).blocks["q1"]
    assert '"""' not in block and "y = x * 3" in block and "return y" in block


def test_cell_without_metadata_is_missing():
    template = Template("nb", {"q1": GIVEN, "q2": "def g():\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"})
    nb = _nb([("q1", fill(GIVEN, "", "return x"), True)])
    nb["cells"].append({"cell_type": "code", "source": "def g():\n    return 1", "metadata": {}})
    code = student_code(nb, template)
    assert code.missing == ["q2"] and code.blocks == {"q1": "    return x"}


def test_given_code_is_never_a_match():
    """Two students who filled the stub differently share the 7 given lines. Compared as handed in, the
    given code makes them look alike (the control); compared as student-written code, nothing matches."""
    template = Template("nb", {"q1": GIVEN})
    cells = {"ann": fill(GIVEN, "", "s = given_helper(x)\nreturn s.sum(dim=1)"),
             "ben": fill(GIVEN, "", "acc = 0\nfor row in x:\n    acc = acc + row.max()\nreturn acc")}
    raw = compare_cell("nb", "q1", cells, ())
    assert raw and raw[0].score > 0.5, "control: the given code alone should look like a copy"
    written = {who: student_code(_nb([("q1", src, True)]), template).blocks["q1"] for who, src in cells.items()}
    assert compare_cell("nb", "q1", written, (GIVEN,)) == []


LOCKED = '''def plot_samples(samples, nrow=8):
    grid = samples[:nrow * nrow].reshape(nrow, nrow, *samples.shape[1:])
    fig, axes = plt.subplots(nrow, nrow, figsize=(nrow, nrow))
    for i in range(nrow):
        for j in range(nrow):
            axes[i, j].imshow(grid[i, j].squeeze(), cmap="gray")
            axes[i, j].axis("off")
    return fig
'''


def test_code_pasted_from_a_locked_cell_is_never_a_match():
    """Two honest students paste the same released helper (from a locked cell) into their solution cell: it is
    the release's code, not theirs. The control: without the release's fingerprints they would match."""
    stub = "def solve(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    template = Template("nb", {"q1": stub}, given=(LOCKED, stub))
    cells = {"ann": fill(stub, LOCKED + "\n\n", "return x.mean(0)"),
             "ben": fill(stub, LOCKED + "\n\n", "total = 0\nfor row in x:\n    total = total + row\n"
                                                 "return total / len(x)")}
    written = {who: student_code(_nb([("q1", src, True)]), template).blocks["q1"] for who, src in cells.items()}
    assert compare_cell("nb", "q1", written, ())[0].score > 0.5, "control: the pasted helper alone looks like a copy"
    assert compare_cell("nb", "q1", written, template.given) == []
