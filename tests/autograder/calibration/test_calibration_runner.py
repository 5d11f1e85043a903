"""Calibration runner end to end: registered measurements, the record hook, notebooks."""
import json
from pathlib import Path

import pytest

from autograder.calibration import cli, record, runner, store

FIXTURE = Path(__file__).parent / "fixtures" / "tiny_calibration_nb.py"


def test_record_measurement_is_a_noop_without_env(monkeypatch, tmp_path):
    monkeypatch.delenv(record.OUT_ENV, raising=False)
    assert record.record_measurement("q", "d", 0.1) is False


def test_record_measurement_appends_json_lines(monkeypatch, tmp_path):
    """Does each call append one JSON object with seed and profile?"""
    out = tmp_path / "rec.jsonl"
    monkeypatch.setenv(record.OUT_ENV, str(out))
    monkeypatch.setenv("ARKIT_SEED", "3")
    monkeypatch.setenv("ARKIT_PROFILE", "ci")
    record.record_measurement("q", "d", 0.25)
    record.record_measurement("q", "d2", 0.5)
    recs = record.read_records(out)
    assert [r["dataset"] for r in recs] == ["d", "d2"]
    assert recs[0] == {"question": "q", "dataset": "d", "nats_per_dim": 0.25, "seed": 3, "profile": "ci"}
    with pytest.raises(ValueError, match="not finite"):
        record.record_measurement("q", "d", float("nan"))


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
def test_cli_notebook_mode_end_to_end(tmp_path):
    """Does notebook mode execute per seed with ARKIT_SEED/ARKIT_PROFILE, survive a failing cell,
    keep the last record per question/dataset and write the file?"""
    out = tmp_path / "hwnb.json"
    rc = cli.main(["--assignment", "hwnb", "--profile", "ci", "--seeds", "0", "1", "--notebook", str(FIXTURE),
                   "--only", "tiny_test", "--out", str(out), "--timeout", "60"])
    assert rc == 0
    entry = store.threshold_entry("hwnb", "tiny_test", "tiny", "ci", out)
    assert entry["measured"] == pytest.approx([0.601, 0.611])
    assert entry["seeds"] == [0, 1]
    assert "other_test" not in json.loads(out.read_text())["questions"]
