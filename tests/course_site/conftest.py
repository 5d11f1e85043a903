"""One site build per test session, shared by the build test and the browser test."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_SOURCE = ROOT / "tests" / "autograder" / "fixtures" / "colab" / "hw0" / "01_tiny.py"


@dataclass
class BuiltSite:
    html: Path
    solution_sources: list[Path]
    seconds: float


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> BuiltSite:
    """The site built once with solutions shown (real sources plus the fixture notebook).

    Student notebooks come from assignments/ when generated, else from the fixture.
    """
    import time

    pytest.importorskip("latex2mathml", reason="the site renders math with latex2mathml: "
                        "add latex2mathml==3.81.1 to requirements/pins.txt and rerun `make setup`")
    import nbformat

    from autograder import colab, site
    from autograder.colab_config import load_config

    build_dir = tmp_path_factory.mktemp("site")
    assignments = ROOT / "assignments"
    if not list(assignments.glob("*/*.ipynb")):
        assignments = build_dir / "assignments"
        (assignments / "hw1").mkdir(parents=True)
        nb = colab.convert(FIXTURE_SOURCE, load_config(), "assignments/hw1/01_tiny.ipynb")
        nbformat.write(nb, assignments / "hw1" / "01_tiny.ipynb")
    sources = colab.find_sources([colab.DEFAULT_SOURCES]) + [FIXTURE_SOURCE]
    start = time.time()
    args = ["--build-dir", str(build_dir), "--show-solutions", "--assignments", str(assignments)]
    for src in sources:
        args += ["--solutions", str(src)]
    assert site.main(args) == 0, f"site build failed; see {build_dir / 'warnings.txt'}"
    return BuiltSite(build_dir / "html", sources, time.time() - start)
