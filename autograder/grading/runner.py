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
from .cpu_watch import CpuWatch
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
    exc_type: str = ""  # exception class name reported for the cell ("" when the process died)

    @property
    def graders_problem(self) -> bool:
        """A locked cell failed for a reason of the grader's environment (missing data, packages,
        permissions), not through code the student wrote. A NameError or TypeError in a locked cell
        means the student's cells did not define what it uses: the student's problem."""
        return (self.origin == "instructor" and not self.through_student_code
                and self.exc_type in ENVIRONMENT_ERRORS)


# Exceptions of a locked cell that mean the grader's environment is broken (the reference
# solution would fail the same way).
ENVIRONMENT_ERRORS = frozenset({
    "FileNotFoundError", "DataNotFoundError", "DataError", "DataChecksumError", "DataFormatError",
    "SplitNotAvailableError", "ModuleNotFoundError", "ImportError", "PermissionError", "OSError",
    "ConnectionError", "URLError", "CalibrationMissing"})


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
        self.exc_types: dict[int, str] = {}
        self.watch: CpuWatch | None = None
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
                                               f"wall-clock limit ({self.limits.notebook_timeout_s:.0f} s) was "
                                               "used up")
                        continue
                    wall = min(self.limits.cell_timeout_s, left)
                    self.watch = CpuWatch(self.sandbox.proc.pid, self.cell_cpu_budget())
                    with self.watch:
                        reply = self.sandbox.run_cell(cell.source, cell.index, wall)
                    if not reply.get("ok"):
                        self.errors.setdefault(cell.index, self._failure(cell, str(reply.get("error", "?")), wall))
                        self.tracebacks.setdefault(cell.index, str(reply.get("traceback", ""))[-4000:])
                        self.exc_types.setdefault(cell.index, str(reply.get("error", "")).split(":", 1)[0].strip())
                return
            except SandboxError as exc:
                self.errors[cell.index] = self._death(cell, str(exc))
                self.skip.add(cell.index)
                self.restarts += 1
                if self.restarts > MAX_RESTARTS:
                    raise

    def cell_cpu_budget(self) -> float | None:
        """CPU seconds one cell may use: ``cell_cpu_s`` per allowed thread (None: not enforced)."""
        if self.limits.cell_cpu_s is None:
            return None
        return float(self.limits.cell_cpu_s) * max(1, int(self.limits.threads))

    def _failure(self, cell: merge.Cell, error: str, wall: float) -> str:
        """A cell's error in the student's terms; a timeout says which limit it hit."""
        if error.startswith("CellTimeout"):
            cpu = self.cell_cpu_budget()
            also = f"; its CPU-time limit is {cpu:.0f} s" if cpu else ""
            return (f"{self._label(cell)} was stopped: it ran longer than the wall-clock limit of {wall:.0f} s "
                    f"(a generous outer bound{also}); is it waiting or looping forever?")
        return f"{self._label(cell)} raised {error}"

    def _death(self, cell: merge.Cell, reason: str) -> str:
        """Why the sandbox died during ``cell``, naming the limit that was hit."""
        watch = self.watch
        if watch is not None and watch.hit:
            return (f"{self._label(cell)} was stopped after {watch.used_s:.0f} s of CPU time: the cell's CPU-time "
                    f"limit is {self.cell_cpu_budget():.0f} s (time spent waiting does not count); train for fewer "
                    "steps or a smaller model")
        if "SIGXCPU" in reason:
            return (f"{self._label(cell)}: {reason}; the notebook process used its whole CPU-time limit "
                    f"({self.limits.cpu_s} s for all cells)")
        if "no answer within" in reason:
            return f"{self._label(cell)}: {reason} (the cell's wall-clock limit)"
        return f"{self._label(cell)}: {reason}"

    def failed_cells(self) -> list[CellError]:
        """The cells that failed, in order (see :class:`CellError`)."""
        student = {c.index for c in self.merged.cells if c.origin != "instructor"}
        out = []
        for i in sorted(self.errors):
            if i not in self.cells:
                continue
            frames = {int(m) for m in re.findall(r'File "<cell (\d+)>"', self.tracebacks.get(i, ""))}
            out.append(CellError(i, self.cells[i].origin, self.cells[i].grade_id, self.errors[i],
                                 bool(frames & student), self.exc_types.get(i, "")))
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
