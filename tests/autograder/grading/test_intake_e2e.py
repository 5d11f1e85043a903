"""Intake through the whole grader: identities reach the output folders and grades.csv.

One small flat class of the fixture assignment: a victim and an attacker whose names
sanitise alike (old intake graded the attacker's file as the victim's), a browser
duplicate with spaces in the name, and a 200 MB (sparse) notebook that must be refused
alone while the others are graded.
"""
import csv

import pytest

from conftest import grade_cli, read_results
from fixture_assignment.build import student_notebook

pytestmark = pytest.mark.slow


def test_class_with_collision_real_names_and_a_huge_notebook(tmp_path, capsys):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "victim_b_01_basics.ipynb").write_bytes(student_notebook())
    (subs / "victim_b!_01_basics.ipynb").write_bytes(b'{"cells": [ not a notebook')
    (subs / "Erin Doe - 01_basics.ipynb").write_bytes(b'{"cells": [ an older attempt')
    (subs / "Erin Doe - 01_basics (1).ipynb").write_bytes(student_notebook())
    with open(subs / "mallory_01_basics.ipynb", "wb") as fh:
        fh.truncate(200 * 10**6)
    assert grade_cli(subs, out, "--workers", "1", "--no-gradebook") == 0
    console = capsys.readouterr().err  # the instructor sees the collision and the refused file, naming both files
    assert "intake:" in console and "victim_b!_01_basics.ipynb" in console and "victim_b_01_basics.ipynb" in console
    assert "mallory_01_basics.ipynb" in console
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    victim = next(f for f in folders if f.startswith("victim_b-") and read_results(out, f)["score"] == 8.0)
    attacker = next(f for f in folders if f.startswith("victim_b-") and f != victim)
    assert read_results(out, attacker)["score"] == 0.0
    assert "graded on its own" in read_results(out, victim)["output"]
    erin = read_results(out, "Erin_Doe")
    assert erin["score"] == 8.0 and "Erin Doe - 01_basics (1).ipynb, was graded" in erin["output"]
    mallory = read_results(out, "mallory")
    assert mallory["score"] == 0.0 and "more than the 64.0 MiB limit" in mallory["output"]
    with open(out / "grades.csv") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {victim, attacker, "Erin_Doe", "mallory"}
