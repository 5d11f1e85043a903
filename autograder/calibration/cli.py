"""``autograder calibrate``: measure the reference solution per seed and write thresholds.

Examples::

    autograder calibrate hw1 --profile ci --seeds 0 1 2
    autograder calibrate hw1 --profile ci --seeds 0 1 2 --only made_mnist_test
    autograder calibrate hw1 --profile cpu --seeds 0 1 \\
        --notebook solutions/hw1/02_made.py --notebook solutions/hw1/03_pixelcnn.py

Without ``--notebook`` it runs the measurement functions registered with
:func:`autograder.calibration.register_measurement` (modules
``autograder.assignments.<assignment>`` are imported first so they can register);
when none are registered it grades every ``solutions/<assignment>/NN_*.py`` solution per
seed through the grading spine and reads the held-out NLLs from the results.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from arkit.units import format_nll
from autograder.calibration import runner, store
from autograder.cli_args import add_assignment, resolve_assignment


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autograder calibrate", description=__doc__.split("\n\n")[0])
    add_assignment(p)
    p.add_argument("--profile", required=True, choices=store.PROFILES)
    p.add_argument("--seeds", type=int, nargs="+", required=True)
    p.add_argument("--only", nargs="+", default=None, metavar="QUESTION", help="calibrate only these questions")
    p.add_argument("--notebook", action="append", default=None, metavar="PATH",
                   help="execute this solution notebook per seed and collect its records (repeatable)")
    p.add_argument("--out", default=None, help="calibration file (default autograder/calibration/<assignment>.json)")
    p.add_argument("--timeout", type=int, default=3600, help="per-cell timeout in seconds (notebook mode)")
    p.add_argument("--questions", default=None, metavar="MODULE",
                   help="module (dotted or .py path) registering the questions (notebook mode)")
    p.add_argument("--only-registered", action="store_true",
                   help="never fall back to executing solutions/<assignment>/NN_*.py")
    p.add_argument("--dry-run", action="store_true", help="measure and print, do not write")
    p.add_argument("--allow-cell-errors", action="store_true",
                   help="write thresholds even if a solution cell raised (notebook mode; default: write nothing)")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    resolve_assignment(parser, args)
    notebooks = args.notebook
    if not notebooks:
        try:
            importlib.import_module(f"autograder.assignments.{args.assignment}")
        except ModuleNotFoundError:
            pass
        if not runner.registered(args.assignment) and not args.only_registered:
            from autograder.paths import solution_sources
            try:
                notebooks = [str(p) for p in solution_sources(args.assignment)]
            except FileNotFoundError as exc:
                print(f"autograder calibrate: nothing to run: no measurement registered and {exc}", file=sys.stderr)
                return 2
            print(f"no measurement functions registered: executing {len(notebooks)} solution notebook(s)")
    if notebooks:
        try:
            results = runner.run_notebooks(args.assignment, notebooks, args.profile, args.seeds, args.only,
                                           args.timeout, questions_module=args.questions,
                                           strict=not args.allow_cell_errors)
        except runner.SolutionCellError as exc:
            print(f"autograder calibrate: nothing written: a solution cell raised under --profile "
                  f"{args.profile} ({exc}); fix the solution, or pass --allow-cell-errors", file=sys.stderr)
            return 1
    else:
        try:
            results = runner.run_measurements(args.assignment, args.profile, args.seeds, args.only)
        except KeyError as exc:
            print(f"autograder calibrate: {exc.args[0]}", file=sys.stderr)
            return 2
    if not results:
        print("autograder calibrate: nothing was measured", file=sys.stderr)
        return 1
    units = runner.known_units(args.assignment, results, args.out)
    for (question, dataset), pairs in sorted(results.items()):
        thr, loose = store.margin([v for _, v in pairs])
        values = ", ".join(f"seed {s}: {v:.4f}" for s, v in pairs)
        unit = units.get((question, dataset))
        shown = f"{thr:.4f} ({unit.split(' (')[0]})" if unit else format_nll(thr)
        print(f"{question} / {dataset} [{args.profile}]: {values} -> threshold {shown}, loose {loose:.4f}")
    if not args.dry_run:
        extra = {"sandbox_threads": runner.CALIBRATION_THREADS} if notebooks else {}
        path = runner.write_calibration(args.assignment, args.profile, results, args.out, **extra)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
