"""``autograder bench`` / ``make bench``: run every ``bench/bench_*.py``.

Benchmarks print their own tables; each reports ratios against a baseline
measured in the same run (machines here are shared and noisy, so absolute
seconds are only indicative). Extra arguments are passed to every script.
"""
from __future__ import annotations

import subprocess
import sys
import time

from autograder.paths import REPO_ROOT


def main(argv: list[str] | None = None) -> int:
    argv = list(argv or [])
    only = [a for a in argv if not a.startswith("-")]
    flags = [a for a in argv if a.startswith("-")]
    scripts = sorted((REPO_ROOT / "bench").glob("bench_*.py"))
    if only:
        scripts = [s for s in scripts if any(o in s.stem for o in only)]
    if not scripts:
        print("no benchmarks found in bench/")
        return 1
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        start = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script), *flags], cwd=REPO_ROOT)
        print(f"--- {script.name}: exit {rc}, {time.perf_counter() - start:.1f} s", flush=True)
        if rc:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0
