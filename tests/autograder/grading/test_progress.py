"""Progress of a class run: one line per finished student without a terminal, a bar on one, a summary."""
import io

import pytest

from autograder.grading.progress import ClassProgress, default_mode


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_default_is_lines_without_a_terminal_and_bar_on_one():
    assert default_mode(io.StringIO()) == "lines" and default_mode(FakeTTY()) == "bar"


def test_lines_mode_reports_each_student_and_the_summary_names_the_slowest():
    out = io.StringIO()
    p = ClassProgress(3, stream=out)
    p.update("skipped", "ann")
    p.update("graded", "bob", 7.5, 8.0, 12.34)
    p.update("failed", "cat", 0.0, 8.0, 40.0)
    p.close()
    assert out.getvalue().splitlines() == ["[2/3] bob 7.5/8 points, 12.3 s",
                                           "[3/3] cat FAILED (internal grader error), 40.0 s"]
    assert p.summary() == "graded 1, failed 1, skipped 1 (unchanged); slowest: cat 40.0 s, bob 12.3 s"


@pytest.mark.parametrize("mode", ["bar", "none"])
def test_bar_and_none_print_no_student_lines(mode):
    out = FakeTTY()
    p = ClassProgress(1, mode, stream=out)
    p.update("graded", "bob", 8.0, 8.0, 1.0)
    p.close()
    assert "bob 8/8" not in out.getvalue()
    assert ("1/1" in out.getvalue()) == (mode == "bar")


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="progress mode"):
        ClassProgress(1, "fancy")
