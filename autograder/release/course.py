"""An nbgrader course directory built from the repository.

nbgrader reads ``.ipynb`` files from ``<course>/source/<assignment>/``; our
source of truth is ``solutions/<assignment>/*.py`` (jupytext). This module
writes the notebooks there, the course's ``nbgrader_config.py``, and runs
nbgrader's own commands (``generate_assignment``, ``autograde``) on it.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from autograder.colab_config import load_config
from autograder.paths import solution_sources
from autograder.release import how_to_submit
from autograder.release.notebooks import install_cell, read_source, write_notebook

COURSE_ID = "ar-hw"

NBGRADER_CONFIG = '''\
# Written by autograder.release.course: the course directory is a build product.
# Paths are taken from this file's folder, so a copied or moved course folder works
# (the gradebook is <this folder>/gradebook.db, nbgrader's default under the root).
import os

from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, DeduplicateIds, OverwriteKernelspec

c = get_config()  # noqa: F821
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = {course_id!r}
try:
    from autograder.release.nbgrader_ext import OverwriteReleasedCells
except ImportError:  # the kit is not installed here: nbgrader's own list (it warns on untouched test cells)
    pass
else:
    # nbgrader's own list with OverwriteCells replaced: an untouched locked test cell
    # (hidden tests cleared by the release) is not reported as changed.
    c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec,
                                          OverwriteReleasedCells, CheckCellMetadata]
# Stubs that students replace.
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Autograding executes whole notebooks that train small models.
c.ExecutePreprocessor.timeout = {timeout}
c.Execute.timeout = {timeout}
c.Execute.kernel_name = "python3"
'''


def build_source_notebooks(assignment: str, course_dir: Path) -> list[Path]:
    """Write ``course_dir/source/<assignment>/*.ipynb`` from the jupytext sources."""
    requirement = load_config().pip_requirement()
    sources = solution_sources(assignment)
    names = [f"{src.stem}.ipynb" for src in sources]
    out = []
    for src in sources:
        nb = read_source(src)
        how_to_submit.fill(nb, assignment, f"{src.stem}.ipynb", names)
        nb.cells.insert(0, install_cell(requirement))
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"cell-{i:03d}"
        path = course_dir / "source" / assignment / f"{src.stem}.ipynb"
        write_notebook(nb, path)
        out.append(path)
    return out


def write_config(course_dir: Path, timeout: int = 900) -> Path:
    """Write the course's ``nbgrader_config.py`` (no absolute paths: the root is its own folder)."""
    course_dir.mkdir(parents=True, exist_ok=True)
    path = course_dir / "nbgrader_config.py"
    path.write_text(NBGRADER_CONFIG.format(course_id=COURSE_ID, timeout=timeout))
    return path


def run_nbgrader(course_dir: Path, *args: str, env: dict | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in ``course_dir``; raise ``RuntimeError`` with its log on failure."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    # nbgrader shells out to `alembic`, which lives beside this interpreter.
    full_env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), full_env.get("PATH", "")])
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def build_course(assignment: str, course_dir: Path) -> Path:
    """Fresh source notebooks + config, then ``nbgrader generate_assignment``.

    Returns the folder of released (student) notebooks.
    """
    write_config(course_dir)
    build_source_notebooks(assignment, course_dir)
    run_nbgrader(course_dir, "generate_assignment", assignment, "--force")
    return course_dir / "release" / assignment
