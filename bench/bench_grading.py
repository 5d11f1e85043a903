"""Grading-pipeline benchmark: wall time per submission (ci profile) and the --workers 2 speed-up.

Grades N copies of the fixture assignment's reference notebook with --workers 1,
then with --workers 2, in the same run, and prints seconds per submission and
the ratio. Run: ``.venv/bin/python bench/bench_grading.py [--n 4]``.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "autograder" / "grading"


def fixture_class(subs: Path, n: int) -> Path:
    """Write ``n`` copies of the fixture assignment's reference notebook into ``subs`` (a flat
    folder, one student each); return ``subs``."""
    sys.path.insert(0, str(FIXTURE))
    from fixture_assignment.build import student_notebook

    subs.mkdir(parents=True)
    data = student_notebook()
    for i in range(n):
        (subs / f"s{i:03d}_01_basics.ipynb").write_bytes(data)
    return subs


def grade_fixture(subs: Path, out: Path, *extra: str) -> int:
    """``autograder grade fx1 subs --out out`` under ci, no gradebook, plus ``extra``; the exit code."""
    sys.path.insert(0, str(FIXTURE))
    from autograder.grading import cli
    from fixture_assignment.build import QUESTIONS, SOURCE_DIR

    return cli.main(["fx1", str(subs), "--out", str(out), "--source-dir", str(SOURCE_DIR), "--questions",
                     str(QUESTIONS), "--profile", "ci", "--no-gradebook", *extra])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=None, help="submissions per run (default 8, 4 with --quick)")
    p.add_argument("--quick", action="store_true", help="a shorter run (4 submissions)")
    args = p.parse_args(argv)
    args.n = args.n or (4 if args.quick else 8)
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        subs = fixture_class(Path(tmp) / "subs", args.n)
        times = {}
        for workers in (1, 2):
            start = time.perf_counter()
            rc = grade_fixture(subs, Path(tmp) / f"out{workers}", "--workers", str(workers))
            times[workers] = time.perf_counter() - start
            if rc:
                return rc
    for w, t in times.items():
        print(f"workers={w}: {t:.1f} s for {args.n} submissions = {t / args.n:.2f} s/submission")
    print(f"speed-up workers 2 vs 1: {times[1] / times[2]:.2f}x (same run, same machine)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
