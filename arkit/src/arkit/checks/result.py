"""The one result type every check returns, and the hint level that decides what a student sees.

A check's ``message`` names the CAUSE (what is wrong, where, in the student's terms). The FIX
("use a strict inequality ...") goes in ``hint`` and is shown only when the instructor enables the
``fix`` hint level: ``ARKIT_HINT_LEVEL=fix`` in notebooks, ``autograder grade --hint-level fix``
for feedback. The default level is ``cause``.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

HINT_LEVELS = ("cause", "fix")
HINT_LEVEL_ENV = "ARKIT_HINT_LEVEL"


def hint_level(level: str | None = None) -> str:
    """The hint level in force: ``level`` if given, else ``$ARKIT_HINT_LEVEL``, else ``"cause"``.

    An unknown value falls back to ``"cause"`` (never show more than asked for)."""
    value = (level if level is not None else os.environ.get(HINT_LEVEL_ENV, "")).strip().lower()
    return value if value in HINT_LEVELS else "cause"


def exception_text(exc: BaseException) -> str:
    """``"TypeError: bad shape"`` without repeats: an empty message gives ``"TypeError"``, and a
    message that already starts with the type name (a re-raised remote error,
    ``"NotImplementedError: "``) is not prefixed twice."""
    kind = type(exc).__name__
    text = str(exc).strip()
    while text.startswith(kind):
        text = text[len(kind):].lstrip(": ").strip()
    return f"{kind}: {text}" if text else kind


def readable_label(name: str) -> str:
    """A check name as a student reads it: ``"pixelcnn_nll_test.shapes.threshold"`` -> ``"threshold"``,
    ``"made_masks.autoregressive"`` -> ``"autoregressive"`` (last dotted part, underscores as spaces)."""
    last = name.rsplit(".", 1)[-1]
    return re.sub(r"[_\s]+", " ", last).strip() or name


@dataclass
class CheckResult:
    """Outcome of one check.

    Attributes:
        name: short identifier, e.g. ``"made_masks.autoregressive"`` (internal; not shown as a label).
        passed: whether the check passed.
        score: fraction of credit in [0, 1] (1.0 when passed unless partial credit applies).
        message: what a student reads at every hint level: the cause, in the student's terms
            (what is wrong and where), without the fix.
        details: machine-readable facts (offending pairs, coverage, measured values).
        figure: optional matplotlib Figure (dependency heatmap, samples, ...).
        hint: how to fix it; shown only at hint level ``"fix"``. Empty when there is no hint.
        label: optional readable name of what was checked (``"output shapes"``); when empty,
            :func:`readable_label` of ``name`` is used where a label is needed.
    """

    name: str
    passed: bool
    score: float
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    figure: Any = None
    hint: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        self.score = float(min(1.0, max(0.0, self.score)))

    @classmethod
    def ok(cls, name: str, message: str = "ok", **details: Any) -> "CheckResult":
        return cls(name, True, 1.0, message, dict(details))

    @classmethod
    def fail(cls, name: str, message: str, score: float = 0.0, hint: str = "",
             **details: Any) -> "CheckResult":
        return cls(name, False, score, message, dict(details), hint=hint)

    @property
    def display_label(self) -> str:
        """``label`` if set, else a readable form of ``name``."""
        return self.label or readable_label(self.name)

    def text(self, level: str | None = None) -> str:
        """The message a student sees at ``level`` (default: :func:`hint_level`): the cause, plus
        ``"Hint: ..."`` at level ``"fix"`` when there is a hint."""
        if self.hint and hint_level(level) == "fix":
            return f"{self.message.rstrip()}\nHint: {self.hint.strip()}"
        return self.message

    def raise_if_failed(self, level: str | None = None) -> "CheckResult":
        """Raise ``AssertionError`` with the message if the check failed (for notebook test cells).

        The hint is included only at hint level ``"fix"`` (``ARKIT_HINT_LEVEL=fix``)."""
        if not self.passed:
            raise AssertionError(f"[{self.display_label}] {self.text(level)}")
        return self

    def __bool__(self) -> bool:  # ``assert check(...)`` reads naturally
        return self.passed

    def __str__(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        return f"{status} {self.name} ({self.score:.2f}): {self.message}"


def _join(texts: list[str]) -> str:
    """Join sentences with "; " without doubled punctuation (no ``".;"``) or repeated entries."""
    out: list[str] = []
    for t in texts:
        t = t.strip().rstrip(";").strip()
        if t and t not in out:
            out.append(t)
    if len(out) <= 1:
        return out[0] if out else ""
    return "; ".join(t.rstrip(".") for t in out[:-1]) + "; " + out[-1]


def _reason(message: str) -> str:
    """The part of a message that names the cause: the text after ``"Cause: "`` when there is one."""
    return message.split("Cause: ", 1)[1].strip() if "Cause: " in message else message.strip()


def combine(name: str, results: list[CheckResult]) -> CheckResult:
    """All-of combination: passes iff every part passes; score is the mean score.

    The message lists the failing parts, each prefixed by its readable label (never the internal
    dotted name); the hints of the failing parts are kept (joined) in ``hint``."""
    if not results:
        return CheckResult.fail(name, "no checks were run")
    failed = [r for r in results if not r.passed]
    score = sum(r.score for r in results) / len(results)
    parts = {"parts": [r.name for r in results],
             # each part's scalar facts (e.g. a held-out measurement: dataset, nats_per_dim), by part name
             "part_details": {r.name: {k: v for k, v in r.details.items()
                                       if isinstance(v, (int, float, str, bool)) or v is None} for r in results}}
    if failed:
        if len(failed) == 1:
            msg = failed[0].message
        else:  # name each part, unless its message already does; a shared cause is said once
            groups: dict[str, list[CheckResult]] = {}
            for r in failed:
                groups.setdefault(_reason(r.message), []).append(r)
            texts = []
            for same in groups.values():
                r = same[0]
                text = r.message if r.display_label.lower() in r.message.lower() else f"{r.display_label}: {r.message}"
                if len(same) > 1:
                    text = f"{text.rstrip('.')} (same cause in {', '.join(o.display_label for o in same[1:])})"
                texts.append(text)
            msg = _join(texts)
        hint = _join([r.hint for r in failed if r.hint])
        return CheckResult(name, False, score, msg, parts,
                           next((r.figure for r in failed if r.figure is not None), None), hint=hint)
    return CheckResult(name, True, score, "all parts passed", parts)
