"""``make demo``: the main job end to end on bundled data.

1. show the datasets the homework uses (from ``$ARKIT_DATA_DIR`` / procedural);
2. build the student release of hw1 with nbgrader (``generate_assignment``);
3. make example submissions from the sources: the solution, the blank
   release and a few wrong in one named way each (``autograder.examples``);
4. grade them in sandboxed worker processes under the ``ci`` profile
   (``autograder.grading``), print the score table and where the feedback is.

    autograder demo [--assignment hw1] [--workers 2] [--profile ci] [--out out/examples]
"""
from __future__ import annotations

import argparse
import textwrap
import time
from pathlib import Path

from autograder.cli_args import add_assignment, resolve_assignment
from autograder.paths import OUT_DIR, SOLUTIONS_DIR


def _datasets_table() -> None:
    from arkit.data import list_datasets, load_dataset

    print(f"{'dataset':<16} {'train':>7} {'valid':>7}  {'sample shape':<14} values")
    for name in list_datasets():
        try:
            train, valid = load_dataset(name, "train"), load_dataset(name, "valid")
        except Exception as exc:  # missing MNIST files: say so, go on
            print(f"{name:<16} unavailable: {exc}".splitlines()[0])
            continue
        shape = "x".join(map(str, train.info.shape)) or "scalar"
        print(f"{name:<16} {len(train.x):>7} {len(valid.x):>7}  {shape:<14} 0..{train.info.num_values - 1}")


def _score_table(rows: dict, students: dict[str, str]) -> None:
    """Print each student's score and the points a one-bug student lost (rows: student -> StudentResult)."""
    print(f"\n{'student':<22} {'score':>12}  what it is")
    for student in students:
        res = rows.get(student)
        if res is None:
            print(f"{student:<22} {'not graded':>12}")
            continue
        print(f"{student:<22} {res.score:>6.1f} / {res.max_score:<5.0f} {students[student]}")
        lost = [q for q in res.questions.values() if q.points < q.max_points and q.status != "not_submitted"]
        if student != "blank":
            for q in lost[:4]:
                text = textwrap.shorten(q.message, 160, placeholder=" ...")  # whole words only
                print(f"{'':<24}- {q.points:g}/{q.max_points:g} {q.notebook}: {q.title} [{q.id}]: {text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autograder demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_assignment(parser, default="hw1")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--profile", default="ci", choices=("ci", "cpu", "gpu"))
    parser.add_argument("--out", type=Path, default=OUT_DIR / "examples")
    args = parser.parse_args(argv)
    resolve_assignment(parser, args, default="hw1")
    start = time.perf_counter()

    print("== 1. datasets (train/valid; the held-out split is the grader's)")
    _datasets_table()

    print(f"\n== 2. student release of {args.assignment} (nbgrader generate_assignment)")
    from autograder.examples import build_examples

    example_dir = args.out / args.assignment
    students = build_examples(args.assignment, example_dir)
    print(f"student notebooks: {example_dir / 'course' / 'release' / args.assignment}")

    print(f"\n== 3. example submissions in {example_dir / 'submitted'}")
    for student, what in students.items():
        print(f"  {student:<22} {what}")

    print(f"\n== 4. grading in sandboxes (profile {args.profile}, {args.workers} workers)")
    from autograder.grading import cli as grade_cli

    grade_out = OUT_DIR / "grades" / args.assignment
    cfg = grade_cli.config_from_args(grade_cli.parser().parse_args([
        args.assignment, str(example_dir), "--out", str(grade_out), "--workers", str(args.workers),
        "--profile", args.profile, "--source-dir", str(SOLUTIONS_DIR / args.assignment)]))
    from autograder.grading import pipeline

    rows = pipeline.run(cfg)
    _score_table(rows, students)
    print(f"\nper-student results.json and feedback.html: {grade_out}/<student>/")
    print(f"class table: {grade_out / 'grades.csv'}; nbgrader gradebook: {grade_out / 'gradebook.db'}")
    print(f"demo finished in {time.perf_counter() - start:.0f} s")
    bad = [s for s in ("solution",) if s in rows and rows[s].score < rows[s].max_score]
    if bad or ("blank" in rows and rows["blank"].score > 0):
        print("WARNING: the solution did not earn full marks or the blank release earned points")
        return 1
    return 0
