"""Calibration runner end to end: registered measurements, the record hook, notebooks."""
import json
from pathlib import Path

import pytest

from autograder.calibration import cli, record, runner, store

FIXTURE = Path(__file__).parent / "fixtures" / "hwnb" / "01_tiny.py"
QUESTIONS = Path(__file__).parent / "fixtures" / "hwnb_questions.py"


def test_measurements_are_read_from_results_not_a_side_channel():
    """Are (question, dataset) -> nats/dim collected from details, nested parts included, non-finite skipped?"""
    from autograder.grading.student_result import QuestionResult, StudentResult

    q1 = QuestionResult("q", "01", "q", 1.0, details={"dataset": "d", "nats_per_dim": 0.25})
    q2 = QuestionResult("r", "01", "r", 1.0, details={"parts": {"r.d1": {"dataset": "d1", "nats_per_dim": 0.5},
                                                               "r.d2": {"dataset": "d2", "nats_per_dim": float("nan")}}})
    res = StudentResult("s", "a", "ci", {"q": q1, "r": q2})
    assert record.measurements(res) == {("q", "d"): 0.25, ("r", "d1"): 0.5}


def test_cli_with_registered_measurement(tmp_path, capsys):
    """Does `autograder calibrate` run a registered fn per seed and write thresholds with the margin?"""
    calls = []

    def fake(seed, profile):
        calls.append((seed, profile))
        return [{"dataset": "tiny", "nats_per_dim": 0.1 + 0.01 * seed},
                {"dataset": "tiny2", "nats_per_dim": 0.3}]

    runner.register_measurement("hwtest", "fake_q", fake)
    runner.register_measurement("hwtest", "unused_q", lambda s, p: {"dataset": "x", "nats_per_dim": 1.0})
    out = tmp_path / "hwtest.json"
    rc = cli.main(["--assignment", "hwtest", "--profile", "ci", "--seeds", "0", "1", "2",
                   "--only", "fake_q", "--out", str(out)])
    assert rc == 0 and calls == [(0, "ci"), (1, "ci"), (2, "ci")]
    entry = store.threshold_entry("hwtest", "fake_q", "tiny", "ci", out)
    assert entry["measured"] == [0.1, 0.11, 0.12] and entry["seeds"] == [0, 1, 2]
    assert entry["threshold"] == pytest.approx(store.margin([0.1, 0.11, 0.12])[0], abs=1e-6)
    assert "unused_q" not in json.loads(out.read_text())["questions"]
    assert "threshold" in capsys.readouterr().out


def test_cli_unknown_question_fails_cleanly(tmp_path, capsys):
    runner.register_measurement("hwtest2", "real_q", lambda s, p: {"dataset": "x", "nats_per_dim": 1.0})
    rc = cli.main(["--assignment", "hwtest2", "--profile", "ci", "--seeds", "0", "--only", "nope",
                   "--out", str(tmp_path / "x.json")])
    assert rc == 2 and "no measurement registered" in capsys.readouterr().err
    rc = cli.main(["--assignment", "hw_nothing", "--profile", "ci", "--seeds", "0", "--out", str(tmp_path / "y.json")])
    assert rc == 2 and "no notebook sources" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_notebook_mode_grades_the_solution_through_the_spine(tmp_path):
    """Does notebook mode grade the solution per seed (ARKIT_SEED/ARKIT_PROFILE reach it), refuse to
    write when a solution cell raised (unless told), read the measurements from the results and
    write only the asked-for question?"""
    out = tmp_path / "hwnb.json"
    args = ["--assignment", "hwnb", "--profile", "ci", "--notebook", str(FIXTURE),
            "--questions", str(QUESTIONS), "--only", "tiny_test", "--out", str(out), "--timeout", "60"]
    assert cli.main([*args, "--seeds", "0"]) == 1          # the fixture has a failing cell
    assert not out.exists()
    rc = cli.main([*args, "--seeds", "0", "1", "--allow-cell-errors"])
    assert rc == 0
    entry = store.threshold_entry("hwnb", "tiny_test", "tiny", "ci", out)
    assert entry["measured"] == pytest.approx([0.6, 0.61])
    assert entry["seeds"] == [0, 1]
    assert "other_test" not in json.loads(out.read_text())["questions"]


def test_a_new_entry_keeps_the_unit_another_profile_states(tmp_path):
    """An accuracy question's entries say they hold an error rate; a newly measured profile keeps saying so."""
    out = tmp_path / "hwu.json"
    data = store.empty("hwu")
    store.set_entry(data, "acc_test", "shapes", "ci", {**store.measured_entry([0.1], [0]), "unit": "error rate (fraction)"})
    store.save_calibration(data, "hwu", out)
    runner.write_calibration("hwu", "cpu", {("acc_test", "shapes"): [(0, 0.09), (1, 0.08)]}, out)
    assert store.threshold_entry("hwu", "acc_test", "shapes", "cpu", out)["unit"] == "error rate (fraction)"
    runner.write_calibration("hwu", "cpu", {("nll_test", "shapes"): [(0, 0.2)]}, out)
    assert "unit" not in store.threshold_entry("hwu", "nll_test", "shapes", "cpu", out)


def test_a_fresh_out_file_takes_the_unit_from_the_assignments_own_file(tmp_path):
    """A per-seed run written to a new ``--out`` file (as calibration in parallel does) still says
    that hw2's Fisher question holds an error rate."""
    out = tmp_path / "seed0.json"
    runner.write_calibration("hw2", "cpu", {("fisher_classifier_test", "shapes"): [(0, 0.1)]}, out)
    assert store.threshold_entry("hw2", "fisher_classifier_test", "shapes", "cpu", out)["unit"].startswith("error rate")
