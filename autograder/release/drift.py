"""Copy the nbgrader release into ``assignments/`` and detect drift."""
from __future__ import annotations

import filecmp
import shutil
import tempfile
from pathlib import Path

import nbformat

from autograder.paths import ASSIGNMENTS_DIR
from autograder.release.course import build_course
from autograder.release.notebooks import write_notebook


def _normalized_copy(src: Path, dst: Path) -> None:
    nb = nbformat.read(src, as_version=4)
    write_notebook(nb, dst)


def release(assignment: str, course_dir: Path, dest: Path | None = None) -> list[Path]:
    """Build the student version and write it to ``dest`` (default ``assignments/<assignment>``).

    Files in ``dest`` that the release no longer produces are removed.
    """
    dest = dest or ASSIGNMENTS_DIR / assignment
    released = build_course(assignment, course_dir)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for nb_path in sorted(released.glob("*.ipynb")):
        target = dest / nb_path.name
        _normalized_copy(nb_path, target)
        written.append(target)
    for stale in set(dest.glob("*.ipynb")) - set(written):
        stale.unlink()
    return written


def check_drift(assignment: str) -> list[str]:
    """Rebuild into a temporary folder; return the names of notebooks that differ
    from the committed ``assignments/<assignment>`` (empty list: no drift)."""
    committed = ASSIGNMENTS_DIR / assignment
    with tempfile.TemporaryDirectory() as tmp:
        fresh = release(assignment, Path(tmp) / "course", dest=Path(tmp) / "out")
        names = {p.name for p in fresh} | {p.name for p in committed.glob("*.ipynb")}
        return sorted(n for n in names
                      if not (committed / n).exists() or not (Path(tmp) / "out" / n).exists()
                      or not filecmp.cmp(committed / n, Path(tmp) / "out" / n, shallow=False))
