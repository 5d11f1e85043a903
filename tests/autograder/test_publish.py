"""``autograder publish``: the public student repository tree that the badges and install cells point at."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from autograder import publish
from autograder.colab_config import load_config
from autograder.release.notebooks import install_cell

FIXTURE = Path(__file__).parent / "fixtures" / "colab" / "hw0" / "01_tiny.py"
CONFIG = load_config("https://github.com/example-org/example-repo", "v1.2")


def student_notebooks(root: Path, requirement: str, extra: str = "x = 1") -> Path:
    """A released-looking assignment folder ``root/hw0/01_tiny.ipynb`` whose install cell names ``requirement``."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [install_cell(requirement), nbformat.v4.new_code_cell(extra)]
    (root / "hw0").mkdir(parents=True)
    nbformat.write(nb, root / "hw0" / "01_tiny.ipynb")
    return root


def colab_links(text: str) -> list[tuple[str, str]]:
    """(ref, path) of every Colab GitHub link in ``text``."""
    return re.findall(r"colab\.research\.google\.com/github/example-org/example-repo/blob/([^/]+)/([^)\s\"]+)", text)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("publish")
    assignments = student_notebooks(tmp / "assignments", CONFIG.pip_requirement())
    written, problems = publish.build(tmp / "out", CONFIG, assignments, [FIXTURE], with_solutions=True)
    assert problems == []
    return tmp / "out", written


def test_tree_holds_the_kit_the_notebooks_and_the_solutions(tree):
    """Are the kit (configured name), the student notebook and the Colab solution where the links point?"""
    out, written = tree
    assert written == ["assignments/hw0/01_tiny.ipynb", "colab/hw0/01_tiny.ipynb"]
    assert 'name = "arkit-autoregressive-hw"' in (out / "arkit" / "pyproject.toml").read_text()
    assert not list(out.rglob("*.egg-info")) and not (out / "autograder").exists() and not (out / "solutions").exists()
    links = colab_links((out / "README.md").read_text()) + colab_links((out / "colab/hw0/01_tiny.ipynb").read_text())
    assert ("v1.2", "assignments/hw0/01_tiny.ipynb") in links and ("v1.2-solutions", "colab/hw0/01_tiny.ipynb") in links
    assert [path for _, path in links if not (out / path).is_file()] == []
    assert CONFIG.install_command() in (out / "README.md").read_text()


def test_solutions_only_when_released(tmp_path):
    """Before the release date (no --with-solutions) is there no colab/ folder at all?"""
    assignments = student_notebooks(tmp_path / "assignments", CONFIG.pip_requirement())
    written, problems = publish.build(tmp_path / "out", CONFIG, assignments, [FIXTURE], with_solutions=False)
    assert problems == [] and written == ["assignments/hw0/01_tiny.ipynb"]
    assert not (tmp_path / "out" / "colab").exists()


def test_a_stale_release_is_refused_naming_the_notebook(tmp_path):
    """Does a notebook that installs another requirement (e.g. the old @main) stop the publish?"""
    stale = "arkit @ git+https://github.com/example-org/example-repo.git@main#subdirectory=arkit"
    assignments = student_notebooks(tmp_path / "assignments", stale)
    written, problems = publish.build(tmp_path / "out", CONFIG, assignments, [FIXTURE], with_solutions=False)
    assert written == [] and len(problems) == 1
    assert "hw0/01_tiny.ipynb" in problems[0] and "make release" in problems[0]
    assert not (tmp_path / "out").exists()


def test_a_leaking_notebook_is_reported(tmp_path):
    """Is a student notebook with a hidden-test marker reported, naming the file, and the tree removed?"""
    assignments = student_notebooks(tmp_path / "assignments", CONFIG.pip_requirement(),
                                    extra="### BEGIN HIDDEN TESTS\nassert secret\n### END HIDDEN TESTS")
    written, problems = publish.build(tmp_path / "out", CONFIG, assignments, [FIXTURE], with_solutions=False)
    assert problems == ["assignments/hw0/01_tiny.ipynb contains 'BEGIN HIDDEN TESTS'"]
    assert written == [] and not (tmp_path / "out").exists()
