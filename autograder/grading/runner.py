"""Grade one submission: run each notebook in a sandbox, grade its questions in this process."""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from arkit.checks.result import CheckResult
from autograder.assignments import base

from . import merge
from .proxies import Budget, make_proxies
from .sandbox import Limits, Sandbox, SandboxError

MAX_RESTARTS = 2


@dataclass
class Outcome:
    """One graded question.

    ``status`` is a :mod:`~autograder.grading.student_result` status when the runner knows
    better than the check (``not_submitted``, ``error``); ``None`` lets the spine decide.
    """

    question: base.Question
    result: CheckResult
    elapsed_s: float = 0.0
    status: str | None = None

    @property
    def points(self) -> float:
        return round(self.result.score * self.question.points, 4)


@dataclass
class CellError:
    """A notebook cell that failed in the student's run.

    ``origin``: ``instructor`` (a locked cell: the grader's problem), ``student``, ``stub`` or
    ``extra``; ``index``: position among the cells that ran; ``message``: what the student reads.
    """

    index: int
    origin: str
    grade_id: str
    message: str
    through_student_code: bool = False  # the traceback passes through a cell the student wrote

    @property
    def graders_problem(self) -> bool:
        return self.origin == "instructor" and not self.through_student_code


@dataclass
class NotebookReport:
    stem: str
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cell_errors: list[str] = field(default_factory=list)
    run_time_s: float = 0.0
    failed_cells: list[CellError] = field(default_factory=list)
    # question id -> index of the last cell that runs before the question's test cell
    question_position: dict[str, int] = field(default_factory=dict)

    def errors_before(self, qid: str) -> list[CellError]:
        """Failed cells that ran before the test cell of ``qid`` (all of them if unknown)."""
        pos = self.question_position.get(qid)
        return [c for c in self.failed_cells if pos is None or c.index <= pos]


def load_questions(assignment: str, module: str | None = None) -> list[base.Question]:
    """Questions of ``assignment``; ``module`` (dotted name or ``.py`` path) registers extra ones."""
    if module:
        if module.endswith(".py"):
            name = "_argrade_questions_" + hashlib.sha256(str(Path(module).resolve()).encode()).hexdigest()[:12]
            if name not in sys.modules:  # registering twice is an error: import each file once
                spec = importlib.util.spec_from_file_location(name, module)
                mod = importlib.util.module_from_spec(spec)
                sys.modules[name] = mod
                spec.loader.exec_module(mod)
        else:
            importlib.import_module(module)
        table = {q.id: q for q in base.registered(assignment)} or None
        if table:
            return list(table.values())
    return base.questions(assignment)


def _fail_all(questions, message: str, status: str = "error") -> list[Outcome]:
    return [Outcome(q, CheckResult.fail(q.id, message), status=status) for q in questions]


def question_positions(instructor, merged: merge.Merged) -> dict[str, int]:
    """question id (test cell grade_id) -> index in ``merged.cells`` of the last cell before it.

    Every non-test instructor code cell yields exactly one non-extra merged cell, in order; -1 when
    nothing runs before the test cell."""
    nonextra = [c for c in merged.cells if c.origin != "extra"]
    out, k = {}, 0
    for cell in instructor.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader") or {}
        if meta.get("grade") and not meta.get("solution"):
            gid = meta.get("grade_id", "")
            last = nonextra[k - 1].index if 0 < k <= len(nonextra) else -1
            following = [c.index for c in merged.cells if c.origin == "extra" and c.index > last
                         and (k >= len(nonextra) or c.index < nonextra[k].index)]
            out[gid] = max([last, *following])
        else:
            k += 1
    return out


class NotebookRun:
    """Runs the merged cells of one notebook in a sandbox, restarting after a kill."""

    def __init__(self, merged: merge.Merged, limits: Limits, sandbox_kw: dict):
        self.merged, self.limits, self.kw = merged, limits, sandbox_kw
        self.skip: set[int] = set()
        self.errors: dict[int, str] = {}
        self.tracebacks: dict[int, str] = {}
        self.cells = {c.index: c for c in merged.cells}
        self.sandbox: Sandbox | None = None
        self.restarts = 0

    def _label(self, cell: merge.Cell) -> str:
        what = {"student": "your solution cell", "stub": "the stub of", "extra": "a cell you added",
                "instructor": "setup cell"}[cell.origin]
        return f"cell {cell.index + 1} ({what}{' ' + repr(cell.grade_id) if cell.grade_id else ''})"

    def start(self) -> None:
        """(Re)start the sandbox and run every cell not marked to skip."""
        deadline = time.monotonic() + self.limits.notebook_timeout_s
        while True:
            self.close()
            self.sandbox = Sandbox(self.limits, **self.kw)
            self.sandbox.start()
            try:
                for cell in self.merged.cells:
                    if cell.index in self.skip:
                        continue
                    left = deadline - time.monotonic()
                    if left <= 1:
                        self.errors.setdefault(cell.index, f"{self._label(cell)}: not run, the notebook's "
                                               f"time limit ({self.limits.notebook_timeout_s:.0f} s) was used up")
                        continue
                    reply = self.sandbox.run_cell(cell.source, cell.index, min(self.limits.cell_timeout_s, left))
                    if not reply.get("ok"):
                        self.errors.setdefault(cell.index, f"{self._label(cell)} raised {reply.get('error', '?')}")
                        self.tracebacks.setdefault(cell.index, str(reply.get("traceback", ""))[-4000:])
                return
            except SandboxError as exc:
                self.errors[cell.index] = f"{self._label(cell)}: {exc}"
                self.skip.add(cell.index)
                self.restarts += 1
                if self.restarts > MAX_RESTARTS:
                    raise

    def failed_cells(self) -> list[CellError]:
        """The cells that failed, in order (see :class:`CellError`)."""
        student = {c.index for c in self.merged.cells if c.origin != "instructor"}
        out = []
        for i in sorted(self.errors):
            if i not in self.cells:
                continue
            frames = {int(m) for m in re.findall(r'File "<cell (\d+)>"', self.tracebacks.get(i, ""))}
            out.append(CellError(i, self.cells[i].origin, self.cells[i].grade_id, self.errors[i],
                                 bool(frames & student)))
        return out

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.close()
            self.sandbox = None


def grade_notebook(stem: str, instructor_path: Path, student_data: bytes | None, questions: list[base.Question],
                   ctx: base.GradingContext, limits: Limits, sandbox_kw: dict,
                   on_outcome: Callable[[Outcome], None] | None = None,
                   keep_extra_cells: bool = True) -> NotebookReport:
    """Run one notebook of a submission and grade its questions (never raises)."""
    report = NotebookReport(stem)
    start = time.monotonic()

    def finish(outcomes: list[Outcome]) -> NotebookReport:
        for o in outcomes:
            report.outcomes.append(o)
            if on_outcome:
                on_outcome(o)
        report.run_time_s = round(time.monotonic() - start, 2)
        return report

    if student_data is None:
        return finish(_fail_all(questions, f"notebook {stem}.ipynb was not submitted", "not_submitted"))
    try:
        instructor = merge.read_instructor(instructor_path)
    except Exception as exc:  # noqa: BLE001 - the instructor's source is the grader's problem
        return finish(_fail_all(questions, f"the grader could not read its copy of {stem} "
                                f"({type(exc).__name__}: {exc})", "grader_error"))
    try:
        merged = merge.merge(instructor, merge.read_submission(student_data), stem, keep_extra_cells)
    except merge.SubmissionError as exc:
        return finish(_fail_all(questions, str(exc)))
    report.notes.extend(merged.notes)
    report.question_position = question_positions(instructor, merged)
    run = NotebookRun(merged, limits, sandbox_kw)
    try:
        try:
            run.start()
        except SandboxError as exc:
            report.cell_errors.extend(run.errors.values())
            report.failed_cells = run.failed_cells()
            return finish(_fail_all(questions, f"the notebook could not be run: {exc}"))
        for q in questions:
            if run.sandbox is None or not run.sandbox.alive():
                try:
                    run.start()  # the previous question killed it; later questions get a fresh run
                except SandboxError as exc:
                    finish([Outcome(q, CheckResult.fail(q.id, f"the notebook could not be run again: {exc}"))])
                    continue
            finish([_grade_one(q, run.sandbox, ctx, limits)])
        report.cell_errors.extend(run.errors[i] for i in sorted(run.errors))
        report.failed_cells = run.failed_cells()
    finally:
        run.close()
    report.run_time_s = round(time.monotonic() - start, 2)
    return report


def _grade_one(q: base.Question, sandbox: Sandbox, ctx: base.GradingContext, limits: Limits) -> Outcome:
    t0 = time.monotonic()
    budget = Budget(q.timeout_s)
    try:
        exposed = sandbox.exposed()
    except SandboxError as exc:
        return Outcome(q, CheckResult.fail(q.id, f"the notebook process stopped: {exc}"))
    objects = make_proxies(sandbox, exposed, limits.call_timeout_s, lambda: budget, question=q)
    result = base.grade_question(q, objects, ctx)
    if not sandbox.alive() and result.passed:
        result = CheckResult.fail(q.id, f"the notebook process stopped while grading: {sandbox.dead_reason}")
    return Outcome(q, result, round(time.monotonic() - t0, 3))
