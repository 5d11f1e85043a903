"""What a student reads of a graded question, at the hint level the instructor chose.

Two levels (:data:`arkit.checks.result.HINT_LEVELS`): ``cause`` shows the message only (what
is wrong, where); ``fix`` also shows the hint (how to fix it), e.g. for post-deadline feedback.
The level comes from ``autograder grade --hint-level`` or ``ARKIT_HINT_LEVEL``; default
``cause``. Instructor review flags (``QuestionResult.flags``) are never part of the student text.
"""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from arkit.checks.result import HINT_LEVELS, hint_level

from .student_result import (GRADER_ERROR, NOT_IMPLEMENTED, NOT_SUBMITTED, PENDING, QuestionResult,
                             StudentResult)

__all__ = ["HINT_LEVELS", "hint_level", "student_text", "shorten", "FixItem", "fix_first"]


def student_text(q: QuestionResult, level: str | None = None) -> str:
    """The message of ``q``, plus ``"Hint: ..."`` at level ``fix`` when the check gave one."""
    message = q.message.strip()
    if q.hint and hint_level(level) == "fix":
        return f"{message}\nHint: {q.hint.strip()}"
    return message


def shorten(text: str, width: int = 160) -> str:
    """``text`` on one line, cut at a word boundary to at most ``width`` characters (``" ..."`` marks a cut)."""
    return textwrap.shorten(re.sub(r"\s+", " ", text).strip(), width, placeholder=" ...")


@dataclass
class FixItem:
    """One entry of "what to fix first": a question (or a whole notebook not submitted).

    ``anchor``: id of the element on the feedback page; ``lost`` of ``max_points``: points lost.
    """

    title: str
    lost: float
    summary: str
    anchor: str
    max_points: float = 0.0


def fix_first(result: StudentResult, limit: int = 3) -> list[FixItem]:
    """The questions that lost most points, most first (ties: page order), at most ``limit``.

    Questions not implemented yet are one entry (pointing at the first of them, in page order).
    Notebooks that were not submitted are one entry together (listed first when they cost most),
    and do not count against ``limit``: the questions that were graded still get their places.
    """
    items: list[tuple[float, int, FixItem]] = []
    missing: dict[str, float] = {}
    stubs: list[QuestionResult] = []
    for pos, q in enumerate(result.questions.values()):
        lost = round(q.max_points - q.points, 4)
        if lost <= 0 or q.status in (GRADER_ERROR, PENDING):  # not the student's to fix
            continue
        if q.status == NOT_SUBMITTED:
            missing[q.notebook] = missing.get(q.notebook, 0.0) + lost
            continue
        if q.status == NOT_IMPLEMENTED:
            stubs.append(q)
            continue
        cause = q.message.split("Cause: ", 1)[-1]  # the stated cause when the message has one
        items.append((lost, pos, FixItem(q.title or q.id, lost, shorten(cause, 140), anchor(q.id),
                                         q.max_points)))
    if stubs:  # one entry, in page order: implementing the first stub often unblocks the next ones
        lost = round(sum(q.max_points - q.points for q in stubs), 4)
        first = stubs[0].title or stubs[0].id
        title = first if len(stubs) == 1 else f"{len(stubs)} questions not implemented yet"
        summary = ("not implemented yet" if len(stubs) == 1 else f"starting with {first}")
        items.append((lost, -1, FixItem(title, lost, summary, anchor(stubs[0].id),
                                        sum(q.max_points for q in stubs))))
    items.sort(key=lambda t: (-t[0], t[1]))
    out = [it for _, _, it in items[:limit]]
    if missing:
        lost = round(sum(missing.values()), 4)
        names = ", ".join(f"{stem}.ipynb" for stem in missing)
        title = f"notebook {next(iter(missing))}" if len(missing) == 1 else f"{len(missing)} notebooks"
        entry = FixItem(title, lost, f"not submitted: {names}", anchor(next(iter(missing))), lost)
        at = next((i for i, it in enumerate(out) if it.lost < lost), len(out))
        out.insert(at, entry)
    return out


def anchor(key: str) -> str:
    """An HTML id for a question id or notebook stem (letters, digits, ``-`` and ``_`` only)."""
    return "q-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


_STUB = re.compile(r"\bNotImplementedError\b")
_CASCADE = re.compile(r"\b(NameError|KeyError|UnboundLocalError)\b|was not available|did not provide")


def clean_error(text: str) -> str:
    """A cell error as a student reads it: no dangling ``": "`` after an exception without a message,
    no ``"X: X"`` repeat (``"raised NotImplementedError: "`` -> ``"raised NotImplementedError"``)."""
    text = re.sub(r"\b(\w+(?:Error|Exception))(?::\s*\1\b)+", r"\1", text.strip())
    text = re.sub(r"\b(\w+(?:Error|Exception)):\s*(?=\(|$)", r"\1 ", text)  # empty exception message
    return re.sub(r"\s{2,}", " ", re.sub(r"[:;,]\s*$", "", text)).strip()


def explain_cascade(q: QuestionResult, first_error: str) -> bool:
    """Mark ``q`` ``not_implemented`` when it failed only because an earlier cell hit a stub.

    ``first_error``: the first failed cell above the question (e.g. ``"cell 5 (setup cell
    'warmup_histogram_train') raised NotImplementedError: "``). Applies when that cell raised
    ``NotImplementedError`` and the question earned nothing because an object was missing or a
    ``NameError``/``KeyError`` followed from it (a blank notebook's cascade). Returns whether ``q``
    was changed.
    """
    if q.passed or q.points > 0 or not _STUB.search(first_error):
        return False
    cause = q.details.get("cause")
    if cause == "not_implemented":
        return False
    if cause not in ("missing", "exception") and not _CASCADE.search(q.message):
        return False
    names = list(q.details.get("missing") or [])
    q.status = NOT_IMPLEMENTED
    if names:
        verb = "was" if len(names) == 1 else "were"
        q.message = (f"not implemented yet: {', '.join(names)} {verb} not created because "
                     f"{clean_error(first_error)} (a function it uses is still a stub)")
    else:
        q.message = (f"not implemented yet: {clean_error(first_error)} (a function this question uses "
                     "is still a stub)")
    q.hint = ""  # the cause is the stub: implement it
    return True
