"""``autograder site``: build the course site offline into ``course_site/_build/html``.

Usage::

    autograder site [--build-dir course_site/_build] [--show-solutions | --hide-solutions]
                    [--solutions GLOB ...] [--assignments DIR] [--repo-url URL] [--ref REF]

Steps, in this order (:data:`STEPS`):

1. copy ``course_site/`` to ``<build-dir>/src`` (the source tree stays clean);
2. draw the figures with ``course_site/figures.py`` (the kit's own code);
3. write ``_install.md``, the one install command of the student package
   (:meth:`autograder.colab_config.PublishConfig.install_command`), which every
   page that says how to install includes;
4. list the student notebooks of ``assignments/<hw>/*.ipynb`` with download
   links and Colab badges;
5. if solutions are released (``SITE_SHOW_SOLUTIONS`` or the release date in
   :mod:`autograder.colab_config`), add the Colab solution notebooks (hidden
   tests removed by :func:`autograder.colab.convert`, not executed);
6. run Sphinx (MyST-NB, math as MathML, no network) into ``<build-dir>/html``.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import time
import warnings as warnings_module
from dataclasses import dataclass, field
from pathlib import Path

from autograder import colab
from autograder.colab_config import PublishConfig, load_config

REPO_ROOT = Path(__file__).resolve().parents[1]
STAGING_SKIP = ("_build", "__pycache__", "figures.py", "README.md", ".ipynb_checkpoints")
BADGE = "_static/colab-badge.svg"


@dataclass
class SiteBuild:
    """Inputs and results of one build."""

    source: Path
    build_dir: Path
    config: PublishConfig
    show_solutions: bool
    solution_sources: list[Path]
    assignments_dir: Path
    pages: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def staging(self) -> Path:
        return self.build_dir / "src"

    @property
    def html(self) -> Path:
        return self.build_dir / "html"


def _badge(url: str, depth: int) -> str:
    """Colab badge with the site's local image, for a page ``depth`` folders below the root."""
    return colab.badge_markdown(url, "../" * depth + BADGE)


def stage_sources(build: SiteBuild) -> None:
    """Copy the site sources into the staging folder (fresh each build)."""
    if build.staging.exists():
        shutil.rmtree(build.staging)
    shutil.copytree(build.source, build.staging, ignore=shutil.ignore_patterns(*STAGING_SKIP))


def draw_figures(build: SiteBuild) -> None:
    """Run ``figures.generate`` from the site sources into ``<staging>/figures``."""
    spec = importlib.util.spec_from_file_location("course_site_figures", build.source / "figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(build.staging / "figures")


def write_install_snippet(build: SiteBuild) -> None:
    """Write ``<staging>/_install.md``: the install command, as a bash block (pages ``{include}`` it)."""
    (build.staging / "_install.md").write_text(
        f"```bash\n{build.config.install_command()}\n```\n")


def list_assignments(build: SiteBuild) -> None:
    """Copy ``assignments/<hw>/*.ipynb`` and write ``assignments/_<hw>_notebooks.md`` tables."""
    homeworks = {p.stem for p in (build.source / "assignments").glob("*.md")}
    if build.assignments_dir.is_dir():
        homeworks |= {p.name for p in build.assignments_dir.iterdir() if p.is_dir()}
    for hw in sorted(homeworks):
        notebooks = sorted((build.assignments_dir / hw).glob("*.ipynb"))
        files = build.staging / "assignments" / "files" / hw
        files.mkdir(parents=True, exist_ok=True)
        rows = ["| notebook | download | Colab |", "|---|---|---|"]
        for nb in notebooks:
            shutil.copy2(nb, files / nb.name)
            url = build.config.colab_url(f"{build.config.assignments_dir}/{hw}/{nb.name}")
            rows.append(f"| {nb.stem} | {{download}}`{nb.name} <files/{hw}/{nb.name}>` | {_badge(url, 1)} |")
        text = "\n".join(rows) if notebooks else (
            f"The notebooks of `{hw}` have not been generated yet (`autograder release` writes them "
            f"to `assignments/{hw}/`).")
        (build.staging / "assignments" / f"_{hw}_notebooks.md").write_text(text + "\n")


def add_solutions(build: SiteBuild) -> None:
    """Write ``solutions/_solutions.md`` and, when released, the solution notebooks."""
    out = build.staging / "solutions"
    out.mkdir(parents=True, exist_ok=True)
    date = build.config.solutions_release_date.isoformat()
    if not build.show_solutions:
        text = (f"The solutions will be published here on {date}, after the due date of the homework. "
                "Until then, the public checks in each notebook are the best guide.")
    elif not build.solution_sources:
        text = "No solution notebooks have been written yet."
    else:
        import nbformat

        rows, entries = ["| notebook | download | Colab |", "|---|---|---|"], []
        for src in build.solution_sources:
            hw = src.parent.name
            rel = f"{build.config.solutions_publish_dir}/{hw}/{src.stem}.ipynb"
            nb = colab.convert(src, build.config, rel, badge_image="../" * 2 + BADGE)  # page depth 2
            target = out / hw / f"{src.stem}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target)
            entries.append(f"{hw}/{src.stem}")
            rows.append(f"| [{hw}/{src.stem}]({hw}/{src.stem}.ipynb) | "
                        f"{{download}}`{src.stem}.ipynb <{hw}/{src.stem}.ipynb>` | "
                        f"{_badge(build.config.solutions_colab_url(rel), 1)} |")
        toctree = "```{toctree}\n:maxdepth: 1\n:hidden:\n\n" + "\n".join(entries) + "\n```"
        text = ("The instructor solutions as Colab notebooks, shown here without outputs; "
                "open one in Colab to run it.\n\n" + "\n".join(rows) + "\n\n" + toctree)
    (out / "_solutions.md").write_text(text + "\n")


def run_sphinx(build: SiteBuild) -> int:
    """Sphinx html build of the staging folder; returns Sphinx's exit status."""
    from sphinx.cmd.build import build_main

    for stale in (build.html, build.build_dir / "doctrees"):  # never keep pages of an earlier build
        if stale.exists():
            shutil.rmtree(stale)
    warnings = build.build_dir / "warnings.txt"
    args = ["-b", "html", "-E", "-q", "-j", "1", "-d", str(build.build_dir / "doctrees"),
            "-w", str(warnings), str(build.staging), str(build.html)]
    with warnings_module.catch_warnings():  # deprecation noise of sphinx extensions, not our pages
        warnings_module.simplefilter("ignore", DeprecationWarning)
        warnings_module.simplefilter("ignore", PendingDeprecationWarning)
        status = build_main(args)
    build.pages = sorted(str(p.relative_to(build.html)) for p in build.html.rglob("*.html")
                         if not p.name.startswith(("genindex", "search")))
    return status


STEPS = (stage_sources, draw_figures, write_install_snippet, list_assignments, add_solutions)


def build_site(build: SiteBuild) -> int:
    """Run :data:`STEPS` then Sphinx; record per-step timings in ``build.timings``."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    for step in STEPS + (run_sphinx,):
        start = time.time()
        status = step(build)
        build.timings[step.__name__] = round(time.time() - start, 2)
        if step is run_sphinx and status:
            return status
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autograder site", description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=str(REPO_ROOT / "course_site"), help="site sources")
    parser.add_argument("--build-dir", default=str(REPO_ROOT / "course_site" / "_build"),
                        help="staging + html output (default: %(default)s)")
    show = parser.add_mutually_exclusive_group()
    show.add_argument("--show-solutions", dest="show", action="store_true", default=None)
    show.add_argument("--hide-solutions", dest="show", action="store_false")
    parser.add_argument("--solutions", action="append", metavar="GLOB",
                        help=f"solution sources (default: {colab.DEFAULT_SOURCES})")
    parser.add_argument("--assignments", default=str(REPO_ROOT / "assignments"), help="student notebooks")
    parser.add_argument("--repo-url")
    parser.add_argument("--ref")
    args = parser.parse_args(argv)
    config = load_config(args.repo_url, args.ref)
    build = SiteBuild(
        source=Path(args.source), build_dir=Path(args.build_dir), config=config,
        show_solutions=config.show_solutions() if args.show is None else args.show,
        solution_sources=colab.find_sources(args.solutions or [colab.DEFAULT_SOURCES]),
        assignments_dir=Path(args.assignments))
    start = time.time()
    try:
        status = build_site(build)
    except colab.ColabBuildError as exc:
        print(f"autograder site: {exc}", file=sys.stderr)
        return 1
    if status:
        print(f"autograder site: Sphinx failed (exit {status}); see {build.build_dir / 'warnings.txt'}",
              file=sys.stderr)
        return status
    print(f"   built {len(build.pages)} pages into {build.html} in {time.time() - start:.1f} s "
          f"(solutions {'shown' if build.show_solutions else 'hidden'}; steps {build.timings})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
