"""``autograder similarity`` from the command line: both argument spellings, an LMS zip, bad input."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import zipfile

import pytest
from solutions_written_differently import A, B
from synthetic_class import build_class, rename

from autograder.cli import main
from autograder.paths import REPO_ROOT


@pytest.fixture
def small_class(tmp_path):
    """alice and bruno honest, pat a renamed copy of alice."""
    return build_class(tmp_path / "course", {"alice": A, "bruno": B, "pat": rename(A, {"centered": "c0"})})


def _flagged(out) -> set[tuple[str, str, str]]:
    return {(r["notebook"], r["student_a"], r["student_b"]) for r in csv.DictReader((out / "pairs.csv").open())
            if r["flagged"] == "1"}


@pytest.mark.parametrize("spelling", ["positional", "flag"])
def test_both_spellings_find_the_copy(small_class, tmp_path, spelling, capsys):
    args = ["hw1", str(small_class)] if spelling == "positional" else [str(small_class), "--assignment", "hw1"]
    assert main(["similarity", *args, "--out", str(tmp_path / "out")]) == 0
    assert _flagged(tmp_path / "out") == {("01_warmup", "alice", "pat"), ("02_made", "alice", "pat")}
    assert "3 student(s) compared" in capsys.readouterr().out


def test_lms_zip_goes_through_the_graders_intake(small_class, tmp_path):
    """A Canvas zip: students are named by Canvas's user id, as in ``autograder grade``."""
    zpath = tmp_path / "canvas.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for uid, who in enumerate(("alice", "bruno", "pat"), 101):
            for nb in sorted((small_class / "submitted" / who / "hw1").glob("*.ipynb")):
                zf.write(nb, f"{who}_{uid}_{uid + 400}_{nb.name}")
    assert main(["similarity", "hw1", str(zpath), "--out", str(tmp_path / "out")]) == 0
    flagged = _flagged(tmp_path / "out")
    assert {nb for nb, _, _ in flagged} == {"01_warmup", "02_made"} and len(flagged) == 2
    assert all({"alice", "pat"} == {a.split("_")[0], b.split("_")[0]} for _, a, b in flagged), flagged


def test_bad_input_is_a_note_not_a_crash(small_class, tmp_path, capsys):
    """A broken notebook, a non-UTF-8 file, an empty file and a submission without notebooks are each named
    on stderr; everyone else is still compared and the copy still found."""
    sub = small_class / "submitted"
    for who, data in (("broken", b'{"cells": [ {"cell_type": '), ("latin1", "{'cells': 'Jos\u00e9'}".encode("latin-1")),
                      ("empty", b"")):
        (sub / who / "hw1").mkdir(parents=True)
        (sub / who / "hw1" / "01_warmup.ipynb").write_bytes(data)
    (sub / "nocells" / "hw1").mkdir(parents=True)
    (sub / "nocells" / "hw1" / "02_made.ipynb").write_text('{"cells": [], "metadata": {}}')
    assert main(["similarity", "hw1", str(small_class), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "broken: 01_warmup: broken/hw1/01_warmup.ipynb: not a notebook (broken JSON at line 1" in err
    assert "latin1: 01_warmup: latin1/hw1/01_warmup.ipynb: not UTF-8 text" in err
    assert "empty: 01_warmup: empty/hw1/01_warmup.ipynb: the file is empty" in err
    assert "nocells: 02_made: none of the released solution cells is in this notebook" in err
    assert "Traceback" not in err
    assert _flagged(tmp_path / "out") == {("01_warmup", "alice", "pat"), ("02_made", "alice", "pat")}
    html = (tmp_path / "out" / "report.html").read_text()
    assert "broken JSON" in html and "not UTF-8 text" in html


def test_a_huge_cell_is_cut_and_named(tmp_path, capsys):
    """A cell with 20,000 pasted lines is compared on its first MAX_CELL_CHARS characters, and the cut is said."""
    from autograder.similarity.extract import MAX_CELL_CHARS

    huge = {**A, "warmup_sampler": ("", "\n".join(f"v{i} = probs * {i}" for i in range(20_000)) + "\nreturn v0")}
    course = build_class(tmp_path / "course", {"big": huge, "pat": A})
    assert main(["similarity", "hw1", str(course), "--out", str(tmp_path / "out")]) == 0
    assert f"big: 01_warmup: more than {MAX_CELL_CHARS} characters in warmup_sampler" in capsys.readouterr().err
    assert ("01_warmup", "big", "pat") in _flagged(tmp_path / "out")  # the other cells still compared


def test_student_text_is_escaped_in_the_report(tmp_path):
    """Student code is untrusted: a string that closes the <pre> and opens a <script> is shown, not run."""
    evil = {"warmup_sampler": ("", 'tag = "</pre><script>alert(1)</script>"\n' + A["warmup_sampler"][1] * 1),
            **{k: v for k, v in A.items() if k != "warmup_sampler"}}
    course = build_class(tmp_path / "course", {"mal": evil, "pat": evil})
    assert main(["similarity", "hw1", str(course), "--out", str(tmp_path / "out")]) == 0
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_usage_errors_are_one_line(tmp_path, capsys):
    assert main(["similarity", "hw1", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err
    (tmp_path / "empty").mkdir()
    assert main(["similarity", "hw1", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no submissions found" in err and "01_warmup.ipynb" in err
    with pytest.raises(SystemExit) as exc:
        main(["similarity", str(tmp_path)])
    assert exc.value.code == 2 and "give the assignment" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["similarity", "hw1", str(tmp_path), "--assignment", "hw2"])
    assert "given twice" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["similarity", "hw1", str(tmp_path), "--threshold", "2"])


@pytest.mark.slow
def test_scores_do_not_depend_on_the_hash_salt(small_class, tmp_path):
    """copydetect hashes with Python's salted ``hash()``; with window 1 the CSV is the same under any salt."""
    outs = []
    for salt in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": salt}
        out = tmp_path / f"out{salt}"
        subprocess.run([sys.executable, "-m", "autograder.cli", "similarity", "hw1", str(small_class), "--out",
                        str(out)], cwd=REPO_ROOT, env=env, check=True, capture_output=True, timeout=120)
        outs.append((out / "pairs.csv").read_bytes())
    assert outs[0] == outs[1]


def test_csv_cells_follow_the_grades_csv_rule(tmp_path):
    """A student whose folder name starts with "@" gets a leading quote, by the same rule as grades.csv."""
    from autograder.grading.gradebook import FORMULA_PREFIXES
    from autograder.similarity import report

    assert report.FORMULA_PREFIXES == FORMULA_PREFIXES
    course = build_class(tmp_path / "course", {"@home": A, "pat": A})
    assert main(["similarity", "hw1", str(course), "--out", str(tmp_path / "out")]) == 0
    rows = list(csv.DictReader((tmp_path / "out" / "pairs.csv").open()))
    assert rows and all(r["student_a"].startswith("'@") or r["student_b"].startswith("'@") for r in rows)
