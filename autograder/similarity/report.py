"""Write the similarity results: ``pairs.csv`` (every pair that shares code) and ``report.html``.

One list of :class:`~.compare.Match`, two views; neither reads the other. The HTML shows the top
pairs side by side, the shared code highlighted (copydetect's ``highlight_overlap`` over its match
spans, HTML-escaped: student code and names are untrusted text), and the notes on what was left
out. Both files are written to a temporary name and renamed, so a reader never sees half a file.
"""
from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.grading.results import write_atomic

from .collect import Note
from .compare import Match

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # = autograder.grading.gradebook.FORMULA_PREFIXES
CSV_COLUMNS = ("rank", "notebook", "cell", "student_a", "student_b", "score", "similarity_a", "similarity_b",
               "overlap_chars", "flagged")


@dataclass(frozen=True)
class Rule:
    """When a pair is flagged: ``score >= threshold`` and at least ``min_overlap`` characters of filtered
    code shared (a one-line solution everybody writes alike is not a copy)."""

    threshold: float
    min_overlap: int

    def flags(self, m: Match) -> bool:
        return m.score >= self.threshold and m.overlap >= self.min_overlap


def ranked(matches: list[Match], rule: Rule) -> list[Match]:
    """Flagged pairs first, then by score, overlap, notebook and names: the same order on every run."""
    return sorted(matches, key=lambda m: (not rule.flags(m), *m.sort_key()))


def write_csv(path: Path, matches: list[Match], rule: Rule) -> None:
    """One row per pair that shares a fingerprint; names made safe for spreadsheets (as in ``grades.csv``)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for i, m in enumerate(ranked(matches, rule), 1):
        w.writerow([i, m.notebook, m.cell, _cell(m.student_a), _cell(m.student_b), f"{m.score:.4f}",
                    f"{m.similarity_a:.4f}", f"{m.similarity_b:.4f}", m.overlap, int(rule.flags(m))])
    write_atomic(path, buf.getvalue())


def _pairs_table(flagged: list[Match]) -> str:
    """Students flagged together, with how many cells and the best score: one line per pair of students."""
    if not flagged:
        return ""
    by: dict[tuple[str, str], list[Match]] = {}
    for m in flagged:
        by.setdefault((m.student_a, m.student_b), []).append(m)
    rows = sorted(by.items(), key=lambda kv: (-len(kv[1]), -max(m.score for m in kv[1]), kv[0]))
    e = html.escape
    body = "".join(f"<tr><td>{e(a)}</td><td>{e(b)}</td><td>{len(ms)}</td><td>{max(m.score for m in ms):.2f}</td>"
                   f"<td>{e(', '.join(f'{m.notebook}/{m.cell}' for m in ms))}</td></tr>" for (a, b), ms in rows)
    return ("<h2>Flagged pairs of students</h2><table><tr><th>student</th><th>student</th><th>cells</th>"
            f"<th>best score</th><th>where</th></tr>{body}</table>")


def _cell(text: str) -> str:
    """``gradebook.csv_cell``'s rule for a text cell (a leading ``'`` before ``= + - @``, tab, CR), without
    importing the grading stack (torch) into this light verb; a test keeps the two prefix lists equal."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def write_html(path: Path, matches: list[Match], texts: dict[tuple[str, str], dict[str, str]], rule: Rule,
               top_k: int, notes: list[Note], title: str) -> None:
    """``texts``: (notebook, cell) -> student -> the compared text (the spans of each match index into it)."""
    from copydetect.utils import highlight_overlap

    order = ranked(matches, rule)
    flagged = [m for m in order if rule.flags(m)]
    shown = order[:top_k]
    e = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title><style>{_CSS}</style>"
             f"</head><body><h1>{e(title)}</h1>",
             f"<p>{len(matches)} pair(s) share code; {len(flagged)} flagged (score &ge; {rule.threshold:.2f} and "
             f"&ge; {rule.min_overlap} characters of filtered code shared). Showing the top {len(shown)}. "
             f"Score = the larger of the two fractions of each student's code found in the other's (names, "
             f"strings and comments ignored; the released template removed). A flag is a reason to look, not a "
             f"verdict.</p>", _pairs_table(flagged)]
    for i, m in enumerate(shown, 1):
        hl = []
        for who, spans, sim in ((m.student_a, m.spans_a, m.similarity_a), (m.student_b, m.spans_b, m.similarity_b)):
            text = texts[m.notebook, m.cell][who]
            arr = np.array(spans, dtype=np.int64).T if spans else np.zeros((2, 0), dtype=np.int64)
            code = highlight_overlap(text, arr, "<mark>", "</mark>", escape_html=True)[0] if spans else e(text)
            hl.append(f"<div class='side'><h3>{e(who)} &mdash; {sim:.0%} of their code shared</h3>"
                      f"<pre>{code}</pre></div>")
        flag = "<span class='flag'>flagged</span> " if rule.flags(m) else ""
        parts.append(f"<section><h2>{i}. {flag}{e(m.notebook)}, cell {e(m.cell)}: {e(m.student_a)} &harr; "
                     f"{e(m.student_b)} &mdash; score {m.score:.2f}, {m.overlap} characters shared</h2>"
                     f"<div class='pair'>{''.join(hl)}</div></section>")
    if notes:
        untouched = sum(n.kind == "untouched" for n in notes)
        listed = [n for n in notes if n.kind != "untouched"]
        parts.append("<h2>Not compared</h2>")
        if untouched:
            parts.append(f"<p>{untouched} notebook(s) with every solution cell as released (nothing written).</p>")
        parts.append("<ul>" + "".join(f"<li>{e(str(n))}</li>" for n in listed) + "</ul>")
    parts.append("</body></html>")
    write_atomic(path, "".join(parts))


_CSS = """body{font-family:sans-serif;margin:1.5em}section{border-top:1px solid #ccc;margin-top:1em}
.pair{display:flex;gap:1em}.side{flex:1;min-width:0}pre{background:#f7f7f7;padding:.5em;overflow-x:auto;
font-size:12px}mark{background:#ffd27f}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}
.flag{background:#c00;color:#fff;padding:0 .3em;border-radius:3px}"""
