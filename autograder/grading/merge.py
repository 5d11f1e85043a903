"""Build the notebook the sandbox runs: trusted instructor cells + the student's solutions.

Rules (nothing from the submission can change what is graded or how):

* instructor code cells run as written (setup, ``expose`` calls, training drivers);
* each instructor *solution* cell (nbgrader ``solution: true``) is replaced by
  the student's cell with the same ``grade_id``; a missing one becomes the stub
  (``raise NotImplementedError()``) and is reported;
* graded test cells are dropped: grading happens in the parent; edited or
  deleted copies in the submission are reported, nothing else;
* optionally (default on) code cells the student added (no nbgrader metadata)
  run right after the cell they follow, so helper functions keep working.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

_SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*\n?", re.M | re.S)
_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)


class SubmissionError(ValueError):
    """The submission cannot be run at all (unreadable, wrong assignment)."""


@dataclass
class Cell:
    index: int
    source: str
    origin: str  # "instructor" | "student" | "stub" | "extra"
    grade_id: str = ""


@dataclass
class Merged:
    cells: list[Cell]
    notes: list[str] = field(default_factory=list)


def _nbg(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader") or {}
    return meta if isinstance(meta, dict) else {}


def _src(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def stub(source: str) -> str:
    """The student version of a solution cell: solution regions -> ``raise NotImplementedError()``."""
    return _SOLUTION.sub(lambda m: f"{m.group(1)}raise NotImplementedError()\n", source)


def public_part(source: str) -> str:
    """A test cell as students see it (hidden-test regions removed), whitespace-normalized."""
    text = _HIDDEN.sub("", source)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def read_submission(data: bytes | str) -> nbformat.NotebookNode:
    """Parse a submitted ``.ipynb``; :class:`SubmissionError` says what is wrong."""
    try:
        nb = nbformat.reads(data if isinstance(data, str) else data.decode("utf-8", "replace"), as_version=4)
    except Exception as exc:  # json errors, unknown nbformat
        raise SubmissionError(f"the file is not a readable Jupyter notebook ({type(exc).__name__}: "
                              f"{str(exc)[:200]}); download it again with File > Download .ipynb") from None
    if not isinstance(nb.get("cells"), list):
        raise SubmissionError("the notebook has no cells list")
    return nb


def read_instructor(path: Path) -> nbformat.NotebookNode:
    from autograder.release.notebooks import read_source

    return read_source(Path(path))


def merge(instructor: nbformat.NotebookNode, student: nbformat.NotebookNode, stem: str,
          keep_extra_cells: bool = True) -> Merged:
    """Cells to run for one notebook, in order, plus notes for the feedback page."""
    notes: list[str] = []
    s_cells = [c for c in student.cells if c.get("cell_type") == "code"]
    by_id: dict[str, object] = {}
    for c in s_cells:
        gid = _nbg(c).get("grade_id")
        if isinstance(gid, str) and gid not in by_id:
            by_id[gid] = c
    i_code = [c for c in instructor.cells if c.cell_type == "code"]
    known = {_nbg(c).get("grade_id") for c in instructor.cells if _nbg(c).get("grade_id")}
    graded_ids = {_nbg(c).get("grade_id") for c in i_code if _nbg(c).get("solution") or _nbg(c).get("grade")}
    if graded_ids and not graded_ids & set(by_id):
        raise SubmissionError(f"this does not look like notebook {stem!r}: none of its graded cells "
                              f"({', '.join(sorted(graded_ids)[:4])}, ...) are in it; was the wrong file uploaded?")
    extras = _extras_after(student, known) if keep_extra_cells else {}
    cells: list[Cell] = []

    def add(source: str, origin: str, gid: str = "") -> None:
        cells.append(Cell(len(cells), source, origin, gid))

    for key in extras.get(None, []):
        add(key, "extra")
    for cell in i_code:
        meta, gid = _nbg(cell), _nbg(cell).get("grade_id", "")
        if meta.get("solution"):
            mine = by_id.get(gid)
            if mine is None or _nbg(mine).get("solution") is not True:
                notes.append(f"solution cell {gid!r} is missing from the submission: its stub ran instead")
                add(stub(_src(cell)), "stub", gid)
            else:
                add(_src(mine), "student", gid)
        elif meta.get("grade"):
            mine = by_id.get(gid)
            if mine is None:
                notes.append(f"test cell {gid!r} was deleted (the original was used for grading)")
            elif public_part(_src(mine)) != public_part(_src(cell)):
                notes.append(f"test cell {gid!r} was edited (the original was used for grading)")
        else:
            add(_src(cell), "instructor", gid)
        for extra in extras.get(gid, []) if gid else []:
            add(extra, "extra")
    if any(c.origin == "extra" for c in cells):
        notes.append(f"{sum(c.origin == 'extra' for c in cells)} code cell(s) you added were run "
                     "after the cell they follow")
    return Merged(cells, notes)


def _extras_after(student, known: set) -> dict:
    """Student-added code cells keyed by the grade_id of the last known cell before them (None: top)."""
    out: dict = {}
    anchor = None
    for c in student.cells:
        gid = _nbg(c).get("grade_id")
        if gid in known:
            anchor = gid
        elif c.get("cell_type") == "code" and not _nbg(c) and _src(c).strip():
            out.setdefault(anchor, []).append(_src(c))
    return out
