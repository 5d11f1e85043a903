"""Grade one submission: run each notebook in a sandbox, grade its questions in this process."""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
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
    """One graded question."""

    question: base.Question
    result: CheckResult
    elapsed_s: float = 0.0

    @property
    def points(self) -> float:
        return round(self.result.score * self.question.points, 4)


@dataclass
class NotebookReport:
    stem: str
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cell_errors: list[str] = field(default_factory=list)
    run_time_s: float = 0.0


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


def _fail_all(questions, message: str) -> list[Outcome]:
    return [Outcome(q, CheckResult.fail(q.id, message)) for q in questions]


class NotebookRun:
    """Runs the merged cells of one notebook in a sandbox, restarting after a kill."""

    def __init__(self, merged: merge.Merged, limits: Limits, sandbox_kw: dict):
        self.merged, self.limits, self.kw = merged, limits, sandbox_kw
        self.skip: set[int] = set()
        self.errors: dict[int, str] = {}
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
                return
            except SandboxError as exc:
                self.errors[cell.index] = f"{self._label(cell)}: {exc}"
                self.skip.add(cell.index)
                self.restarts += 1
                if self.restarts > MAX_RESTARTS:
                    raise

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
        return finish(_fail_all(questions, f"notebook {stem}.ipynb was not submitted"))
    try:
        merged = merge.merge(merge.read_instructor(instructor_path), merge.read_submission(student_data),
                             stem, keep_extra_cells)
    except merge.SubmissionError as exc:
        return finish(_fail_all(questions, str(exc)))
    report.notes.extend(merged.notes)
    run = NotebookRun(merged, limits, sandbox_kw)
    try:
        try:
            run.start()
        except SandboxError as exc:
            report.cell_errors.extend(run.errors.values())
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
    objects = make_proxies(sandbox, exposed, limits.call_timeout_s, lambda: budget, seed=ctx.seed)
    result = base.grade_question(q, objects, ctx)
    if not sandbox.alive() and result.passed:
        result = CheckResult.fail(q.id, f"the notebook process stopped while grading: {sandbox.dead_reason}")
    return Outcome(q, result, round(time.monotonic() - t0, 3))
