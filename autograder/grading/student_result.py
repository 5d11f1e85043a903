"""The one typed result of grading one student; every output format renders it.

``grade_student(submission, spec) -> StudentResult`` is the grading spine. Writers
(Gradescope ``results.json``, ``grades.csv``, the nbgrader gradebook,
``feedback.html``, calibration) read a :class:`StudentResult` and nothing else:
no writer parses another writer's output or a display string.

Units: points are plain numbers; times are seconds; measured likelihoods in
``details`` say their unit in the key (``nats_per_dim``, ``bits_per_dim``).
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1

# QuestionResult.status values
GRADED = "graded"                  # the question ran; ``points`` is what it earned
NOT_SUBMITTED = "not_submitted"    # the notebook holding it was not handed in
NOT_IMPLEMENTED = "not_implemented"  # the stub still raises NotImplementedError
ERROR = "error"                    # student code raised / timed out / the notebook died
GRADER_ERROR = "grader_error"      # an instructor-side problem (never the student's fault)
PENDING = "pending"                # not graded yet (Gradescope partial results)
REVIEW = "review"                  # graded, but held for instructor review (e.g. too good to be true)
STATUSES = (GRADED, NOT_SUBMITTED, NOT_IMPLEMENTED, ERROR, GRADER_ERROR, PENDING, REVIEW)


def json_safe(value: Any) -> Any:
    """``value`` reduced to JSON types (tensors and arrays become lists, non-finite floats strings)."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        try:
            return json_safe(tolist())
        except Exception:  # noqa: BLE001
            pass
    return repr(value)[:500]


@dataclass
class QuestionResult:
    """One graded question of one student.

    Attributes:
        id: question id (= nbgrader ``grade_id``); the key everywhere, never parsed from a title.
        notebook: notebook stem, e.g. ``"02_made"``.
        title: display title.
        max_points: points possible.
        points: points earned (0 <= points <= max_points).
        passed: full credit.
        status: one of :data:`STATUSES`.
        message: the cause, in the student's terms (what is wrong, where).
        hint: how to fix it; shown only at the hint level the instructor enables.
        flags: instructor-facing markers, e.g. ``"review: held-out NLL far below the reference"``.
        details: JSON-safe machine-readable facts (measured values, offending pairs, ...).
        figure_png: base64 PNG of the check's figure, or None.
        elapsed_s: wall seconds spent grading this question.
    """

    id: str
    notebook: str
    title: str
    max_points: float
    points: float = 0.0
    passed: bool = False
    status: str = GRADED
    message: str = ""
    hint: str = ""
    flags: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    figure_png: str | None = None
    elapsed_s: float = 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["details"] = json_safe(self.details)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "QuestionResult":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class StudentResult:
    """Everything the grader concluded about one student's submission.

    Attributes:
        student: the student's id (from the LMS's own key; see ``intake``).
        assignment: e.g. ``"hw1"``.
        profile: ``ci`` / ``cpu`` / ``gpu``.
        questions: question id -> :class:`QuestionResult`, in the assignment's order.
        notes: submission-level notes for the student (dropped files, extra cells, ...), per notebook
            stem (``""`` for the submission as a whole).
        cell_errors: notebook stem -> errors raised by cells while the notebook ran.
        status: ``"graded"`` or ``"failed"`` (the grader itself failed; ``output`` says why).
        output: top-level text for the student (e.g. an internal error).
        execution_time_s: wall seconds for the whole student.
        sandbox: what isolation was in force (``Isolation.summary()``).
        key: cache key (submission digest + grader fingerprint) for resumable runs.
    """

    student: str
    assignment: str
    profile: str
    questions: dict[str, QuestionResult] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    cell_errors: dict[str, list[str]] = field(default_factory=dict)
    status: str = "graded"
    output: str = ""
    execution_time_s: float = 0.0
    sandbox: dict[str, Any] = field(default_factory=dict)
    key: str = ""

    @property
    def score(self) -> float:
        return round(sum(q.points for q in self.questions.values()), 4)

    @property
    def max_score(self) -> float:
        return float(sum(q.max_points for q in self.questions.values()))

    @property
    def flagged(self) -> list[QuestionResult]:
        """Questions held for instructor review."""
        return [q for q in self.questions.values() if q.flags or q.status == REVIEW]

    def to_dict(self) -> dict:
        return {"schema": SCHEMA_VERSION, "student": self.student, "assignment": self.assignment,
                "profile": self.profile, "status": self.status, "output": self.output,
                "score": self.score, "max_score": self.max_score,
                "execution_time_s": round(self.execution_time_s, 3), "sandbox": json_safe(self.sandbox),
                "key": self.key, "notes": self.notes, "cell_errors": self.cell_errors,
                "questions": [q.to_dict() for q in self.questions.values()]}

    @classmethod
    def from_dict(cls, d: dict) -> "StudentResult":
        if d.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"not a StudentResult of schema {SCHEMA_VERSION}")
        qs = [QuestionResult.from_dict(q) for q in d.get("questions", [])]
        return cls(d["student"], d["assignment"], d["profile"], {q.id: q for q in qs},
                   dict(d.get("notes", {})), dict(d.get("cell_errors", {})), d.get("status", "graded"),
                   d.get("output", ""), float(d.get("execution_time_s", 0.0)), dict(d.get("sandbox", {})),
                   d.get("key", ""))

    def dumps(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n"

    @classmethod
    def loads(cls, text: str) -> "StudentResult":
        return cls.from_dict(json.loads(text))
