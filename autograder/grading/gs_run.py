"""What Gradescope's ``run_autograder`` calls: grade one submission into results.json.

The same spine as ``autograder grade`` (:func:`~autograder.grading.grade_student.grade_student`
with a :class:`~autograder.grading.grade_student.GradeSpec` built the same way); only the
writer differs. ``results.json`` is written before anything runs (every question pending, 0
points) and rewritten atomically after each question, so a global timeout or a crash leaves
the student with everything graded so far.

Usage: ``python -m autograder.grading.gs_run --assignment A --source-dir DIR
--submission DIR --results FILE [--questions MODULE] [--profile P] [--seed N]``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROFILES = ("ci", "cpu", "gpu")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gs_run")
    p.add_argument("--assignment", required=True)
    p.add_argument("--source-dir", type=Path, required=True)
    p.add_argument("--submission", type=Path, required=True)
    p.add_argument("--results", type=Path, required=True)
    p.add_argument("--questions", default=None)
    p.add_argument("--profile", choices=PROFILES, default=None)
    p.add_argument("--seed", type=int, default=0, help="seed of the notebooks and the grader's probes")
    p.add_argument("--student", default="submission", help="student id recorded in the result")
    p.add_argument("--cell-timeout", type=float, default=None)
    p.add_argument("--student-result", type=Path, default=None,
                   help="also write the typed StudentResult (JSON) here, e.g. for comparing with a local run")
    return p


def one_submission(subs, student: str):
    """Gradescope holds one student: every notebook found, whatever the file names said, and
    every problem discovery reported (dropped files are told to the student)."""
    from .inputs import Submission

    sub = Submission(student, origin="gradescope")
    for s in subs:
        for stem, data in s.notebooks.items():
            if stem in sub.notebooks:
                sub.problems.append(f"a second file for notebook {stem} ({s.origin or s.student}) was not graded")
            else:
                sub.notebooks[stem] = data
        sub.problems.extend(s.problems)
    return sub


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from arkit.profiles import active_profile

    from . import inputs, pipeline, results
    from .grade_student import grade_student

    profile = args.profile or active_profile()
    cfg = pipeline.Config(args.assignment, args.submission.resolve(), args.results.resolve().parent,
                          args.source_dir.resolve(), profile, seed=args.seed,
                          limits=pipeline.PROFILE_LIMITS[profile], questions_module=args.questions)
    if args.cell_timeout:
        import dataclasses

        cfg.limits = dataclasses.replace(cfg.limits, cell_timeout_s=args.cell_timeout)
    spec = pipeline.spec_from_config(cfg)

    def write(res) -> None:
        results.write_atomic(args.results, results.dumps(results.gradescope(res)))

    write(spec.empty_result(args.student))
    try:
        subs = inputs.discover(cfg.submissions, cfg.assignment, cfg.stems(), one_student=True)
    except (OSError, ValueError) as exc:
        subs = []
        print(f"gs_run: {exc}", file=sys.stderr)
    result = grade_student(one_submission(subs, args.student), spec, on_question=write)
    write(result)
    if args.student_result is not None:
        results.write_atomic(args.student_result, result.dumps())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
