"""Where the repository's folders are (the instructor package runs from a checkout)."""
from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS_DIR = REPO_ROOT / "solutions"
ASSIGNMENTS_DIR = REPO_ROOT / "assignments"
OUT_DIR = REPO_ROOT / "out"
NBGRADER_COURSE_DIR = OUT_DIR / "nbgrader"


def solution_sources(assignment: str) -> list[Path]:
    """The jupytext sources of ``assignment`` (``solutions/<assignment>/NN_*.py``), sorted."""
    folder = SOLUTIONS_DIR / assignment
    sources = sorted(p for p in folder.glob("[0-9][0-9]_*.py"))
    if not sources:
        raise FileNotFoundError(f"no notebook sources (NN_name.py) in {folder}")
    return sources
