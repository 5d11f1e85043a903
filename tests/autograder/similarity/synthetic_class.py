"""Build a synthetic class of hw1 submissions: honest students plus planted copies.

``build_class(root, students)`` writes the nbgrader layout ``root/submitted/<student>/hw1/<stem>.ipynb``
from the **released** notebooks (``assignments/hw1``), with each solution cell filled by the
student's implementation (helpers above the function, the body in place of the stub) and every
other cell as released. The disguises a copier uses are plain functions of an implementation
(``grade_id -> (helpers, body[, trailer])``): :func:`rename`, :func:`reorder`, :func:`recomment`,
:func:`add_dead_code`.
"""
from __future__ import annotations

import copy
import json
import re
import textwrap
from pathlib import Path

from autograder.paths import ASSIGNMENTS_DIR

STUB = re.compile(r"^(?P<indent>[ \t]*)# YOUR CODE HERE\n[ \t]*raise NotImplementedError\(\)[ \t]*$", re.M)
RELEASE = ASSIGNMENTS_DIR / "hw1"
STEMS = ("01_warmup", "02_made")


def fill(released: str, helpers: str, body: str, trailer: str = "") -> str:
    """The released cell with the stub replaced by ``body`` (indented like the stub), ``helpers`` above and
    ``trailer`` below."""
    m = STUB.search(released)
    assert m, "the released cell has no '# YOUR CODE HERE / raise NotImplementedError()' stub"
    filled = released[:m.start()] + textwrap.indent(body, m["indent"]) + released[m.end():]
    return helpers + filled + (f"\n\n\n{trailer}" if trailer else "")


def build_class(root: Path, students: dict[str, dict], release: Path = RELEASE) -> Path:
    """Write every student's notebooks; returns ``root`` (pass it to ``autograder similarity``)."""
    released = {stem: json.loads((release / f"{stem}.ipynb").read_text()) for stem in STEMS}
    for name, impl in students.items():
        folder = root / "submitted" / name / "hw1"
        folder.mkdir(parents=True, exist_ok=True)
        for stem, nb in released.items():
            nb = copy.deepcopy(nb)
            for cell in nb["cells"]:
                gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                if gid in impl:
                    cell["source"] = fill("".join(cell["source"]), *impl[gid]).splitlines(keepends=True)
            (folder / f"{stem}.ipynb").write_text(json.dumps(nb, indent=1))
    return root


def _map(impl: dict, fn) -> dict:
    return {gid: tuple(fn(part) for part in parts) for gid, parts in impl.items()}


def rename(impl: dict, names: dict[str, str]) -> dict:
    """Every identifier in ``names`` renamed (whole words only)."""
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    return _map(impl, lambda text: pattern.sub(lambda m: names[m[1]], text))


def reorder(impl: dict) -> dict:
    """Helper functions in reverse order and moved below the function that uses them."""
    out = {}
    for gid, (helpers, body, *rest) in impl.items():
        blocks = [b.strip("\n") for b in re.split(r"\n(?=def |@)", helpers) if b.strip()]
        out[gid] = ("", body, "\n\n\n".join(reversed(blocks))) if blocks else (helpers, body, *rest)
    return out


def recomment(impl: dict) -> dict:
    """Every comment removed, and new ones (different words) added on other lines."""
    said = ("# compute it", "# numerically stable", "# see the lecture notes", "# vectorised over the batch")

    def redo(text: str) -> str:
        lines = [re.sub(r"\s+#[^\"']*$", "", ln) for ln in text.splitlines() if not ln.lstrip().startswith("#")]
        return "\n".join(ln + ("  " + said[i % len(said)] if i % 3 == 1 and ln.strip() else "")
                         for i, ln in enumerate(lines))
    return _map(impl, redo)


DEAD_CODE = (  # (helper, statements at the top, statements before the last line): two copiers, two styles
    ("def _not_used(t):\n    return t * 0 + 1\n\n\n", ["debug = False", "_unused = [0] * 3"],
     ["if debug:", "    print('shapes', _unused)"]),
    ("def check_shapes(*tensors):\n    for t in tensors:\n        assert t is not None\n\n\n", ["tmp = None"],
     ["for _k in range(0):", "    tmp = _k", "verbose = 0"]),
)


def add_dead_code(impl: dict, style: int = 0) -> dict:
    """Statements that change nothing, at the top of each body and before its last line, plus an unused helper."""
    helper, top, end = DEAD_CODE[style]
    out = {}
    for gid, (helpers, body, *rest) in impl.items():
        lines = body.splitlines()
        out[gid] = (helper + helpers, "\n".join(top + lines[:-1] + end + lines[-1:]), *rest)
    return out


def disguise_all(impl: dict, names: dict[str, str]) -> dict:
    """Every disguise at once."""
    return add_dead_code(recomment(reorder(rename(impl, names))), style=1)
