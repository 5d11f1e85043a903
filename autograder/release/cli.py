"""``autograder release``: build the student version of an assignment.

    autograder release [hw1] [--course-dir out/nbgrader] [--check]

Without ``--check``: writes ``assignments/<assignment>/*.ipynb``.
With ``--check``: rebuilds in a temporary folder and exits 1 if the committed
student notebooks differ from what the sources produce (CI's drift check).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from autograder.cli_args import add_assignment, resolve_assignment
from autograder.paths import NBGRADER_COURSE_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autograder release", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_assignment(parser, default="hw1")
    parser.add_argument("--course-dir", type=Path, default=NBGRADER_COURSE_DIR)
    parser.add_argument("--check", action="store_true", help="only report drift; exit 1 if any")
    args = parser.parse_args(argv)
    resolve_assignment(parser, args, default="hw1")
    from autograder.release.drift import check_drift, release

    if args.check:
        drifted = check_drift(args.assignment)
        if drifted:
            print(f"assignments/{args.assignment} is out of date with solutions/{args.assignment}: "
                  f"{', '.join(drifted)}\nrun `make release` and commit the result")
            return 1
        print(f"assignments/{args.assignment}: up to date")
        return 0
    written = release(args.assignment, args.course_dir)
    for path in written:
        print(f"released {path}")
    return 0
