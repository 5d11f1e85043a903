"""The "How to submit" section of every released notebook.

A notebook source marks the place with a markdown cell tagged ``how-to-submit``
(its text in the source is a placeholder). ``autograder release`` replaces the
text with :func:`render`: which files, where to upload them
(``SUBMIT_TO`` in :mod:`autograder.colab_config`, the one place a course changes
for its own LMS), what the autograder checks, and how to run the public tests.
The Colab solution notebooks drop the cell (nothing is submitted from them).
"""
from __future__ import annotations

from autograder.colab_config import SUBMIT_TO

TAG = "how-to-submit"


def is_submit_cell(cell) -> bool:
    """True for the markdown cell that holds the "How to submit" section."""
    return cell.cell_type == "markdown" and TAG in cell.metadata.get("tags", [])


def render(assignment: str, notebook: str, notebooks: list[str], submit_to: str = SUBMIT_TO) -> str:
    """Markdown of the section for ``notebook`` (a file name such as ``"02_made.ipynb"``).

    ``notebooks`` lists every notebook file of ``assignment``, in order.
    """
    others = [n for n in notebooks if n != notebook]
    together = (f" together with the other notebooks of {assignment} ({', '.join(f'`{n}`' for n in others)})"
                if others else "")
    return "\n".join([
        "## How to submit",
        "",
        f"1. **Run the public tests.** Run every cell from the top (Jupyter: *Kernel, Restart & Run All*; "
        "Colab: *Runtime, Run all*). A test cell that runs without an error passed; a failing one stops "
        "with an `AssertionError` that says what is wrong and where. Passing them is necessary, not "
        "sufficient: the autograder checks more (below).",
        f"2. **Save the file** as `{notebook}` (Colab: *File, Download, Download .ipynb*). Do not delete, "
        "copy or reorder cells, and keep the names and signatures of the functions and classes you were "
        "asked to write.",
        f"3. **Upload it to {submit_to}**{',' if together else ''}{together}. You may resubmit until the "
        "deadline; the last submission counts.",
        "",
        "**What the autograder checks.** It runs your notebook again from the top in a fresh, isolated "
        "process (your saved outputs are not used), then calls the functions and models handed over by the "
        "`expose(...)` cells on inputs it chooses: the public tests you see, hidden tests of the same "
        "contracts, and your trained models' negative log-likelihood on a held-out split you never see, "
        "against thresholds for the compute profile it runs under. A cell that fails or runs past its "
        "time limit costs only the questions that depend on it.",
    ])


def fill(nb, assignment: str, notebook: str, notebooks: list[str], submit_to: str = SUBMIT_TO) -> int:
    """Replace the text of every ``how-to-submit`` cell of ``nb`` in place; return how many."""
    count = 0
    for cell in nb.cells:
        if is_submit_cell(cell):
            cell.source = render(assignment, notebook, notebooks, submit_to)
            count += 1
    return count
