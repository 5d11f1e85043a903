"""Calibration store: margin rule, entries, file round trip, missing entries."""
import json
import statistics

import pytest

from autograder.calibration import store


def test_margin_rule_uses_worst_seed_plus_margin():
    """Is the threshold the worst seed plus max(2%, 3 std, 0.002), and loose = 1.5x?"""
    vals = [0.10, 0.11, 0.105]
    thr, loose = store.margin(vals)
    expected = 0.11 + max(0.02 * 0.11, 3 * statistics.stdev(vals), 0.002)
    assert thr == pytest.approx(expected)
    assert loose == pytest.approx(1.5 * expected)
    assert store.margin([0.05]) == pytest.approx((0.05 + 0.002, 1.5 * 0.052))


def test_roundtrip_and_merge(tmp_path):
    """Does set_entry keep other questions/profiles and does the file round-trip?"""
    path = tmp_path / "hwx.json"
    data = store.load_calibration("hwx", path)
    store.set_entry(data, "q1", "shapes", "ci", store.measured_entry([0.2, 0.21], [0, 1]))
    store.set_entry(data, "q1", "shapes", "gpu", store.provisional_entry(0.05, "paper"))
    store.save_calibration(data, "hwx", path)
    again = store.load_calibration("hwx", path)
    ci = again["questions"]["q1"]["shapes"]["ci"]
    assert ci["seeds"] == [0, 1] and ci["provisional"] is False and "torch" in ci and "cpu_count" in ci["machine"]
    gpu = store.threshold_entry("hwx", "q1", "shapes", "gpu", path)
    assert gpu["provisional"] is True and gpu["anchor"]["nats_per_dim"] == 0.05
    assert gpu["threshold"] == pytest.approx(0.055)
    assert json.loads(path.read_text())["margin_rule"] == store.MARGIN_RULE


def test_missing_entry_names_what_and_how(tmp_path):
    """Does a missing threshold say which entry is missing and which command fills it?"""
    with pytest.raises(store.CalibrationMissing) as err:
        store.threshold_entry("hwx", "q9", "mnist_binary", "ci", tmp_path / "none.json")
    assert "hwx/q9/mnist_binary/ci" in str(err.value) and "autograder calibrate" in str(err.value)


def test_wrong_assignment_in_file_is_refused(tmp_path):
    path = tmp_path / "a.json"
    store.save_calibration(store.empty("hw2"), "hw2", path)
    with pytest.raises(ValueError, match="hw2"):
        store.load_calibration("hw1", path)


def test_hw1_file_has_provisional_gpu_anchors():
    """Does the shipped hw1.json hold the deepul anchors as provisional GPU entries?"""
    data = store.load_calibration("hw1")
    gpu = data["questions"]["pixelcnn_nll_test"]["mnist_binary"]["gpu"]
    assert gpu["provisional"] is True and gpu["anchor"]["nats_per_dim"] == 0.0756
    assert data["questions"]["made_mnist_test"]["mnist_binary"]["gpu"]["anchor"]["nats_per_dim"] == 0.1106


def test_thresholds_are_found_as_whole_numbers_only():
    """A leak grep must flag a threshold written as a number, not the same digits inside another
    number (0.075 inside 0.0756 made the wheel's leak test fail twice on unrelated docstrings)."""
    from autograder.calibration.store import thresholds_in

    values = {"0.075", "0.0750", "0.1108"}
    assert thresholds_in("if nll < 0.075:", values) == ["0.075"]
    assert thresholds_in("x = 0.0750\n", values) == ["0.0750"]
    assert thresholds_in("format_nll(0.0756) and 10.075 and 0.11081", values) == []
    assert thresholds_in("[0.1108]", values) == ["0.1108"]
