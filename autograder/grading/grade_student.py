"""The grading spine: ``grade_student(submission, spec) -> StudentResult``.

Every way of grading one student goes through :func:`grade_student`: the class
loop (``pipeline.run``, with its cache and resume), Gradescope (``gs_run``) and
calibration. :class:`GradeSpec` is built only from trusted inputs (registered
:class:`~autograder.assignments.base.Question` objects and the instructor's
settings); nothing from the student's process enters it.

Units: limits in seconds / MiB (see :class:`~autograder.grading.sandbox.Limits`);
times in the result are wall seconds.
"""
from __future__ import annotations

import dataclasses
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from autograder.assignments.base import GradingContext, Question

from . import runner
from .inputs import Submission
from .sandbox import Limits, probe_isolation
from .student_result import (ERROR, GRADED, GRADER_ERROR, NOT_IMPLEMENTED, NOT_SUBMITTED, PENDING, REVIEW,
                             QuestionResult, StudentResult)


@dataclass(frozen=True)
class SandboxSpec:
    """How the student's notebooks are isolated (see :class:`~autograder.grading.sandbox.Sandbox`).

    Attributes:
        hide: absolute folders covered by an empty mount inside the sandbox.
        allow_namespaces: use ``unshare`` (network/PID/mount namespaces) where it works.
        slot: worker slot (selects the sandbox uid); set per worker by the class loop.
        env: extra ``(name, value)`` variables of the sandbox set by the executor on the node that
            grades (e.g. the ``CUDA_VISIBLE_DEVICES`` Ray assigned, see ``ray_executor``); not a grading
            setting (the result must not depend on it).
    """

    hide: tuple[str, ...] = ()
    allow_namespaces: bool = True
    slot: int = 0
    env: tuple[tuple[str, str], ...] = ()

    def kwargs(self, env: dict[str, str]) -> dict:
        """Keyword arguments of ``Sandbox(limits, **kwargs)``."""
        return {"slot": self.slot, "env": {**env, **dict(self.env)}, "hide": list(self.hide),
                "allow_namespaces": self.allow_namespaces}


@dataclass(frozen=True)
class GradeSpec:
    """Everything that decides a grade besides the submission (all trusted).

    Attributes:
        assignment: e.g. ``"hw1"``.
        source_dir: instructor jupytext sources ``NN_name.py`` (absolute).
        questions: the assignment's questions, in order.
        profile: ``ci`` / ``cpu`` / ``gpu`` (selects thresholds and limits).
        limits: sandbox limits of one notebook run.
        sandbox: :class:`SandboxSpec`.
        seed: seed of the notebooks (``ARKIT_SEED``) and of the grader's probes.
        device: torch device of the grader's own computations.
        keep_extra_cells: run code cells the student added.
    """

    assignment: str
    source_dir: Path
    questions: tuple[Question, ...]
    profile: str
    limits: Limits = field(default_factory=Limits)
    sandbox: SandboxSpec = field(default_factory=SandboxSpec)
    seed: int = 0
    device: str = "cpu"
    keep_extra_cells: bool = True

    @property
    def stems(self) -> list[str]:
        """Notebook stems of the assignment (from the instructor sources), sorted."""
        return sorted(p.stem for p in Path(self.source_dir).glob("[0-9][0-9]_*.py"))

    @property
    def env(self) -> dict[str, str]:
        """Environment the notebooks run with."""
        return {"ARKIT_PROFILE": self.profile, "ARKIT_SEED": str(self.seed)}

    def with_slot(self, slot: int) -> "GradeSpec":
        return dataclasses.replace(self, sandbox=dataclasses.replace(self.sandbox, slot=slot))

    def empty_result(self, student: str) -> StudentResult:
        """Every question pending (0 points): what Gradescope shows before grading starts."""
        qs = {q.id: QuestionResult(q.id, q.notebook, q.title or q.id, float(q.points), status=PENDING,
                                   message="not graded (the grader stopped before this question: time limit)")
              for q in self.questions}
        return StudentResult(student, self.assignment, self.profile, qs)


def default_device(profile: str) -> str:
    from arkit.profiles import default_device as dd

    return dd(profile)


OnQuestion = Callable[[StudentResult], None]


def grade_student(submission: Submission, spec: GradeSpec, on_question: OnQuestion | None = None,
                  key: str = "") -> StudentResult:
    """Grade one student's notebooks in sandboxes; never raises (a grader failure is ``status="failed"``).

    ``on_question(partial)`` is called after every graded question with the result so far
    (questions not graded yet are ``pending``), so a caller can save progress.
    """
    start = time.monotonic()
    result = spec.empty_result(submission.student)
    result.key = key
    if submission.problems:
        result.notes[""] = list(submission.problems)
    try:
        result.sandbox = probe_isolation(allow_namespaces=spec.sandbox.allow_namespaces).summary()
        ctx = GradingContext(spec.assignment, spec.profile, spec.device, spec.seed, "remote")
        kw = spec.sandbox.kwargs(spec.env)
        for stem in spec.stems:
            qs = [q for q in spec.questions if q.notebook == stem]

            def on_outcome(o: runner.Outcome) -> None:
                result.questions[o.question.id] = question_result(o)
                result.execution_time_s = time.monotonic() - start
                if on_question is not None:
                    on_question(result)

            report = runner.grade_notebook(stem, Path(spec.source_dir) / f"{stem}.py",
                                           submission.notebooks.get(stem), qs, ctx, spec.limits, kw,
                                           on_outcome, keep_extra_cells=spec.keep_extra_cells)
            attribute_cell_errors(result, report)
            if report.notes:
                result.notes[stem] = list(report.notes)
            if report.cell_errors:
                result.cell_errors[stem] = list(report.cell_errors)
    except Exception as exc:  # noqa: BLE001 - one student's failure never stops the class
        result.status = "failed"
        result.output = f"internal grader error, please tell the instructor: {type(exc).__name__}: {exc}"
        result.sandbox = {**result.sandbox, "traceback": traceback.format_exc()[-3000:]}
        for q in result.questions.values():
            if q.status == PENDING:
                q.status, q.message = GRADER_ERROR, "not graded: the grader failed (not your fault)"
    result.execution_time_s = time.monotonic() - start
    return result


def question_result(o: runner.Outcome) -> QuestionResult:
    """The typed result of one graded question (status decided from the runner and the check)."""
    from .feedback import figure_png

    r, q = o.result, o.question
    details = dict(r.details)
    cause = details.get("cause")
    status = o.status or {"not_implemented": NOT_IMPLEMENTED, "exception": ERROR,
                          "missing": ERROR, "calibration_missing": GRADER_ERROR}.get(cause, GRADED)
    flags = []
    review = details.get("review")
    if review:
        flags = [f"review: {m}" for m in (review if isinstance(review, (list, tuple)) else [review])]
        if status == GRADED:
            status = REVIEW
    return QuestionResult(q.id, q.notebook, q.title or q.id, float(q.points), round(r.score * q.points, 4),
                          bool(r.passed), status, r.message, getattr(r, "hint", "") or "", flags, details,
                          figure_png(r.figure), o.elapsed_s)


def attribute_cell_errors(result: StudentResult, report: runner.NotebookReport) -> None:
    """Say whose problem a failure is when a cell above the question failed.

    If a *locked* (instructor) cell above a failed question failed for an environment reason
    (missing data or package, see ``runner.ENVIRONMENT_ERRORS``) and not through code the student
    wrote, the question is a ``grader_error`` quoting it (never the student's fault). Otherwise the
    first failed cell above it counts (later failures are usually its consequences; cells the
    student added count only when nothing else failed): when the question lacks an object, "the
    notebook did not provide X" is replaced by that cell's error.
    """
    from .hints import explain_cascade

    for o in report.outcomes:
        qr = result.questions.get(o.question.id)
        if qr is None or qr.passed or qr.status == NOT_SUBMITTED:
            continue
        above = report.errors_before(o.question.id)
        if not above:
            continue
        graders = next((c for c in above if c.graders_problem), None)
        # the first failure the student's own cells (or the locked cells using them) had: later failures are
        # usually its consequences; a cell the student added is blamed only when nothing else failed
        first = next((c for c in above if c.origin != "extra"), above[0])
        if graders is not None:  # points already earned are kept; the instructor regrades
            qr.status = GRADER_ERROR
            qr.message = ("could not be graded properly because a locked cell of the grader's copy failed (not "
                          f"your fault; the instructor will regrade): {graders.message}")
        elif explain_cascade(qr, first.message):
            pass  # a stub above (blank notebook): "not implemented yet", status not_implemented
        elif qr.details.get("cause") == "missing":
            missing = ", ".join(qr.details.get("missing") or [])
            qr.message = (f"{missing or 'an object'} was not available because an earlier cell failed: "
                          f"{first.message}")
