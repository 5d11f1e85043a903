"""One similarity run: intake -> student-written code -> copydetect per solution cell -> CSV + HTML."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .collect import Note, collect, load_templates
from .compare import Match, compare_cell
from .extract import StudentCode
from .report import Rule, ranked, write_csv, write_html


@dataclass
class Summary:
    """What a run found: every pair that shares code (ranked), the notes, where the files are."""

    matches: list[Match]
    notes: list[Note]
    rule: Rule
    students: int
    csv: Path
    html: Path

    @property
    def flagged(self) -> list[Match]:
        return [m for m in self.matches if self.rule.flags(m)]

    def line(self) -> str:
        return (f"{self.students} student(s) compared; {len(self.matches)} pair(s) share code, "
                f"{len(self.flagged)} flagged (score >= {self.rule.threshold:.2f}); {self.html}, {self.csv}")


def cell_texts(codes: dict[str, dict[str, StudentCode]]) -> dict[tuple[str, str], dict[str, str]]:
    """(notebook, grade_id) -> student -> what they wrote in that cell (cells nobody wrote in left out)."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for stem, by in codes.items():
        for who, code in by.items():
            for cell, text in code.blocks.items():
                if text.strip():
                    out.setdefault((stem, cell), {})[who] = text
    return dict(sorted(out.items()))


def run(submissions: Path, assignment: str, release: Path, out: Path, *, threshold: float, min_overlap: int,
        top_k: int, mapping: dict[str, str] | None = None) -> Summary:
    templates = load_templates(Path(release))
    codes, notes = collect(Path(submissions), assignment, templates, mapping=mapping)
    texts = cell_texts(codes)
    matches = []
    for (stem, cell), by in texts.items():
        matches += compare_cell(stem, cell, by, templates[stem].given)
    rule = Rule(threshold, min_overlap)
    matches = ranked(matches, rule)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    students = len({who for by in codes.values() for who in by})
    summary = Summary(matches, notes, rule, students, out / "pairs.csv", out / "report.html")
    write_csv(summary.csv, matches, rule)
    write_html(summary.html, matches, texts, rule, top_k, notes, f"Similarity of student-written code: {assignment}")
    return summary
