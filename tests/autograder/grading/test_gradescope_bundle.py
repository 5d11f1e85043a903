"""The Gradescope bundle: runtime-only requirements, the data files it needs (or their
checksums), and a run from a clean unpack with every dev-only package unimportable."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.grading import bundle_data, gradescope

ROOT = Path(__file__).resolve().parents[3]
# Packages only development, docs, the browser test or nbgrader's course tools need.
DEV_ONLY = ("sphinx", "myst_parser", "myst_nb", "playwright", "pytest", "pytest_timeout", "latex2mathml",
            "nbgrader", "nbclient", "nbconvert", "ipykernel")
HW1_DATA = {"data/mnist/train-images-idx3-ubyte.gz", "data/mnist/train-labels-idx1-ubyte.gz",
            "data/mnist/t10k-images-idx3-ubyte.gz", "data/mnist/t10k-labels-idx1-ubyte.gz"}


def _pins(path: Path) -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return dict(line.split("==") for line in lines if line)


def _dist(name: str) -> str:
    return name.lower().replace("-", "_")


def _mnist_available() -> bool:
    from arkit.data.files import resolve
    from arkit.data.mnist import FILES

    old = os.environ.get("ARKIT_NO_DOWNLOAD")
    os.environ["ARKIT_NO_DOWNLOAD"] = "1"
    try:
        for key in (("train", "images"), ("t10k", "images")):
            resolve(FILES[key])
        return True
    except Exception:  # noqa: BLE001
        return False
    finally:
        os.environ.pop("ARKIT_NO_DOWNLOAD") if old is None else os.environ.__setitem__("ARKIT_NO_DOWNLOAD", old)


def test_runtime_requirements_are_a_dev_free_subset_of_the_pins():
    """Does requirements/runtime.txt pin only runtime packages, at the versions of pins.txt?"""
    runtime, pins = _pins(ROOT / "requirements" / "runtime.txt"), _pins(ROOT / "requirements" / "pins.txt")
    assert {"torch", "numpy", "matplotlib", "nbformat", "jupytext"} <= set(runtime)
    assert not [n for n in runtime if _dist(n) in DEV_ONLY], "a dev-only package in runtime.txt"
    assert {n: v for n, v in runtime.items() if pins.get(n) != v} == {}, "runtime.txt drifted from pins.txt"


@pytest.fixture(scope="module")
def hw1_zip(tmp_path_factory):
    if not _mnist_available():
        pytest.skip("MNIST files not found: set ARKIT_DATA_DIR (the bundle copies them from there)")
    path = gradescope.build("hw1", tmp_path_factory.mktemp("gs") / "hw1.zip")
    with zipfile.ZipFile(path) as zf:
        return path, {n: zf.read(n) for n in zf.namelist()}


def test_hw1_bundle_installs_runtime_only_and_carries_its_data(hw1_zip):
    """Does the hw1 zip install runtime.txt (no pins.txt, no dev package) and hold the four MNIST
    files with their published sha256 in data/SHA256SUMS?"""
    from arkit.data.mnist import FILES

    _, files = hw1_zip
    names = set(files)
    assert {"setup.sh", "run_autograder", "requirements/runtime.txt", "data/SHA256SUMS",
            "solutions/hw1/02_made.py", "autograder/grading/gs_run.py", "arkit/pyproject.toml"} <= names
    assert [n for n in names if n.startswith("requirements/")] == ["requirements/runtime.txt"]
    assert not [n for n in names if n.startswith(("arkit/build/", "arkit/dist/")) or ".egg-info/" in n]
    assert {n for n in names if n.startswith("data/") and n.endswith(".gz")} == HW1_DATA
    setup = files["setup.sh"].decode()
    assert "requirements/runtime.txt" in setup and "pins.txt" not in setup
    assert not [p for p in DEV_ONLY if re.search(rf"\b{p}\b", setup)]
    assert "download.pytorch.org/whl/cpu" in setup and "bundle_data verify data" in setup
    published = {f"{s.folder}/{s.name}.gz": s.sha256_gz for s in FILES.values()}
    sums = dict(line.split()[::-1] for line in files["data/SHA256SUMS"].decode().splitlines())
    assert sums == {n[len("data/"):]: published[n[len("data/"):]] for n in HW1_DATA}
    run = files["run_autograder"].decode()
    assert 'ARKIT_DATA_DIR="$SOURCE/data"' in run and "ARKIT_NO_DOWNLOAD=1" in run


def test_bundled_data_verifies_and_a_damaged_file_is_named(hw1_zip, tmp_path):
    """Does `bundle_data verify` accept the unpacked data and name a file with one changed byte?"""
    path, _ = hw1_zip
    with zipfile.ZipFile(path) as zf:
        zf.extractall(tmp_path, [n for n in zf.namelist() if n.startswith("data/")])
    assert bundle_data.verify(tmp_path / "data") == []
    victim = tmp_path / "data" / "mnist" / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(victim.read_bytes())
    data[100] ^= 1
    victim.write_bytes(bytes(data))
    (problem,) = bundle_data.verify(tmp_path / "data")
    assert problem.startswith("mnist/t10k-labels-idx1-ubyte.gz: sha256")


def test_download_mode_ships_checksums_and_a_fetch_step(tmp_path):
    """With --data download: no data file in the zip, the same SHA256SUMS, and setup.sh fetches first."""
    path = gradescope.build("hw1", tmp_path / "hw1.zip", data="download")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        sums = zf.read("data/SHA256SUMS").decode()
        setup = zf.read("setup.sh").decode()
    assert not [n for n in names if n.endswith(".gz")]
    assert sorted(line.split()[1] for line in sums.splitlines()) == sorted(n[len("data/"):] for n in HW1_DATA)
    assert setup.index("bundle_data fetch data") < setup.index("bundle_data verify data")


def test_a_missing_data_file_stops_the_build_with_the_fix(tmp_path, monkeypatch, capsys):
    """Without the MNIST files, does `autograder gradescope hw1` exit 2 naming the file and the fix?"""
    monkeypatch.setenv("ARKIT_DATA_DIR", str(tmp_path / "nothing"))
    monkeypatch.setenv("ARKIT_CACHE_DIR", str(tmp_path / "cache"))
    assert gradescope.main(["hw1", "--out", str(tmp_path / "hw1.zip")]) == 2
    err = capsys.readouterr().err
    assert "train-images-idx3-ubyte" in err and "--data download" in err
    assert not (tmp_path / "hw1.zip").exists()


BLOCKER = """
import sys
open({mark!r}, "a").write("blocker loaded\\n")
BLOCKED = {blocked!r}
class _Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (dev-only: not in requirements/runtime.txt)")
        return None
sys.meta_path.insert(0, _Block())
"""


@pytest.mark.slow
def test_bundle_grades_with_only_runtime_packages_importable(tmp_path):
    """Does the unpacked fixture bundle grade a correct submission to full marks when every
    dev-only package (nbgrader, nbclient, sphinx, pytest, ...) is unimportable?"""
    sys.path.insert(0, str(Path(__file__).parent))
    from fixture_assignment.build import QUESTIONS, SOURCE_DIR, student_notebook

    zpath = gradescope.build("fx1", tmp_path / "fx1.zip", SOURCE_DIR, QUESTIONS)
    src = tmp_path / "src"
    with zipfile.ZipFile(zpath) as zf:
        zf.extractall(src)
    (tmp_path / "block").mkdir()
    mark = tmp_path / "blocker-loaded"
    (tmp_path / "block" / "sitecustomize.py").write_text(BLOCKER.format(blocked=set(DEV_ONLY), mark=str(mark)))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "01_basics.ipynb").write_bytes(student_notebook())
    env = {**os.environ, "ARGRADE_SOURCE": str(src), "ARGRADE_SUBMISSION": str(tmp_path / "sub"),
           "ARGRADE_RESULTS": str(tmp_path / "res" / "results.json"), "ARGRADE_PYTHON": sys.executable,
           "ARKIT_PROFILE": "ci", "PYTHONPATH": str(tmp_path / "block")}
    proc = subprocess.run(["bash", str(src / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=300)
    assert mark.is_file(), "the import blocker was not loaded: the test would prove nothing"
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "dev-only" not in proc.stderr, proc.stderr[-2000:]
    res = json.loads((tmp_path / "res" / "results.json").read_text())
    assert (res["score"], len(res["tests"])) == (8.0, 3), json.dumps(res)[:2000]


def test_fetch_fills_a_checksum_only_data_folder(tmp_path, monkeypatch):
    """Does `bundle_data fetch` (what setup.sh runs with --data download) put every listed file in
    place, verified? Found locally here (ARKIT_NO_DOWNLOAD=1); on Gradescope the same call downloads."""
    if not _mnist_available():
        pytest.skip("MNIST files not found: set ARKIT_DATA_DIR")
    specs = bundle_data.needed_files({"mnist_gray"})
    dest = tmp_path / "data"
    dest.mkdir()
    (dest / bundle_data.SUMS).write_text(bundle_data.sha256sums(specs))
    assert bundle_data.verify(dest) == [f"{bundle_data.bundle_name(s)}: missing" for s in specs]
    monkeypatch.setenv("ARKIT_NO_DOWNLOAD", "1")
    assert bundle_data.main(["fetch", str(dest)]) == 0
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.gz")) == sorted(
        bundle_data.bundle_name(s) for s in specs)
