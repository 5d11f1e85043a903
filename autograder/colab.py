"""``autograder colab``: Colab-ready solution notebooks from the instructor sources.

Usage::

    autograder colab [--execute] [--out out/colab] [--repo-url URL] [--ref REF] [SOURCE.py ...]

For every jupytext source ``solutions/<assignment>/<name>.py`` it writes
``<out>/<assignment>/<name>.ipynb`` through these steps, applied in this order
(the order is enforced by :data:`CELL_STEPS`, not by a comment):

0. the "How to submit" cell (tag ``how-to-submit``) dropped: nothing is
   submitted from a solution notebook;
1. solution regions kept, their ``### BEGIN/END SOLUTION`` marker lines removed;
   mark-scheme regions removed;
2. hidden-test regions (``### BEGIN HIDDEN TESTS`` .. ``### END HIDDEN TESTS``)
   removed with their markers;
3. cells that are then empty, or that only use the instructor package
   ``autograder``, dropped; a cell that *mixes* ``autograder`` with student
   code is an error (move those lines into a hidden-test region);
4. nbgrader metadata removed; deterministic cell ids;
5. on top: an "Open in Colab" badge (at the solutions ref) and a setup cell
   that installs the student package at its pinned version
   (:meth:`autograder.colab_config.PublishConfig.pip_requirement`, the same
   requirement as the released notebooks and the course site) without touching
   Colab's CUDA torch, and prefetches the datasets the notebook loads.

The result is validated (no ``autograder`` import, no hidden-test line) before
it is written; ``--execute`` then runs it with nbclient under
``ARKIT_PROFILE=ci`` so that the figures are stored in the notebook.
"""
from __future__ import annotations

import argparse
import ast
import copy
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.colab_config import COLAB_BADGE_SVG, PublishConfig, load_config
from autograder.release.how_to_submit import is_submit_cell

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCES = "solutions/*/*.py"
DEFAULT_OUT = "out/colab"

_MARK = r"^[ \t]*(?:#[ \t]*)?{}[ \t]*$"
SOLUTION = (re.compile(_MARK.format(r"###[ \t]*BEGIN SOLUTION")), re.compile(_MARK.format(r"###[ \t]*END SOLUTION")))
HIDDEN = (re.compile(_MARK.format(r"###[ \t]*BEGIN HIDDEN TESTS")), re.compile(_MARK.format(r"###[ \t]*END HIDDEN TESTS")))
MARK_SCHEME = (re.compile(_MARK.format(r"===[ \t]*BEGIN MARK SCHEME[ \t]*===")),
               re.compile(_MARK.format(r"===[ \t]*END MARK SCHEME[ \t]*===")))
INSTRUCTOR_PACKAGE = "autograder"
_LOAD_DATASET = re.compile(r"load_dataset\(\s*['\"]([A-Za-z0-9_]+)['\"]")


class ColabBuildError(ValueError):
    """A source notebook cannot be turned into a safe Colab notebook."""


@dataclass
class Region:
    """Lines of one source split by a BEGIN/END marker pair (marker lines dropped)."""

    outside: list[str]
    inside: list[str]
    unmarked: list[str]  # every line in order, only the marker lines removed


def split_region(source: str, markers: tuple[re.Pattern, re.Pattern], where: str) -> Region:
    """Split ``source`` into lines outside and inside ``markers`` (marker lines dropped).

    Raises :class:`ColabBuildError` naming ``where`` for nested or unbalanced markers.
    """
    begin, end = markers
    outside, inside, unmarked, depth = [], [], [], 0
    for line in source.splitlines():
        if begin.match(line):
            if depth:
                raise ColabBuildError(f"{where}: nested {begin.pattern!r} marker")
            depth = 1
        elif end.match(line):
            if not depth:
                raise ColabBuildError(f"{where}: {end.pattern!r} without its BEGIN marker")
            depth = 0
        else:
            (inside if depth else outside).append(line)
            unmarked.append(line)
    if depth:
        raise ColabBuildError(f"{where}: BEGIN marker {begin.pattern!r} is never closed")
    return Region(outside, inside, unmarked)


def hidden_test_lines(source_text: str, where: str = "source") -> list[str]:
    """Distinctive lines of the hidden-test regions of a whole jupytext source.

    A line counts when, stripped of whitespace and the jupytext comment prefix,
    it has at least 12 characters and does not also occur outside the regions
    (a line like ``import numpy as np`` is no secret). Used by the leak checks.
    """
    region = split_region(source_text, HIDDEN, where)
    public = {line.strip() for line in region.outside}
    lines = []
    for line in region.inside:
        text = line.strip()
        if len(text) >= 12 and text not in public and text not in lines:
            lines.append(text)
    return lines


def _strip_magics(source: str) -> str:
    return "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _instructor_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == INSTRUCTOR_PACKAGE:
                    names.add(alias.asname or INSTRUCTOR_PACKAGE)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == INSTRUCTOR_PACKAGE:
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _uses(stmt: ast.AST, names: set[str]) -> bool:
    if _instructor_names(stmt):
        return True
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(stmt))


def instructor_usage(source: str, known: set[str]) -> tuple[str, set[str]]:
    """Classify a code cell: ``'none'``, ``'only'`` or ``'mixed'`` use of ``autograder``.

    ``known`` holds names bound from ``autograder`` in earlier cells; the names
    this cell binds are returned with the verdict.
    """
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError:
        pattern = rf"^\s*(?:import|from)\s+{INSTRUCTOR_PACKAGE}\b"
        return ("mixed" if re.search(pattern, source, re.M) else "none"), set()
    bound = _instructor_names(tree)
    names = known | bound
    flags = [_uses(stmt, names) for stmt in tree.body]
    if not any(flags):
        return "none", bound
    return ("only" if all(flags) else "mixed"), bound


def _only_comments(source: str) -> bool:
    try:
        return not ast.parse(_strip_magics(source)).body
    except SyntaxError:
        return False


def imports_instructor_package(source: str) -> bool:
    """True when code imports ``autograder`` (statements, ``__import__``, ``import_module``)."""
    verdict, _ = instructor_usage(source, set())
    if verdict != "none":
        return True
    return bool(re.search(rf"(?:__import__|import_module)\(\s*['\"]{INSTRUCTOR_PACKAGE}\b", source))


# ---- cell steps (applied in this order) ------------------------------------

def _drop_submit_section(cell, where, state):
    return None if is_submit_cell(cell) else cell


def _keep_solutions(cell, where, state):
    cell.source = "\n".join(split_region(cell.source, SOLUTION, where).unmarked)
    cell.source = "\n".join(split_region(cell.source, MARK_SCHEME, where).outside)
    return cell


def _drop_hidden_tests(cell, where, state):
    region = split_region(cell.source, HIDDEN, where)
    if region.inside and cell.cell_type != "code":
        raise ColabBuildError(f"{where}: hidden-test markers in a {cell.cell_type} cell")
    cell.source = "\n".join(region.outside).strip("\n")
    state["had_hidden_tests"] = bool(region.inside)
    return cell


def _drop_instructor_cells(cell, where, state):
    if not cell.source.strip():
        return None
    if cell.cell_type != "code":
        return cell
    if state["had_hidden_tests"] and _only_comments(cell.source):
        return None  # a test cell whose hidden tests were all it did
    verdict, bound = instructor_usage(cell.source, state["instructor_names"])
    state["instructor_names"] |= bound
    if verdict == "only":
        return None
    if verdict == "mixed":
        raise ColabBuildError(
            f"{where}: the cell uses the instructor package '{INSTRUCTOR_PACKAGE}' next to student code "
            "outside a hidden-test region; move those lines between ### BEGIN HIDDEN TESTS and "
            "### END HIDDEN TESTS (or into a cell of their own)")
    return cell


def _clean_metadata(cell, where, state):
    for key in ("nbgrader", "lines_to_next_cell", "deletable", "editable"):
        cell.metadata.pop(key, None)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


CELL_STEPS = (_drop_submit_section, _keep_solutions, _drop_hidden_tests, _drop_instructor_cells, _clean_metadata)


def setup_cell_source(config: PublishConfig, datasets: list[str]) -> str:
    """Code of the first cell: install ``arkit`` when missing, then prefetch data."""
    lines = [
        f"# Setup for Colab: install the student kit ({config.dist_name} {config.version}, `import arkit`).",
        "# Colab's CUDA build of torch stays: arkit only asks for torch>=2.2.",
        "import importlib, importlib.util, subprocess, sys",
        'if importlib.util.find_spec("arkit") is None:',
        f'    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{config.pip_requirement()}"], check=True)',
        "    importlib.invalidate_caches()",
    ]
    if datasets:
        lines += [
            "from arkit.data import load_dataset",
            f"for _name in {datasets!r}:  # downloaded with checksums and cached on first use",
            '    load_dataset(_name, "train")',
        ]
    return "\n".join(lines)


def badge_markdown(url: str, image: str = COLAB_BADGE_SVG) -> str:
    """Markdown of an "Open in Colab" badge linking to ``url``."""
    return f"[![Open In Colab]({image})]({url})"


def convert(source_path: Path, config: PublishConfig, rel_path: str, badge_image: str = COLAB_BADGE_SVG):
    """Build the Colab notebook (an ``nbformat`` node) for one jupytext source.

    ``rel_path`` is the notebook's path inside the repository at
    ``config.solutions_ref`` (what the badge opens). Nothing is executed and nothing is written.
    """
    import jupytext
    import nbformat

    source_path = Path(source_path)
    nb = jupytext.read(source_path)
    state = {"instructor_names": set(), "had_hidden_tests": False}
    cells = []
    for index, original in enumerate(nb.cells):
        cell = copy.deepcopy(original)
        where = f"{source_path.name} cell {index + 1} ({original.metadata.get('nbgrader', {}).get('grade_id', original.cell_type)})"
        for step in CELL_STEPS:
            cell = step(cell, where, state)
            if cell is None:
                break
        if cell is not None:
            cells.append(cell)
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    datasets = sorted(set(_LOAD_DATASET.findall(code)))
    head = [nbformat.v4.new_markdown_cell(badge_markdown(config.solutions_colab_url(rel_path), badge_image)),
            nbformat.v4.new_code_cell(setup_cell_source(config, datasets))]
    out = nbformat.v4.new_notebook()
    out.cells = head + cells
    for i, cell in enumerate(out.cells):
        cell["id"] = f"cell-{i:03d}"
    out.metadata = {
        "kernelspec": nb.metadata.get("kernelspec", {"display_name": "Python 3", "language": "python", "name": "python3"}),
        "language_info": {"name": "python"},
        "accelerator": "GPU",
        "colab": {"provenance": [], "toc_visible": True},
    }
    problems = leak_problems(out, hidden_test_lines(source_path.read_text(), source_path.name))
    if problems:
        raise ColabBuildError(f"{source_path}: refusing to write a leaking notebook: " + "; ".join(problems))
    nbformat.validate(out)
    return out


def leak_problems(nb, hidden_lines: list[str]) -> list[str]:
    """What would leak from ``nb``: instructor imports and hidden-test lines (empty if clean)."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and imports_instructor_package(cell.source):
            problems.append(f"cell {i + 1} imports '{INSTRUCTOR_PACKAGE}'")
        for line in hidden_lines:
            if line in cell.source:
                problems.append(f"cell {i + 1} contains hidden-test line {line!r}")
    return problems


def execute(nb, cwd: Path, timeout: int = 1800) -> None:
    """Run ``nb`` in place with nbclient under ``ARKIT_PROFILE=ci`` (inline figures kept)."""
    from nbclient import NotebookClient

    env = dict(os.environ, ARKIT_PROFILE="ci", MPLBACKEND="module://matplotlib_inline.backend_inline")
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})
    client.execute(env=env)


def find_sources(patterns: list[str], root: Path = REPO_ROOT) -> list[Path]:
    """Expand source paths/globs (relative to the cwd, else to ``root``; sorted, ``__init__``-style files skipped)."""
    found: list[Path] = []
    for pattern in patterns:
        path = Path(pattern)
        if path.is_absolute():
            matches = [path] if path.exists() else []
        else:
            matches = sorted(Path.cwd().glob(pattern)) or sorted(root.glob(pattern))
        found += [p for p in matches if p.suffix == ".py" and not p.name.startswith("_")]
    return found


def build(sources: list[Path], out_dir: Path, config: PublishConfig, run: bool = False) -> list[Path]:
    """Write ``<out_dir>/<assignment>/<name>.ipynb`` for each source; return the paths."""
    import nbformat

    written = []
    for src in sources:
        assignment = src.parent.name
        rel = f"{config.solutions_publish_dir}/{assignment}/{src.stem}.ipynb"
        nb = convert(src, config, rel)
        target = Path(out_dir) / assignment / f"{src.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        if run:
            start = time.time()
            execute(nb, cwd=target.parent)
            print(f"   executed {src.name} in {time.time() - start:.1f} s (profile ci)")
        nbformat.write(nb, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autograder colab", description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="*", help=f"jupytext sources (default: {DEFAULT_SOURCES})")
    parser.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    parser.add_argument("--execute", action="store_true", help="run each notebook under ARKIT_PROFILE=ci")
    parser.add_argument("--repo-url", help="repository URL (default: autograder/colab_config.py)")
    parser.add_argument("--ref", help="git ref for the install cell and badges")
    args = parser.parse_args(argv)
    sources = find_sources(args.sources or [DEFAULT_SOURCES])
    if not sources:
        print(f"autograder colab: no sources match {args.sources or [DEFAULT_SOURCES]}", file=sys.stderr)
        return 2
    config = load_config(args.repo_url, args.ref)
    try:
        written = build(sources, Path(args.out), config, run=args.execute)
    except ColabBuildError as exc:
        print(f"autograder colab: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"   wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
