"""``python -m autograder.publish`` (``make publish``): the student-facing repository tree.

    python -m autograder.publish [--out out/publish] [--with-solutions | --no-solutions]
                                 [--assignments DIR] [--solutions GLOB ...]

Students install the kit from, and open notebooks at, the tag ``REF`` of the public
repository ``REPO_URL`` (:mod:`autograder.colab_config`); that repository holds no
solutions. This writes its content, checked, into ``--out``:

* ``arkit/``: the student package source (distribution ``DIST_NAME``, version ``ARKIT_VERSION``);
* ``assignments/<hw>/*.ipynb``: the released student notebooks (what the badges open);
* ``colab/<hw>/*.ipynb``: the Colab solution notebooks, only with ``--with-solutions`` (default:
  from ``SOLUTIONS_RELEASE_DATE`` on), published under the tag ``SOLUTIONS_REF``;
* ``README.md``: the install command and the notebook links.

It refuses (exit 1, one line per problem) when ``arkit/pyproject.toml`` does not match the
configured name and version, when a student notebook installs a different requirement than
the configuration (the release is stale: ``make release``), or when any file holds a
solution marker, a hidden-test marker or an ``autograder`` import. Then it prints the git
steps that push the tree and its tag.
"""
from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

from autograder import colab
from autograder.colab_config import PublishConfig, load_config

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "out" / "publish"
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".pytest_cache")
_FORBIDDEN = (re.compile(r"BEGIN SOLUTION"), re.compile(r"BEGIN HIDDEN TESTS"),
              re.compile(r"(?:^|[\"\s])(?:from|import)\s+autograder\b", re.M))


def package_problems(arkit_dir: Path, config: PublishConfig) -> list[str]:
    """Mismatches between ``arkit/pyproject.toml`` and the configured name and version."""
    text = (arkit_dir / "pyproject.toml").read_text()
    project = {key: (re.search(rf'^{key}\s*=\s*"([^"]*)"', text, re.M) or [None, None])[1]
               for key in ("name", "version")}  # [project] holds the only top-level name/version keys
    problems = []
    if project["name"] != config.dist_name:
        problems.append(f"arkit/pyproject.toml names the distribution {project['name']!r}, the configuration "
                        f"{config.dist_name!r} (autograder/colab_config.py DIST_NAME)")
    if project["version"] != config.version:
        problems.append(f"arkit/pyproject.toml has version {project['version']}, the configuration "
                        f"{config.version} (autograder/colab_config.py ARKIT_VERSION): bump both together")
    return problems


def notebook_problems(notebooks: list[Path], config: PublishConfig) -> list[str]:
    """Student notebooks whose install cell does not name ``config.pip_requirement()``."""
    wanted = repr(config.pip_requirement())
    return [f"{nb.parent.name}/{nb.name} does not install {config.pip_requirement()} (stale release: "
            "run `make release`)" for nb in notebooks if wanted not in _code_text(nb)]


def _code_text(nb_path: Path) -> str:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def leak_problems(tree: Path) -> list[str]:
    """Files of ``tree`` with a solution or hidden-test marker or an ``autograder`` import."""
    problems = []
    for path in sorted(p for p in tree.rglob("*") if p.is_file() and p.suffix in (".py", ".ipynb", ".md", ".toml")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in _FORBIDDEN:
            if pattern.search(text):
                problems.append(f"{path.relative_to(tree)} contains {pattern.pattern!r}")
    return problems


def readme(config: PublishConfig, assignments: list[str], solutions: list[str]) -> str:
    """README of the public repository: install command and notebook links."""
    lines = ["# Autoregressive models: homework", "",
             f"Student kit `{config.dist_name}` {config.version} (imported as `arkit`). Install it with", "",
             "```bash", config.install_command(), "```", "",
             "(The package called `arkit` on PyPI is unrelated.) The first cell of every notebook does this "
             "on Colab.", "", "## Notebooks", ""]
    lines += [f"* [{rel}]({config.colab_url(rel)})" for rel in assignments]
    if solutions:
        lines += ["", "## Solutions", ""] + [f"* [{rel}]({config.solutions_colab_url(rel)})" for rel in solutions]
    return "\n".join(lines) + "\n"


def build(out: Path, config: PublishConfig, assignments_dir: Path, solution_sources: list[Path],
          with_solutions: bool) -> tuple[list[str], list[str]]:
    """Write the tree into ``out`` (replaced); return ``(written paths, problems)``."""
    problems = package_problems(REPO_ROOT / "arkit", config)
    notebooks = sorted(Path(assignments_dir).glob("*/*.ipynb"))
    if not notebooks:
        problems.append(f"no student notebooks in {assignments_dir}/<assignment>/ (run `make release`)")
    problems += notebook_problems(notebooks, config)
    if problems:
        return [], problems
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(REPO_ROOT / "arkit", out / "arkit", ignore=_SKIP)
    written = []
    for nb in notebooks:
        rel = f"{config.assignments_dir}/{nb.parent.name}/{nb.name}"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(nb, out / rel)
        written.append(rel)
    solutions = []
    if with_solutions:
        for path in colab.build(solution_sources, out / config.solutions_publish_dir, config):
            solutions.append(path.relative_to(out).as_posix())
    (out / "README.md").write_text(readme(config, written, solutions))
    leaks = leak_problems(out)
    if leaks:
        shutil.rmtree(out)  # never leave a leaking tree where someone could push it
        return [], leaks
    return written + solutions, []


def git_steps(out: Path, config: PublishConfig, with_solutions: bool) -> str:
    """The commands that push the tree and tag it (printed, never run)."""
    tag = config.solutions_ref if with_solutions else config.ref
    return "\n".join([
        f"Next: push {out} to {config.repo_url} and tag it {tag}:",
        f"  cd {out}",
        "  git init -q && git add -A && git commit -qm 'student kit " + config.version + "'",
        f"  git tag {tag} && git push --force {config.repo_url} HEAD:refs/heads/release-{tag} {tag}",
        "The tag is what the install cells and badges use; never move it. A fix is a new ARKIT_VERSION "
        "(arkit/pyproject.toml and autograder/colab_config.py), `make release`, `make publish`.",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autograder publish", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--with-solutions", dest="solutions", action="store_true", default=None)
    group.add_argument("--no-solutions", dest="solutions", action="store_false")
    parser.add_argument("--assignments", type=Path, default=REPO_ROOT / "assignments")
    parser.add_argument("--solutions", dest="sources", nargs="*", default=[colab.DEFAULT_SOURCES],
                        help="jupytext sources of the Colab solution notebooks")
    args = parser.parse_args(argv)
    config = load_config()
    with_solutions = config.show_solutions() if args.solutions is None else args.solutions
    try:
        written, problems = build(args.out, config, args.assignments, colab.find_sources(args.sources),
                                  with_solutions)
    except colab.ColabBuildError as exc:
        written, problems = [], [str(exc)]
    for line in problems:
        print(f"autograder publish: {line}", file=sys.stderr)
    if problems:
        return 1
    for rel in written:
        print(f"   wrote {args.out / rel}")
    print(git_steps(args.out, config, with_solutions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
