"""What Gradescope's ``run_autograder`` calls: grade one submission into results.json.

``results.json`` is written before anything runs (every question pending, 0
points) and rewritten atomically after each question, so a global timeout or
a crash leaves the student with everything graded so far.

Usage: ``python -m autograder.grading.gs_run --assignment A --source-dir DIR
--submission DIR --results FILE [--questions MODULE] [--profile P]``.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from arkit.profiles import PROFILES, active_profile
from autograder.assignments.base import GradingContext

from . import inputs, pipeline, results, runner
from .sandbox import probe_isolation


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="gs_run")
    p.add_argument("--assignment", required=True)
    p.add_argument("--source-dir", type=Path, required=True)
    p.add_argument("--submission", type=Path, required=True)
    p.add_argument("--results", type=Path, required=True)
    p.add_argument("--questions", default=None)
    p.add_argument("--profile", choices=PROFILES, default=None)
    p.add_argument("--cell-timeout", type=float, default=None)
    args = p.parse_args(argv)
    start = time.monotonic()
    profile = args.profile or active_profile()
    limits = pipeline.PROFILE_LIMITS[profile]
    if args.cell_timeout:
        import dataclasses

        limits = dataclasses.replace(limits, cell_timeout_s=args.cell_timeout)
    cfg = pipeline.Config(args.assignment, args.submission.resolve(), args.results.resolve().parent,
                          args.source_dir.resolve(), profile, limits=limits, questions_module=args.questions)
    questions = runner.load_questions(cfg.assignment, cfg.questions_module)
    extra = {"sandbox": probe_isolation().summary()}
    done: list[runner.NotebookReport] = []
    current = runner.NotebookReport("")

    def write() -> None:
        graded = {o.question.id for r in done + [current] for o in r.outcomes}
        pending = [q for q in questions if q.id not in graded]
        res = results.build_results(done + [current], time.monotonic() - start, extra, pending)
        results.write_atomic(args.results, results.dumps(res))

    write()
    subs = inputs.discover(cfg.submissions, cfg.assignment, cfg.stems())
    notebooks = {}
    for s in subs:  # one student: take every notebook found, whatever the file name said
        for stem, data in s.notebooks.items():
            notebooks.setdefault(stem, data)
    ctx = GradingContext(cfg.assignment, profile, "cpu" if profile != "gpu" else _cuda(), 0, "remote")
    kw = {"slot": 0, "env": {"ARKIT_PROFILE": profile, "ARKIT_SEED": "0"}, "hide": pipeline.hidden_paths(cfg)}
    for stem in cfg.stems():
        current = runner.NotebookReport(stem)

        def on_outcome(outcome, rep=current) -> None:
            rep.outcomes.append(outcome)
            write()

        report = runner.grade_notebook(stem, cfg.source_dir / f"{stem}.py", notebooks.get(stem),
                                       [q for q in questions if q.notebook == stem], ctx, limits, kw, on_outcome)
        current.notes, current.cell_errors = report.notes, report.cell_errors
        done.append(current)
        current = runner.NotebookReport("")
    write()
    return 0


def _cuda() -> str:
    from arkit.profiles import default_device

    return default_device("gpu")


if __name__ == "__main__":
    raise SystemExit(main())
