"""One way for every ``autograder`` verb to take the assignment: ``autograder VERB hw1 ...``.

The assignment is the first positional argument; ``--assignment hw1`` is accepted too (older
scripts and Makefiles). Imports nothing heavy, so a verb can check its arguments first.
"""
from __future__ import annotations

import argparse


def add_assignment(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    """Add the positional ``assignment`` (optional when ``default`` is given) and ``--assignment``."""
    what = f"assignment name (default {default})" if default else "assignment name, e.g. hw1"
    parser.add_argument("assignment", nargs="?", default=None, help=what)
    parser.add_argument("--assignment", dest="assignment_flag", default=None, metavar="NAME",
                        help="the same as the positional assignment")


def resolve_assignment(parser: argparse.ArgumentParser, args: argparse.Namespace,
                       default: str | None = None) -> str:
    """Merge the two spellings into ``args.assignment`` (one-line usage error when missing or contradictory)."""
    pos, flag = args.assignment, getattr(args, "assignment_flag", None)
    if pos and flag and pos != flag:
        parser.error(f"the assignment is given twice ({pos!r} and --assignment {flag!r})")
    args.assignment = pos or flag or default
    if not args.assignment:
        parser.error("the assignment is required, e.g. `hw1`")
    return args.assignment
