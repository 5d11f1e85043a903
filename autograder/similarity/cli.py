"""``autograder similarity``: which students' solution code is alike, across a class.

Example::

    autograder similarity hw1 submissions.zip --out out/similarity/hw1
    autograder similarity submitted/ --assignment hw1 --threshold 0.5 --top-k 50

SUBMISSIONS is anything ``autograder grade`` accepts (same intake). Writes ``<out>/pairs.csv``
and ``<out>/report.html``. Exit codes: 0 done (flagged pairs or not); 2 bad input (one line, no
traceback).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.cli_args import add_assignment

PROG = "autograder similarity"
DEFAULT_THRESHOLD = 0.5   # score; calibrated on the synthetic class of tests/autograder/similarity (docs/instructor.md)
DEFAULT_MIN_OVERLAP = 60  # characters of filtered code (~3 lines; a one-line loss is ~30)
DEFAULT_TOP_K = 20


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    add_assignment(p)
    p.add_argument("submissions", nargs="?", default=None, type=Path,
                   help="nbgrader course folder (with submitted/), folder of notebooks, or an LMS zip")
    p.add_argument("--out", type=Path, default=None, help="output folder (default out/similarity/<assignment>)")
    p.add_argument("--release", type=Path, default=None,
                   help="folder of the released notebooks whose solution cells are compared "
                        "(default assignments/<assignment>)")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                   help=f"flag a pair at this score or above (0..1, default {DEFAULT_THRESHOLD})")
    p.add_argument("--min-overlap", type=int, default=DEFAULT_MIN_OVERLAP,
                   help=f"flag only pairs sharing at least this many characters of filtered code "
                        f"(default {DEFAULT_MIN_OVERLAP})")
    p.add_argument("--top-k", type=int, default=DEFAULT_TOP_K,
                   help=f"pairs shown side by side in report.html (default {DEFAULT_TOP_K})")
    p.add_argument("--map", action="append", default=[], metavar="FILE=NOTEBOOK",
                   help="treat submitted file FILE as notebook NOTEBOOK (as in autograder grade); repeatable")
    return p


def parse(argv: list[str]) -> argparse.Namespace:
    """``similarity SUBMISSIONS --assignment hw1`` and ``similarity hw1 SUBMISSIONS`` both work."""
    p = parser()
    args = p.parse_args(argv)
    if args.submissions is None and args.assignment and args.assignment_flag:
        args.submissions, args.assignment = Path(args.assignment), None  # the one positional is SUBMISSIONS
    if args.assignment and args.assignment_flag and args.assignment != args.assignment_flag:
        p.error(f"the assignment is given twice ({args.assignment!r} and --assignment {args.assignment_flag!r})")
    args.assignment = args.assignment or args.assignment_flag
    if not args.assignment:
        p.error("the assignment is required, e.g. `autograder similarity hw1 SUBMISSIONS`")
    if args.submissions is None:
        p.error("give the assignment and the submissions: `autograder similarity hw1 SUBMISSIONS` or "
                "`autograder similarity SUBMISSIONS --assignment hw1`")
    if not 0.0 <= args.threshold <= 1.0:
        p.error(f"--threshold is a fraction in [0, 1], got {args.threshold}")
    if args.top_k < 0 or args.min_overlap < 0:
        p.error("--top-k and --min-overlap must not be negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(list(sys.argv[1:] if argv is None else argv))
    from autograder.grading.intake import IntakeError, parse_map_args
    from autograder.paths import ASSIGNMENTS_DIR, OUT_DIR

    from .run import run

    release = args.release or ASSIGNMENTS_DIR / args.assignment
    out = args.out or OUT_DIR / "similarity" / args.assignment
    try:
        if not Path(args.submissions).exists():
            raise IntakeError(f"{args.submissions} does not exist")
        summary = run(args.submissions, args.assignment, release, out, threshold=args.threshold,
                      min_overlap=args.min_overlap, top_k=args.top_k,
                      mapping=parse_map_args(args.map) if args.map else None)
    except (IntakeError, ValueError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # an unreadable release, an output folder that is a file, a full disk, ...
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    for note in summary.notes:
        if note.kind != "untouched":
            print(f"{PROG}: {note}", file=sys.stderr)
    print(summary.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
