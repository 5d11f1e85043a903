"""Graded questions: defined once, run inside a notebook or by the pipeline.

A :class:`Question` names the objects it needs (exposed by the notebook with
:func:`arkit.submission.expose`) and a ``grade`` function that turns them into
a :class:`~arkit.checks.result.CheckResult`. The same question is graded

* inside the student's kernel by an nbgrader hidden-test cell that calls
  :func:`grade_in_notebook` (the classic nbgrader path), and
* by the sandboxed pipeline (``autograder grade``), where the objects are
  proxies that forward calls to the student's process and the grade function
  runs in the trusted parent. Grade functions therefore only *call* the
  objects they receive (forward calls with inputs they choose); they never
  trust a verdict or a number computed by student code.
"""
from __future__ import annotations

import importlib
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from arkit.checks.result import CheckResult
from autograder.assignments.spec import ParamFnSpec


@dataclass(frozen=True)
class GradingContext:
    """Where and how a question is graded.

    Attributes:
        assignment: e.g. ``"hw1"``.
        profile: ``"ci"``, ``"cpu"`` or ``"gpu"`` (selects calibration thresholds).
        device: torch device string for the grader's own computations.
        seed: seed for the grader's random probes.
        mode: ``"local"`` (objects are real; autograd available) or
            ``"remote"`` (objects are forward-only proxies).
    """

    assignment: str
    profile: str
    device: str = "cpu"
    seed: int = 0
    mode: str = "local"


GradeFn = Callable[[Mapping[str, Any], GradingContext], CheckResult]


@dataclass(frozen=True)
class Question:
    """One graded question.

    Attributes:
        id: the nbgrader ``grade_id`` of the hidden-test cell that grades it.
        notebook: notebook stem, e.g. ``"02_made"``.
        points: maximum points.
        needs: names the notebook must expose.
        grade: ``grade(objects, ctx) -> CheckResult``.
        title: what a student sees in feedback.
        timeout_s: wall-time budget for grading this question (pipeline).
        param_fns: trusted declarations of the exposed parameter functions this
            question scores (:class:`~autograder.assignments.spec.ParamFnSpec`); the
            grader audits exactly these, whatever the student's metadata says.
    """

    id: str
    notebook: str
    points: float
    needs: tuple[str, ...]
    grade: GradeFn
    title: str = ""
    timeout_s: float = 300.0
    meta: dict[str, Any] = field(default_factory=dict)
    param_fns: tuple[ParamFnSpec, ...] = ()

    @property
    def required_names(self) -> tuple[str, ...]:
        """Every exposed name grading needs: ``needs``, then each declared param_fn's names (no repeats)."""
        declared = (n for spec in self.param_fns for n in spec.names)
        return tuple(dict.fromkeys((*self.needs, *declared)))


_QUESTIONS: dict[str, dict[str, Question]] = {}


def register(assignment: str, question: Question) -> Question:
    """Add ``question`` to ``assignment`` (ids must be unique per assignment)."""
    table = _QUESTIONS.setdefault(assignment, {})
    if question.id in table and table[question.id] is not question:
        raise ValueError(f"question id {question.id!r} registered twice in {assignment!r}")
    table[question.id] = question
    return question


def questions(assignment: str) -> list[Question]:
    """All questions of ``assignment`` (imports ``autograder.assignments.<assignment>``)."""
    try:
        importlib.import_module(f"autograder.assignments.{assignment}")
    except ModuleNotFoundError as exc:
        # Assignments defined outside the package (tests, a course's own
        # module) register themselves before they are graded.
        if exc.name != f"autograder.assignments.{assignment}" or assignment not in _QUESTIONS:
            raise KeyError(f"unknown assignment {assignment!r}: no module autograder.assignments.{assignment} "
                           "and no questions registered under that name") from None
    return list(_QUESTIONS.get(assignment, {}).values())


def registered(assignment: str) -> list[Question]:
    """Questions already registered under ``assignment`` (imports nothing)."""
    return list(_QUESTIONS.get(assignment, {}).values())


def get_question(assignment: str, qid: str) -> Question:
    for q in questions(assignment):
        if q.id == qid:
            return q
    raise KeyError(f"assignment {assignment!r} has no question {qid!r}")


def grade_question(question: Question, objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """Run one question's grade function; never raises.

    Missing exposed objects and exceptions become a failed result whose
    message names the cause; ``details["cause"]`` is ``"missing"`` (with
    ``details["missing"]``: the names), ``"not_implemented"`` or ``"exception"``.
    """
    missing = [n for n in question.required_names if n not in objects]
    if missing:
        them = "it" if len(missing) == 1 else "them"
        return CheckResult.fail(
            question.id,
            f"the notebook did not provide {', '.join(missing)}: the cells above that create {them} did "
            "not run to the end (is a function above still a stub?), or were changed",
            hint="run every cell above in order, and do not rename or delete the functions you were asked "
                 "to write",
            cause="missing", missing=missing,
        )
    if question.param_fns:
        # Every declared parameter function is audited on every call, on both grading paths
        # (same audit here and in the sandboxed pipeline); the student's metadata plays no part.
        from autograder.checks.ar_audit import audit_objects
        objects = audit_objects(question.param_fns, objects, seed=ctx.seed)
    start = time.perf_counter()
    try:
        result = question.grade(objects, ctx)
    except NotImplementedError:
        return CheckResult.fail(question.id, "not implemented yet (the stub still raises NotImplementedError)",
                                cause="not_implemented")
    except Exception as exc:  # student code may raise anything
        return CheckResult.fail(question.id, f"{type(exc).__name__} while grading: {exc}", cause="exception")
    if not isinstance(result, CheckResult):
        return CheckResult.fail(question.id, "internal: grade function did not return a CheckResult")
    result.details.setdefault("grading_time_s", round(time.perf_counter() - start, 3))
    reviews = _reviews(result.details)
    if reviews:                       # a part's "too good to be true" flag is the question's
        result.details["review"] = reviews if len(reviews) > 1 else reviews[0]
    return result


def _reviews(details: Mapping[str, Any]) -> list[str]:
    """Every ``review`` reason in ``details`` and in the details of its parts (nested dicts), in order."""
    found: list[str] = []
    review = details.get("review")
    if review:
        found += list(review) if isinstance(review, (list, tuple)) else [str(review)]
    for value in details.values():
        if isinstance(value, Mapping):
            for part in value.values():
                if isinstance(part, Mapping):
                    found += [r for r in _reviews(part) if r not in found]
    return found


def context_from_env(assignment: str, mode: str = "local") -> GradingContext:
    """Context for grading inside a kernel: profile from ``arkit.profiles``, seed from ``ARKIT_GRADER_SEED``."""
    from arkit.profiles import active_profile, default_device

    profile = active_profile()
    return GradingContext(assignment, profile, default_device(profile),
                          int(os.environ.get("ARKIT_GRADER_SEED", "0")), mode)


def grade_in_notebook(assignment: str, qid: str):
    """Grade one question from an nbgrader hidden-test cell.

    Prints the feedback message. Raises ``AssertionError`` when nothing is
    earned; returns the points earned (a float: nbgrader reads a numeric cell
    result as partial credit) when some or all are. Warnings are silenced
    because nbgrader gives 0 points to any test cell that writes to stderr.
    """
    import contextlib
    import io
    import warnings

    from arkit.submission import exposed

    question = get_question(assignment, qid)
    objects = {name: e.obj for name, e in exposed().items()}
    sink = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stderr(sink):
        warnings.simplefilter("ignore")
        result = grade_question(question, objects, context_from_env(assignment))
    print(f"{question.title or question.id}: {result.text()}")  # hint only at ARKIT_HINT_LEVEL=fix
    earned = round(result.score * question.points, 4)
    if earned <= 0:
        raise AssertionError(f"{question.title or question.id}: {result.text()}")
    return earned
