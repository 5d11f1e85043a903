"""A self-contained HTML feedback page per student (PNG figures embedded as base64)."""
from __future__ import annotations

import base64
import html
import io

from .student_result import StudentResult

STYLE = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
         ".passed{color:#176b2c}.failed{color:#a11}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}"
         "img{max-width:100%}pre{white-space:pre-wrap}")


def figure_png(fig) -> str | None:
    """base64 PNG of a matplotlib figure (closed afterwards), or None."""
    if fig is None:
        return None
    try:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(fig)
        return base64.b64encode(buf.getvalue()).decode()
    except Exception:  # noqa: BLE001 - a broken figure must not break the page
        return None


def render(result: StudentResult) -> str:
    """The feedback page of one :class:`StudentResult`: score, per-question messages and figures, notes."""
    e = html.escape
    student, assignment = result.student, result.assignment
    parts = [f"<!doctype html><meta charset='utf-8'><title>{e(assignment)} feedback: {e(student)}</title>",
             f"<style>{STYLE}</style>", f"<h1>{e(assignment)}: feedback for {e(student)}</h1>",
             f"<p><b>Score: {result.score:g} / {result.max_score:g}</b></p>"]
    if result.output:
        parts.append(f"<p><pre>{e(result.output)}</pre></p>")
    if result.notes.get(""):
        parts.append("<h3>About your submission</h3><ul>")
        parts += [f"<li><pre>{e(n)}</pre></li>" for n in result.notes[""]]
        parts.append("</ul>")
    stems = list(dict.fromkeys(q.notebook for q in result.questions.values()))
    for stem in stems:
        parts.append(f"<h2>{e(stem)}</h2><table><tr><th>question</th><th>points</th><th>message</th></tr>")
        for q in (q for q in result.questions.values() if q.notebook == stem):
            cls = "passed" if q.passed else "failed"
            img = (f"<br><img alt='figure for {e(q.id)}' src='data:image/png;base64,{q.figure_png}'>"
                   if q.figure_png else "")
            flags = "".join(f"<br><i>{e(f)}</i>" for f in q.flags)
            status = "" if q.status in ("graded", "review") else f"<br><small>({e(q.status.replace('_', ' '))})</small>"
            parts.append(f"<tr class='{cls}'><td>{e(q.title or q.id)}<br><small>{e(q.id)}</small>{status}</td>"
                         f"<td>{q.points:g} / {q.max_points:g}</td>"
                         f"<td><pre>{e(q.message)}</pre>{flags}{img}</td></tr>")
        parts.append("</table>")
        notes = result.notes.get(stem, []) + result.cell_errors.get(stem, [])
        if notes:
            parts.append("<h3>About this notebook</h3><ul>")
            parts += [f"<li><pre>{e(n)}</pre></li>" for n in notes]
            parts.append("</ul>")
    return "\n".join(parts) + "\n"
