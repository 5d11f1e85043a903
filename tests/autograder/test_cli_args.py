"""Every verb takes the assignment the same way: positional first, ``--assignment`` accepted."""
import argparse

import pytest

from autograder.cli_args import add_assignment, resolve_assignment


def _parse(argv, default=None):
    p = argparse.ArgumentParser(prog="autograder x")
    add_assignment(p, default)
    p.add_argument("--flag", action="store_true")
    args = p.parse_args(argv)
    resolve_assignment(p, args, default)
    return args.assignment


def test_positional_flag_and_default():
    assert _parse(["hw1"]) == "hw1" and _parse(["--assignment", "hw2"]) == "hw2"
    assert _parse([], default="hw1") == "hw1" and _parse(["hw1", "--assignment", "hw1"]) == "hw1"


@pytest.mark.parametrize("argv, text", [([], "is required"), (["hw1", "--assignment", "hw2"], "given twice")])
def test_missing_or_contradictory_is_a_usage_error(argv, text, capsys):
    with pytest.raises(SystemExit) as exc:
        _parse(argv)
    assert exc.value.code == 2 and text in capsys.readouterr().err


def test_release_and_calibrate_take_the_positional_assignment(capsys):
    from autograder.calibration import cli as calibrate
    from autograder.release import cli as release

    with pytest.raises(SystemExit):
        release.main(["hw1", "--assignment", "hw2"])
    assert "given twice" in capsys.readouterr().err
    assert calibrate.main(["hw_nothing_here", "--profile", "ci", "--seeds", "0"]) == 2
    assert "no notebook sources" in capsys.readouterr().err
