"""A self-contained HTML feedback page per student (PNG figures embedded as base64)."""
from __future__ import annotations

import base64
import html
import io

from .runner import NotebookReport

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


def render(student: str, assignment: str, reports: list[NotebookReport], results: dict) -> str:
    """The feedback page: score, per-question messages and figures, notes about the submission."""
    e = html.escape
    parts = [f"<!doctype html><meta charset='utf-8'><title>{e(assignment)} feedback: {e(student)}</title>",
             f"<style>{STYLE}</style>", f"<h1>{e(assignment)}: feedback for {e(student)}</h1>",
             f"<p><b>Score: {results['score']:g} / {results['max_score']:g}</b></p>"]
    for rep in reports:
        parts.append(f"<h2>{e(rep.stem)}</h2><table><tr><th>question</th><th>points</th><th>message</th></tr>")
        for o in rep.outcomes:
            cls = "passed" if o.result.passed else "failed"
            png = figure_png(o.result.figure)
            img = f"<br><img alt='figure for {e(o.question.id)}' src='data:image/png;base64,{png}'>" if png else ""
            parts.append(f"<tr class='{cls}'><td>{e(o.question.title or o.question.id)}<br><small>{e(o.question.id)}"
                         f"</small></td><td>{o.points:g} / {o.question.points:g}</td>"
                         f"<td><pre>{e(o.result.message)}</pre>{img}</td></tr>")
        parts.append("</table>")
        if rep.notes or rep.cell_errors:
            parts.append("<h3>About this notebook</h3><ul>")
            parts += [f"<li><pre>{e(n)}</pre></li>" for n in rep.notes + rep.cell_errors]
            parts.append("</ul>")
    return "\n".join(parts) + "\n"
