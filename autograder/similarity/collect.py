"""From a folder/zip of submissions to the code each student wrote, per notebook.

Intake is the grader's own (:func:`autograder.grading.intake.discover`): the same layouts, the same
LMS identities, the same latest-attempt rule as ``autograder grade``. What cannot be compared
(a notebook that does not parse, one whose solution cells are all still the release's) becomes a
:class:`Note` for the instructor, and the rest of the class is compared without it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.grading.intake import IntakeError, Submission, SubmissionChanged, discover

from .extract import (MAX_CELL_CHARS, NotebookUnreadable, StudentCode, Template, load_template, read_notebook,
                      student_code)


@dataclass(frozen=True)
class Note:
    """One thing left out of the comparison: whose, which notebook, why (for the instructor)."""

    student: str
    notebook: str
    message: str
    kind: str = "unreadable"  # unreadable | untouched (all cells as released) | partial | intake | empty

    def __str__(self) -> str:
        return f"{self.student}: {self.notebook}: {self.message}" if self.notebook else \
            f"{self.student}: {self.message}"


def load_templates(release_dir: Path) -> dict[str, Template]:
    """stem -> solution cells of every released notebook ``release_dir/*.ipynb`` (sorted by stem)."""
    paths = sorted(Path(release_dir).glob("*.ipynb"))
    if not paths:
        raise IntakeError(f"no released notebooks (*.ipynb) in {release_dir}; pass --release with the "
                          f"nbgrader release folder of the assignment")
    out = {}
    for p in paths:
        try:
            out[p.stem] = load_template(p)
        except NotebookUnreadable as exc:
            raise IntakeError(str(exc)) from None
    return out


def collect(submissions: Path, assignment: str, templates: dict[str, Template],
            mapping: dict[str, str] | None = None) -> tuple[dict[str, dict[str, StudentCode]], list[Note]]:
    """(stem -> student -> their code, notes). Students in name order; a student appears under a
    notebook only if they wrote something in it."""
    subs = discover(Path(submissions), assignment, sorted(templates), mapping=mapping)
    if not subs:
        raise IntakeError(f"no submissions found in {submissions} (expected notebooks named after "
                          f"{', '.join(s + '.ipynb' for s in sorted(templates))}, an nbgrader course or an LMS zip)")
    notes = [Note(p.student, "", str(p) + (f" [other file: {p.other}]" if p.other else ""), "intake")
             for s in subs for p in s.problems]
    codes: dict[str, dict[str, StudentCode]] = {stem: {} for stem in templates}
    for sub in subs:
        notes += _one(sub, templates, codes)
    return codes, notes


def _one(sub: Submission, templates: dict[str, Template], codes: dict[str, dict[str, StudentCode]]) -> list[Note]:
    notes = []
    if not sub.notebooks:
        return [Note(sub.student, "", "no notebook of this assignment in the submission; nothing compared",
                     "empty")]
    for stem in sorted(sub.notebooks):
        name = sub.files.get(stem, f"{stem}.ipynb")
        try:
            nb = read_notebook(sub.notebooks[stem], name)
        except (NotebookUnreadable, SubmissionChanged) as exc:
            notes.append(Note(sub.student, stem, f"{exc}; not compared"))
            continue
        code = student_code(nb, templates[stem])
        if code.missing and len(code.missing) == len(templates[stem].cells):
            notes.append(Note(sub.student, stem, "none of the released solution cells is in this notebook (their "
                              "nbgrader metadata is gone?); not compared", "unreadable"))
        elif code.is_empty():
            notes.append(Note(sub.student, stem, "every solution cell is still the released template; not compared",
                              "untouched"))
        else:
            if code.missing:
                notes.append(Note(sub.student, stem, f"solution cells not found (compared without them): "
                                  f"{', '.join(code.missing)}", "partial"))
            if code.cut:
                notes.append(Note(sub.student, stem, f"more than {MAX_CELL_CHARS} characters in "
                                  f"{', '.join(code.cut)}; only the first {MAX_CELL_CHARS} were compared", "partial"))
            codes[stem][sub.student] = code
    return notes
