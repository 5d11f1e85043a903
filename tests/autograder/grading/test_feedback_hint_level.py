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


def test_a_cached_student_is_left_untouched_whatever_the_grading_time(tmp_path):
    """Rounding the time twice (result.json keeps ms, results.json 10 ms) must not rewrite the pages:
    2.0051 s -> 2.005 -> 2.0 read back, but 2.01 when rendered from the unrounded result."""
    res = _result()
    res.execution_time_s = 2.0051
    folder = tmp_path / "alice"
    pipeline.write_student(folder, res, "cause")
    before = {n: (folder / n).stat().st_mtime_ns for n in ("results.json", "feedback.html")}
    cached = StudentResult.loads((folder / "result.json").read_text())
    pipeline.refresh_pages(folder, cached, "cause")
    assert {n: (folder / n).stat().st_mtime_ns for n in before} == before
