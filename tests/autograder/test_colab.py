"""Tests of ``autograder colab``: Colab-ready solution notebooks without hidden tests."""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from autograder import colab
from autograder.calibration.store import threshold_strings, thresholds_in
from autograder.colab_config import load_config

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixtures" / "colab" / "hw0" / "01_tiny.py"
FIXTURE_CALIBRATION = Path(__file__).parent / "fixtures" / "colab" / "calibration_hw0.json"
REAL_SOURCES = sorted(p for p in (ROOT / "solutions").glob("*/*.py") if not p.name.startswith("_"))
CALIBRATION_FILES = sorted((ROOT / "autograder" / "calibration").glob("*.json"))
CONFIG = load_config("https://github.com/example-org/example-repo", "v1.2")


# ---- independent leak grep (does not reuse colab's own validation) ---------

def hidden_lines_of(source: Path) -> list[str]:
    """Lines between the hidden-test markers of a source that are not also public."""
    inside, public, lines = False, set(), []
    for raw in source.read_text().splitlines():
        text = raw.strip().lstrip("#").strip() if raw.strip().startswith("# ") else raw.strip()
        if "BEGIN HIDDEN TESTS" in raw:
            inside = True
        elif "END HIDDEN TESTS" in raw:
            inside = False
        elif inside:
            lines.append(raw.strip())
        else:
            public.update({raw.strip(), text})
    return [line for line in lines if len(line) >= 12 and line not in public]


def leaks(notebook: Path, hidden: list[str], thresholds: set[str]) -> list[str]:
    text = notebook.read_text()
    found = [f"hidden line {line!r}" for line in hidden if json.dumps(line)[1:-1] in text or line in text]
    found += [f"threshold {value}" for value in thresholds_in(text, thresholds)]
    if re.search(r"^\s*\"?\s*(?:from|import)\s+autograder\b", text, re.M) or "import autograder" in text:
        found.append("imports autograder")
    return found


# ---- tests -------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("colab")
    [path] = colab.build([FIXTURE], out, CONFIG)
    return path


def test_the_leak_grep_is_not_vacuous(tmp_path):
    """Does the grep flag the fixture before stripping (hidden lines, thresholds, imports)?"""
    import jupytext

    raw = tmp_path / "raw.ipynb"
    jupytext.write(jupytext.read(FIXTURE), raw)
    found = leaks(raw, hidden_lines_of(FIXTURE), threshold_strings(FIXTURE_CALIBRATION))
    assert any("hidden line" in f for f in found)
    assert "threshold 0.061728" in found
    assert "imports autograder" in found
    rounded = tmp_path / "rounded.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Beat 0.0617 nats/dim or 0.091.")])
    nbformat.write(nb, rounded)
    assert leaks(rounded, [], threshold_strings(FIXTURE_CALIBRATION)) == ["threshold 0.0617", "threshold 0.091"]


def test_fixture_notebook_has_no_hidden_tests_thresholds_or_autograder(tiny):
    """Is the produced fixture notebook free of every hidden-test line and threshold?"""
    assert leaks(tiny, hidden_lines_of(FIXTURE), threshold_strings(FIXTURE_CALIBRATION)) == []


def test_real_notebooks_leak_nothing(tmp_path):
    """Do the Colab notebooks of solutions/*/*.py leak hidden tests or any calibrated threshold?"""
    if not REAL_SOURCES:
        pytest.skip("no solutions/*/*.py sources yet")
    written = colab.build(REAL_SOURCES, tmp_path, CONFIG)
    thresholds = set().union(*map(threshold_strings, CALIBRATION_FILES)) if CALIBRATION_FILES else set()
    problems = {}
    for src, nb_path in zip(REAL_SOURCES, written):
        found = leaks(nb_path, hidden_lines_of(src), thresholds)
        if found:
            problems[str(nb_path.relative_to(tmp_path))] = found
    assert problems == {}


def test_solutions_are_kept_and_markers_removed(tiny):
    """Are solution bodies kept while every nbgrader marker and metadata key is gone?"""
    nb = nbformat.read(tiny, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "counts = np.bincount(x, minlength=num_values)" in text
    assert "Bins that never occur get probability zero." in text
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert all("nbgrader" not in c.metadata for c in nb.cells)
    assert 'assert np.isclose(p.sum(), 1.0), "probabilities must sum to 1"' in text  # public test stays


def test_instructor_only_and_emptied_cells_are_dropped(tiny):
    """Are the hidden-only test cell and the record_measurement cell both dropped?"""
    nb = nbformat.read(tiny, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "record_measurement" not in text and "tiny_hidden_marker_line" not in text
    assert len(nb.cells) == 2 + 7  # badge + setup + 7 of the 10 source cells


def test_badge_and_install_cell_come_from_the_config(tiny):
    """Does the badge open the solutions tag, and the install cell install the pinned distribution
    (unique name, the configured tag), without pinning torch?"""
    nb = nbformat.read(tiny, as_version=4)
    badge, setup = nb.cells[0], nb.cells[1]
    assert badge.cell_type == "markdown"
    assert ("(https://colab.research.google.com/github/example-org/example-repo/blob/v1.2-solutions/colab/hw0/"
            "01_tiny.ipynb)" in badge.source)
    assert ('"arkit-autoregressive-hw @ git+https://github.com/example-org/example-repo.git@v1.2'
            '#subdirectory=arkit"' in setup.source)
    assert "torch" not in setup.source.split("check=True")[0].split("subprocess.run")[1]
    assert 'find_spec("arkit") is None' in setup.source  # local runs never reinstall


def test_setup_cell_prefetches_the_datasets_the_notebook_loads(tmp_path):
    """Does the setup cell prefetch exactly the datasets named in load_dataset(...) calls?"""
    src = tmp_path / "hw9" / "nb.py"
    src.parent.mkdir()
    src.write_text(FIXTURE.read_text() + '\n# %%\nx = load_dataset("shapes", "train")\ny = load_dataset(\'mnist_binary\')\n')
    nb = colab.convert(src, CONFIG, "colab/hw9/nb.ipynb")
    assert "for _name in ['mnist_binary', 'shapes']:" in nb.cells[1].source


def test_mixing_autograder_with_student_code_is_refused(tmp_path):
    """Is a cell that uses autograder next to student code outside hidden tests an error naming the cell?"""
    src = tmp_path / "hw9" / "bad.py"
    src.parent.mkdir()
    src.write_text('# %%\nfrom autograder.heldout import load_heldout\ntest = load_heldout("shapes")\n'
                   'print("student code")\n')
    with pytest.raises(colab.ColabBuildError, match=r"bad.py cell 1 .*hidden-test region"):
        colab.convert(src, CONFIG, "x.ipynb")


def test_unbalanced_markers_are_refused(tmp_path):
    """Is a hidden-test region that is never closed an error rather than a silent leak?"""
    src = tmp_path / "hw9" / "open.py"
    src.parent.mkdir()
    src.write_text("# %%\nx = 1\n### BEGIN HIDDEN TESTS\nassert x == 1\n")
    with pytest.raises(colab.ColabBuildError, match="never closed"):
        colab.convert(src, CONFIG, "x.ipynb")


def test_builds_are_deterministic_and_the_cli_writes_them(tmp_path):
    """Does the CLI write the same bytes twice, at out/<assignment>/<name>.ipynb?"""
    args = [str(FIXTURE), "--repo-url", "https://github.com/a/b", "--ref", "r1"]
    assert colab.main(args + ["--out", str(tmp_path / "one")]) == 0
    assert colab.main(args + ["--out", str(tmp_path / "two")]) == 0
    one, two = tmp_path / "one" / "hw0" / "01_tiny.ipynb", tmp_path / "two" / "hw0" / "01_tiny.ipynb"
    assert one.read_bytes() == two.read_bytes()
    assert "github/a/b/blob/r1-solutions/colab/hw0/01_tiny.ipynb" in one.read_text()


@pytest.mark.slow
def test_execute_runs_under_ci_profile_and_keeps_figures(tmp_path):
    """Does --execute run the notebook under ARKIT_PROFILE=ci and store the figure?"""
    [path] = colab.build([FIXTURE], tmp_path, CONFIG, run=True)
    nb = nbformat.read(path, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    assert "ran under profile ci" in json.dumps(nb.cells[-1].outputs)


# ---- the one configuration: distribution name, pinned version, same command everywhere ----------

def test_config_names_the_distribution_and_version_of_the_student_package():
    """Do DIST_NAME / ARKIT_VERSION equal arkit/pyproject.toml and arkit.__version__, and is the
    install ref a tag of that version (never a branch), with solutions at their own tag?"""
    import arkit
    from autograder import colab_config, publish

    config = load_config()
    assert publish.package_problems(ROOT / "arkit", config) == []
    assert arkit.__version__ == colab_config.ARKIT_VERSION
    assert colab_config.DIST_NAME != "arkit"  # taken on PyPI by an unrelated project
    assert colab_config.REF == f"v{colab_config.ARKIT_VERSION}" and colab_config.REF not in ("main", "master")
    assert colab_config.SOLUTIONS_REF != colab_config.REF


def test_package_problems_name_a_mismatched_name_or_version(tmp_path):
    """Is an arkit/pyproject.toml with another name or version reported, naming the setting to change?"""
    from autograder import publish

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "arkit"\nversion = "0.2.0"\n')
    problems = publish.package_problems(tmp_path, load_config())
    assert len(problems) == 2 and "DIST_NAME" in problems[0] and "ARKIT_VERSION" in problems[1]


def test_install_requirement_forms():
    """Is the requirement a git tag install by default and an exact index pin with INSTALL_FROM='index'?"""
    import dataclasses

    assert CONFIG.pip_requirement() == ("arkit-autoregressive-hw @ git+https://github.com/example-org/"
                                        "example-repo.git@v1.2#subdirectory=arkit")
    assert CONFIG.install_command() == f'pip install "{CONFIG.pip_requirement()}"'
    index = dataclasses.replace(CONFIG, install_from="index")
    assert index.pip_requirement() == "arkit-autoregressive-hw==0.1.0"
    with pytest.raises(ValueError, match="INSTALL_FROM"):
        dataclasses.replace(CONFIG, install_from="main").pip_requirement()


def test_solution_notebooks_drop_the_how_to_submit_cell(tmp_path):
    """Is the How-to-submit cell (nothing is submitted from a solution) left out of the Colab notebook?"""
    src = tmp_path / "hw9" / "nb.py"
    src.parent.mkdir()
    src.write_text('# %% [markdown] tags=["how-to-submit"]\n# ## How to submit\n\n# %%\nx = 1\n')
    nb = colab.convert(src, CONFIG, "colab/hw9/nb.ipynb")
    assert "How to submit" not in "".join(c.source for c in nb.cells)
    assert nb.cells[-1].source == "x = 1"
