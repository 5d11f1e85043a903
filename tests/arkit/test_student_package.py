"""What a student installs must not contain solutions, hidden tests or thresholds."""
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel_texts(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(REPO / "arkit")], check=True, capture_output=True)
    (wheel,) = out.glob("arkit_autoregressive_hw-*.whl")  # distribution name of arkit/pyproject.toml
    with zipfile.ZipFile(wheel) as zf:
        return {n: zf.read(n).decode("utf-8", "replace") for n in zf.namelist()}


def test_wheel_has_no_instructor_material(wheel_texts):
    """Does the arkit wheel avoid solution markers, hidden tests and the instructor package?"""
    for name, text in wheel_texts.items():
        assert "BEGIN SOLUTION" not in text, name
        assert "BEGIN HIDDEN TESTS" not in text, name
        assert not re.search(r"^\s*(from|import)\s+autograder", text, re.M), f"{name} imports autograder"
    assert not any(n.startswith("autograder/") for n in wheel_texts)


def test_wheel_has_no_calibrated_thresholds(wheel_texts):
    """Is no threshold value from the calibration files present in the student package?"""
    from autograder.calibration.store import threshold_strings, thresholds_in

    values = set().union(*(threshold_strings(p) for p in (REPO / "autograder" / "calibration").glob("*.json")))
    code = "\n".join(t for n, t in wheel_texts.items() if n.endswith(".py"))
    leaked = thresholds_in(code, values)
    assert not leaked, f"thresholds found in the student package: {leaked}"
