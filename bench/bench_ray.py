"""Ray executor benchmark: grading throughput of ``--executor ray`` vs the local pool, same run.

Grades N fixture-assignment submissions with ``--workers 2`` on the local process pool, then with
``--executor ray --workers 2`` (a private Ray instance with 2 CPUs, its start included: that is
what an instructor waits for), and prints seconds per submission and the throughput ratio
(local time / Ray time; below 1: Ray is slower). Run: ``.venv/bin/python bench/bench_ray.py [--n 8]``.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=None, help="submissions per run (default 8, 4 with --quick)")
    p.add_argument("--quick", action="store_true", help="a shorter run (4 submissions)")
    args = p.parse_args(argv)
    args.n = args.n or (4 if args.quick else 8)
    try:
        import ray  # noqa: F401
    except ImportError:
        print("bench_ray: skipped, Ray is not installed (pip install 'ar-autograder[ray]')")
        return 0
    from bench_grading import fixture_class, grade_fixture  # bench/ is the script's own folder

    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        subs = fixture_class(Path(tmp) / "subs", args.n)
        times = {}
        for name, extra in (("local", []), ("ray", ["--executor", "ray"])):
            start = time.perf_counter()
            rc = grade_fixture(subs, Path(tmp) / name, "--workers", "2", "--progress", "none", *extra)
            times[name] = time.perf_counter() - start
            if rc:
                return rc
    for name, t in times.items():
        print(f"{name}: {t:.1f} s for {args.n} submissions = {t / args.n:.2f} s/submission")
    print(f"throughput ray / local: {times['local'] / times['ray']:.2f}x (same run, same machine, Ray start included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
