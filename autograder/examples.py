"""Example submissions for the demo and for pipeline tests, made from the sources.

Nothing is committed as ``.ipynb``: every example is rebuilt from
``solutions/<assignment>/`` so it can never drift. A :class:`Mutation` turns
the solution of one notebook into a submission that is wrong in one named way
(the kind of bug a student makes); the blank student release is another
example, and the untouched solution a third.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.release.course import build_course
from autograder.release.notebooks import write_notebook


@dataclass(frozen=True)
class Mutation:
    """Replace ``old`` by ``new`` in the solution cell ``grade_id`` of ``notebook``."""

    student: str
    notebook: str
    grade_id: str
    old: str
    new: str
    description: str
    # The question this bug must fail and a word its message must contain (lower case), e.g.
    # ("wavenet_cache_test", "shift"); the example tests assert it. hw1's table lives in its test.
    expect: tuple[str, str] | None = None


HW1_MUTATIONS = (
    Mutation("made_self_dependence", "02_made", "made_masks",
             "(deg_in[:, None] > degrees[-1][None, :])", "(deg_in[:, None] >= degrees[-1][None, :])",
             "MADE output mask uses >= instead of >: each output sees its own input"),
    Mutation("pixelcnn_centre_on", "03_pixelcnn", "pixelcnn_mask",
             "centre = group_in[None, :] < group_out[:, None]", "centre = group_in[None, :] <= group_out[:, None]",
             "type 'A' mask keeps the centre tap: each pixel sees itself"),
    Mutation("lmix_no_tanh", "04_logistic_mixtures", "lmix_log_prob",
             "torch.tanh(blocks[:, :, 2])", "blocks[:, :, 2]",
             "RGB coupling coefficients not passed through tanh"),
)

MUTATIONS = {"hw1": HW1_MUTATIONS}


def mutations_for(assignment: str) -> tuple[Mutation, ...]:
    """The one-bug examples of ``assignment``: hw1's table above; from hw2 on, each notebook's
    question module declares its own (``autograder.assignments.<hw>.mutations()``)."""
    if assignment in MUTATIONS:
        return MUTATIONS[assignment]
    import importlib

    try:
        package = importlib.import_module(f"autograder.assignments.{assignment}")
    except ModuleNotFoundError:
        return ()
    collect = getattr(package, "mutations", None)
    return tuple(collect()) if collect else ()


def apply_mutation(nb: nbformat.NotebookNode, mutation: Mutation) -> nbformat.NotebookNode:
    """A copy of ``nb`` with ``mutation`` applied; ``ValueError`` if its text is not found
    (the solution changed: update the mutation)."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == mutation.grade_id:
            if mutation.old not in cell.source:
                break
            cell.source = cell.source.replace(mutation.old, mutation.new)
            return nb
    raise ValueError(f"mutation {mutation.student!r}: text not found in cell {mutation.grade_id!r} of "
                     f"{mutation.notebook}; update autograder/examples.py to match the solution")


def build_examples(assignment: str, out_dir: Path, mutations=None) -> dict[str, str]:
    """Write an nbgrader-layout folder ``out_dir/submitted/<student>/<assignment>/*.ipynb``.

    Students: ``solution`` (all notebooks), ``blank`` (the student release) and
    one per mutation (only the mutated notebook: a partial submission).
    Returns ``{student: description}``.
    """
    mutations = mutations_for(assignment) if mutations is None else mutations
    course = out_dir / "course"
    if course.exists():
        shutil.rmtree(course)
    released = build_course(assignment, course)
    sources = {p.stem: p for p in sorted((course / "source" / assignment).glob("*.ipynb"))}
    submitted = out_dir / "submitted"
    if submitted.exists():
        shutil.rmtree(submitted)
    students = {"solution": "the instructor solution: should earn full marks",
                "blank": "the unmodified student release: should earn 0"}
    for stem, path in sources.items():
        write_notebook(nbformat.read(path, as_version=4), submitted / "solution" / assignment / path.name)
    for path in sorted(released.glob("*.ipynb")):
        write_notebook(nbformat.read(path, as_version=4), submitted / "blank" / assignment / path.name)
    for m in mutations:
        nb = apply_mutation(nbformat.read(sources[m.notebook], as_version=4), m)
        write_notebook(nb, submitted / m.student / assignment / f"{m.notebook}.ipynb")
        students[m.student] = f"{m.description} (submitted {m.notebook} only)"
    return students
