"""``autograder grade``: grade a class of submissions in sandboxes.

Example::

    autograder grade hw1 submissions.zip --out out/grades/hw1 --workers 2 --profile ci

Writes ``<out>/<student>/results.json`` (Gradescope schema) and
``feedback.html``, ``<out>/grades.csv`` and the nbgrader gradebook
(``--gradebook``, default ``<out>/gradebook.db``). Re-running skips students
whose submission, instructor sources and grader are unchanged.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from arkit.profiles import PROFILES, active_profile

from . import pipeline


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autograder grade", description=__doc__.split("\n\n")[0])
    p.add_argument("assignment", help="assignment name, e.g. hw1")
    p.add_argument("submissions", type=Path, help="nbgrader course folder (with submitted/), folder of "
                   "notebooks, or an LMS zip")
    p.add_argument("--out", type=Path, default=None, help="output folder (default out/grades/<assignment>)")
    p.add_argument("--source-dir", type=Path, default=None,
                   help="instructor jupytext sources (default solutions/<assignment>)")
    p.add_argument("--questions", default=None,
                   help="module (dotted or .py path) that registers the questions (default "
                   "autograder.assignments.<assignment>)")
    p.add_argument("--workers", type=int, default=1, help="students graded in parallel (default 1)")
    p.add_argument("--profile", choices=PROFILES, default=None,
                   help="compute profile (default: ARKIT_PROFILE, CI, or CUDA auto-detection)")
    p.add_argument("--seed", type=int, default=0, help="seed of the grader's probes and of the notebooks")
    p.add_argument("--gradebook", type=Path, default=None, help="nbgrader gradebook.db to update")
    p.add_argument("--no-gradebook", action="store_true", help="do not write an nbgrader gradebook")
    p.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    p.add_argument("--cell-timeout", type=float, default=None, help="wall seconds per notebook cell")
    p.add_argument("--notebook-timeout", type=float, default=None, help="wall seconds per notebook")
    p.add_argument("--memory-mb", type=int, default=None, help="address-space limit per sandbox (MiB)")
    p.add_argument("--only-solution-cells", action="store_true",
                   help="do not run code cells the student added (default: run them)")
    p.add_argument("--no-namespaces", action="store_true", help="do not use unshare (debugging)")
    return p


def config_from_args(args: argparse.Namespace) -> pipeline.Config:
    from autograder.paths import OUT_DIR, SOLUTIONS_DIR

    profile = args.profile or active_profile()
    limits = pipeline.PROFILE_LIMITS[profile]
    changes = {"cell_timeout_s": args.cell_timeout, "notebook_timeout_s": args.notebook_timeout,
               "memory_mb": args.memory_mb}
    limits = dataclasses.replace(limits, **{k: v for k, v in changes.items() if v is not None},
                                 threads=max(1, (os.cpu_count() or 1) // max(1, args.workers)))
    out = (args.out or OUT_DIR / "grades" / args.assignment).resolve()
    gradebook = None if args.no_gradebook else (args.gradebook or out / "gradebook.db").resolve()
    return pipeline.Config(
        assignment=args.assignment, submissions=args.submissions.resolve(), out=out,
        source_dir=(args.source_dir or SOLUTIONS_DIR / args.assignment).resolve(), profile=profile,
        seed=args.seed, workers=max(1, args.workers), limits=limits, questions_module=args.questions,
        gradebook=gradebook, force=args.force, keep_extra_cells=not args.only_solution_cells,
        allow_namespaces=not args.no_namespaces)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    cfg = config_from_args(args)
    if not cfg.source_dir.is_dir() or not cfg.stems():
        print(f"autograder grade: no instructor sources NN_name.py in {cfg.source_dir}; "
              "pass --source-dir", file=sys.stderr)
        return 2
    if not args.submissions.exists():
        print(f"autograder grade: {args.submissions} does not exist", file=sys.stderr)
        return 2
    rows = pipeline.run(cfg)
    total = sum(r["score"] for r in rows.values())
    print(f"graded {len(rows)} submission(s) of {cfg.assignment} -> {cfg.out} "
          f"(mean {total / max(1, len(rows)):.2f} points)")
    return 0
