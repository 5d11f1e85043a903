"""Read jupytext sources into clean, reproducible notebooks."""
from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat

# Cell metadata that jupytext adds for round-tripping; it is noise in a release.
_DROP_CELL_KEYS = ("lines_to_next_cell", "lines_to_end_of_cell_marker", "cell_marker")

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def read_source(path: Path) -> nbformat.NotebookNode:
    """Read a jupytext percent-format source into a notebook with stable metadata.

    Drops jupytext's round-trip metadata, sets the kernelspec, gives every
    cell a stable id derived from its position (``cell-NN``) so that a
    rebuild is byte-identical.
    """
    nb = jupytext.read(path, fmt="py:percent")
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        for key in _DROP_CELL_KEYS:
            cell.metadata.pop(key, None)
        cell["id"] = f"cell-{i:03d}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.validate(nb)
    return nb


def install_cell(requirement: str) -> nbformat.NotebookNode:
    """A first code cell that installs ``arkit`` only where it is missing (e.g. Colab).

    It never touches torch: arkit's metadata accepts the preinstalled build.
    """
    source = (
        "# Installs the student kit (`import arkit`) at the course's fixed version where it is\n"
        "# missing (e.g. on Colab); where it is installed already this does nothing.\n"
        "try:\n"
        "    import arkit  # noqa: F401\n"
        "except ImportError:\n"
        "    import subprocess, sys\n"
        f"    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-q', {requirement!r}])\n"
    )
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": "install_arkit", "locked": True,
                                 "schema_version": 3, "solution": False, "task": False}
    return cell


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write ``nb`` deterministically (sorted keys, 1-space indent, trailing newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text, encoding="utf-8")
