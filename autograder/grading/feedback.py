"""The student's feedback page: one self-contained HTML file rendered from a :class:`StudentResult`.

Layout: a summary at the top (score, points per notebook, what to fix first: the questions
that lost most points, in order), then one section per notebook with every question's message
(the cause), the hint only at hint level ``fix`` (:mod:`.hints`), and the check's figure (PNG
embedded as base64, with alt text). Instructor review flags are never shown. Every string from
a result is HTML-escaped (student code can put anything in an exception message); nothing is
loaded from outside the file.
"""
from __future__ import annotations

import base64
import html
import io
import re

from . import hints
from .student_result import (ERROR, GRADER_ERROR, NOT_IMPLEMENTED, NOT_SUBMITTED, PENDING, QuestionResult,
                             StudentResult)

FIGURE_DPI = 110  # 10 pt legend text -> ~15 px

STYLE = """
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:56em;margin:1.5em auto;
 padding:0 1em;color:#1f2328;background:#fff}
h1{font-size:1.6em;margin:.2em 0 .6em}h2{font-size:1.3em;margin:1.6em 0 .5em;border-bottom:1px solid #d0d7de}
h3{font-size:1.05em;margin:0;display:flex;gap:.6em;align-items:baseline;flex-wrap:wrap}
.summary{border:1px solid #d0d7de;border-radius:8px;padding:.8em 1.2em;background:#f6f8fa}
.score{font-size:1.35em;margin:.2em 0 .6em}.score b{font-size:1.2em}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #d0d7de;padding:.25em .7em;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.fixfirst li{margin:.3em 0}.lost{color:#a40e26;font-weight:600;white-space:nowrap}
.level{color:#57606a;font-size:.9em;margin:.6em 0 0}
.q{border:1px solid #d0d7de;border-left:6px solid #1a7f37;border-radius:6px;padding:.6em 1em;margin:.8em 0}
.q.failed{border-left-color:#cf222e}.q.partial{border-left-color:#bf8700}
.pts{margin-left:auto;font-variant-numeric:tabular-nums;white-space:nowrap;font-weight:600}
.qid{color:#57606a;font-size:.8em;font-weight:normal}
.status{display:inline-block;font-size:.85em;padding:0 .5em;border-radius:1em;background:#eaeef2;color:#24292f}
.msg{white-space:pre-wrap;overflow-wrap:anywhere;margin:.5em 0;font:inherit}
.hint{background:#ddf4ff;border:1px solid #54aeff;border-radius:6px;padding:.4em .8em;margin:.5em 0;
 white-space:pre-wrap;overflow-wrap:anywhere}
figure{margin:.6em 0}img{max-width:100%;height:auto;border:1px solid #eaeef2}
.passed-list .q{padding:.35em 1em}.passed-list .msg{color:#57606a;font-size:.9em;margin:.2em 0}
ul.notes li{white-space:pre-wrap;overflow-wrap:anywhere}
"""

# Status labels a student reads (``graded`` and ``review`` show none: review is the instructor's business).
STATUS_TEXT = {NOT_SUBMITTED: "notebook not submitted", NOT_IMPLEMENTED: "not implemented yet",
               ERROR: "your code raised an error", GRADER_ERROR: "not graded: a grader problem, not yours",
               PENDING: "not graded yet"}

_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$")


def figure_png(fig) -> str | None:
    """base64 PNG of a matplotlib figure (closed afterwards), or None."""
    if fig is None:
        return None
    try:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(fig)
        return base64.b64encode(buf.getvalue()).decode()
    except Exception:  # noqa: BLE001 - a broken figure must not break the page
        return None


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _pts(x: float) -> str:
    return f"{x:g}"


def _figure(q: QuestionResult) -> str:
    png = q.figure_png
    if not png or not _BASE64.match(png):  # only a real base64 payload goes into the src attribute
        return ""
    alt = f"Figure for '{q.title or q.id}': {hints.shorten(q.message, 200)}"
    return f"<figure><img alt=\"{_e(alt)}\" src=\"data:image/png;base64,{png}\"></figure>"


def _question(q: QuestionResult, level: str) -> str:
    cls = "passed" if q.passed else ("partial" if q.points > 0 else "failed")
    status = STATUS_TEXT.get(q.status, "")
    if status and q.message.lower().startswith(status):  # the message already says it
        status = ""
    badge = f" <span class='status'>{_e(status)}</span>" if status else ""
    hint = ""
    if q.hint and level == "fix" and not q.passed:
        hint = f"<div class='hint'><b>Hint:</b> {_e(q.hint.strip())}</div>"
    return (f"<article class='q {cls}' id='{hints.anchor(q.id)}'><h3>{_e(q.title or q.id)}{badge}"
            f"<span class='qid'>{_e(q.id)}</span><span class='pts'>{_pts(q.points)} / {_pts(q.max_points)}</span>"
            f"</h3><pre class='msg'>{_e(q.message.strip())}</pre>{hint}{_figure(q)}</article>")


def _summary(result: StudentResult, stems: list[str], level: str) -> list[str]:
    pct = 100.0 * result.score / result.max_score if result.max_score else 0.0
    out = ["<section class='summary' aria-label='summary'>",
           f"<p class='score'>Score: <b>{_pts(result.score)} / {_pts(result.max_score)}</b> ({pct:.0f}%)</p>",
           "<table><tr><th>notebook</th><th class='num'>points</th><th class='num'>questions passed</th></tr>"]
    for stem in stems:
        qs = [q for q in result.questions.values() if q.notebook == stem]
        got, best = sum(q.points for q in qs), sum(q.max_points for q in qs)
        note = " (not submitted)" if qs and all(q.status == NOT_SUBMITTED for q in qs) else ""
        out.append(f"<tr><td><a href='#{hints.anchor(stem)}'>{_e(stem)}</a>{note}</td>"
                   f"<td class='num'>{_pts(round(got, 4))} / {_pts(best)}</td>"
                   f"<td class='num'>{sum(q.passed for q in qs)} of {len(qs)}</td></tr>")
    out.append("</table>")
    todo = hints.fix_first(result)
    if todo:
        out.append("<h2>What to fix first</h2><ol class='fixfirst'>")
        out += [f"<li><a href='#{it.anchor}'>{_e(it.title)}</a> <span class='lost'>lost {_pts(it.lost)} of {_pts(it.max_points)} points"
                f"</span>: {_e(it.summary)}</li>" for it in todo]
        out.append("</ol>")
    else:
        out.append("<p>Every question earned full points.</p>")
    out.append("<p class='level'>" + ("Each message says what is wrong and where; hints on how to fix it are "
                                     "shown below the messages." if level == "fix" else
                                     "Each message says what is wrong and where (hints on how to fix it "
                                     "are not part of this feedback).") + "</p></section>")
    return out


def render(result: StudentResult, hint_level: str | None = None) -> str:
    """The feedback page of one :class:`StudentResult` (a complete HTML document).

    ``hint_level``: ``"cause"`` or ``"fix"``; default ``$ARKIT_HINT_LEVEL``, else ``"cause"``.
    """
    level = hints.hint_level(hint_level)
    title = f"{result.assignment}: feedback for {result.student}"
    stems = list(dict.fromkeys(q.notebook for q in result.questions.values()))
    parts = ["<!doctype html>", "<html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>", f"<h1>{_e(title)}</h1>"]
    parts += _summary(result, stems, level)
    general = ([result.output] if result.output else []) + list(result.notes.get("", []))
    if general:
        parts.append("<h2>About your submission</h2><ul class='notes'>")
        parts += [f"<li>{_e(n)}</li>" for n in general]
        parts.append("</ul>")
    for stem in stems:
        qs = [q for q in result.questions.values() if q.notebook == stem]
        got, best = round(sum(q.points for q in qs), 4), sum(q.max_points for q in qs)
        parts.append(f"<section id='{hints.anchor(stem)}'><h2>{_e(stem)} "
                     f"<span class='qid'>{_pts(got)} / {_pts(best)} points</span></h2>")
        if qs and all(q.status == NOT_SUBMITTED for q in qs):
            parts.append(f"<p>{_e(qs[0].message)}: its {len(qs)} questions earned no points.</p>")
        else:
            todo, done = [q for q in qs if not q.passed], [q for q in qs if q.passed]
            parts += [_question(q, level) for q in todo]
            if done:
                parts.append("<div class='passed-list'>")
                parts += [_question(q, level) for q in done]
                parts.append("</div>")
        notes = list(result.notes.get(stem, [])) + [hints.clean_error(c) for c in result.cell_errors.get(stem, [])]
        if notes:
            parts.append("<h3>About this notebook</h3><ul class='notes'>")
            parts += [f"<li>{_e(n)}</li>" for n in notes]
            parts.append("</ul>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
