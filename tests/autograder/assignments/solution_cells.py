"""Run chosen cells of an hw1 solution source (by nbgrader grade_id) to get the reference
objects for tests: only cells that define functions and classes, no data, no training."""
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
    nb = jupytext.read(source, fmt="py:percent")
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells if c.cell_type == "code"}
    missing = [c for c in cell_ids if c not in by_id]
    if missing:
        raise KeyError(f"{source.name} has no cells with grade_id {missing}")
    ns: dict = dict(extra or {})
    exec(PRELUDE, ns)
    for cid in cell_ids:
        exec(compile(by_id[cid], f"{source.name}:{cid}", "exec"), ns)
    return ns
