"""`autograder grade --hint-level {cause,fix}` reaches both student-facing writers (feedback.html and
Gradescope results.json); a cached student's pages follow a changed level without regrading."""
from __future__ import annotations

import json

from autograder.grading import cli, pipeline, results
from autograder.grading.student_result import QuestionResult, StudentResult


def _result() -> StudentResult:
    q = QuestionResult("q_mask", "02_made", "MADE masks", 5, 0.0, False, message="output x_1 depends on itself",
                       hint="use a strict inequality into the output layer", flags=["review: odd"])
    return StudentResult("alice", "hw1", "ci", {q.id: q})


def test_cli_option_sets_the_level(tmp_path):
    args = cli.parser().parse_args(["hw1", str(tmp_path), "--hint-level", "fix"])
    assert cli.config_from_args(args).hint_level == "fix"
    assert cli.config_from_args(cli.parser().parse_args(["hw1", str(tmp_path)])).hint_level is None


def test_gradescope_output_has_hint_only_at_fix_and_never_flags():
    cause = results.gradescope(_result(), "cause")["tests"][0]
    fix = results.gradescope(_result(), "fix")["tests"][0]
    assert cause["output"] == "output x_1 depends on itself"
    assert fix["output"].endswith("Hint: use a strict inequality into the output layer")
    assert "odd" not in cause["output"] + fix["output"] and fix["extra_data"]["flags"] == ["review: odd"]


def test_pages_follow_the_level_and_cached_pages_are_refreshed(tmp_path):
    folder = tmp_path / "alice"
    pipeline.write_student(folder, _result(), "cause")
    assert "strict inequality" not in (folder / "feedback.html").read_text()
    before = (folder / "results.json").stat().st_mtime_ns
    pipeline.refresh_pages(folder, _result(), "cause")          # same level: files untouched
    assert (folder / "results.json").stat().st_mtime_ns == before
    pipeline.refresh_pages(folder, _result(), "fix")
    assert "strict inequality" in (folder / "feedback.html").read_text()
    assert "Hint:" in json.loads((folder / "results.json").read_text())["tests"][0]["output"]
