"""Build student notebooks of the fixture assignment ``fx1`` (solutions filled in, hidden tests removed)."""
from __future__ import annotations

from pathlib import Path

import nbformat

from autograder.grading.merge import _HIDDEN
from autograder.release.notebooks import read_source

HERE = Path(__file__).resolve().parent
SOURCE_DIR = HERE / "source" / "fx1"
SOURCE = SOURCE_DIR / "01_basics.py"
QUESTIONS = HERE / "questions.py"


def student_notebook(replace: dict[str, str] | None = None, drop: tuple[str, ...] = (),
                     append: tuple[str, ...] = ()) -> bytes:
    """The released notebook with the reference solutions, then cells replaced (by grade_id),
    dropped, or plain code cells appended; returned as .ipynb bytes."""
    nb = read_source(SOURCE)
    cells = []
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code":
            cell.source = _HIDDEN.sub("", cell.source)
        if gid in drop:
            continue
        if gid in (replace or {}):
            cell.source = replace[gid]
        cells.append(cell)
    cells += [nbformat.v4.new_code_cell(src) for src in append]
    nb.cells = cells
    return nbformat.writes(nb).encode()
