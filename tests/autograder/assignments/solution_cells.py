"""Run chosen cells of a solution source (by nbgrader grade_id) to get the reference objects for
tests: only cells that define functions and classes, no data, no training. :func:`load_cells`
reads an hw1 source; :func:`run_cells` runs cells of any notebook (an hw2 source, a mutated copy)."""
from __future__ import annotations

from pathlib import Path

import jupytext

SOLUTIONS = Path(__file__).resolve().parents[3] / "solutions" / "hw1"
# what the notebooks' setup cells import
PRELUDE = ("import os, math, time\nimport numpy as np, torch\nimport torch.nn as nn\n"
           "import torch.nn.functional as F\nfrom arkit.submission import expose\n")


def load_cells(stem: str, cell_ids: tuple[str, ...], extra: dict | None = None) -> dict:
    """Execute the code cells ``cell_ids`` of ``solutions/hw1/<stem>.py`` in a namespace holding
    the prelude and ``extra`` (globals the cells expect); return the namespace."""
    source = SOLUTIONS / f"{stem}.py"
    return run_cells(jupytext.read(source, fmt="py:percent"), cell_ids, extra, where=source.name)


def run_cells(nb, cell_ids, extra: dict | None = None, prelude: str = PRELUDE, where: str = "notebook") -> dict:
    """Execute the code cells ``cell_ids`` (nbgrader grade_ids, in that order) of the notebook ``nb``
    in a namespace holding ``prelude`` and ``extra``; return the namespace. ``where`` names the
    notebook in tracebacks and in the ``KeyError`` for a missing cell."""
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells if c.cell_type == "code"}
    missing = [c for c in cell_ids if c not in by_id]
    if missing:
        raise KeyError(f"{where} has no cells with grade_id {missing}")
    ns: dict = dict(extra or {})
    exec(prelude, ns)
    for cid in cell_ids:
        exec(compile(by_id[cid], f"{where}:{cid}", "exec"), ns)
    return ns
