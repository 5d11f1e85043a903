"""``autograder gradescope``: build the Gradescope autograder zip.

The zip holds ``setup.sh`` (installs the pinned dependencies and the two
packages), ``run_autograder`` (grades ``/autograder/submission`` into
``/autograder/results/results.json``, incrementally), the grader package, the
student package and the instructor sources of one assignment. Paths can be
overridden with ``ARGRADE_SOURCE``, ``ARGRADE_SUBMISSION``,
``ARGRADE_RESULTS`` and ``ARGRADE_PYTHON`` (used by the tests).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import zipfile
from pathlib import Path

from autograder.paths import OUT_DIR, REPO_ROOT, SOLUTIONS_DIR

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when the image is built.
set -euo pipefail
cd /autograder/source
python3 -m pip install -q -r requirements/pins.txt
python3 -m pip install -q --no-deps -e ./arkit -e .
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this per submission. It writes results.json before grading
# starts and after every question, so a global timeout never loses finished work.
set -uo pipefail
SOURCE="${{ARGRADE_SOURCE:-/autograder/source}}"
export PYTHONPATH="$SOURCE:$SOURCE/arkit/src${{PYTHONPATH:+:$PYTHONPATH}}"
export MPLBACKEND=Agg PYTHONHASHSEED=0
exec "${{ARGRADE_PYTHON:-python3}}" -m autograder.grading.gs_run --assignment {assignment} \\
  --source-dir "$SOURCE/solutions/{assignment}" \\
  --submission "${{ARGRADE_SUBMISSION:-/autograder/submission}}" \\
  --results "${{ARGRADE_RESULTS:-/autograder/results/results.json}}" {questions}"$@"
"""

_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".pytest_cache")


def build(assignment: str, dest: Path, source_dir: Path | None = None, questions: Path | None = None) -> Path:
    """Write the zip to ``dest`` and return its path."""
    source_dir = Path(source_dir or SOLUTIONS_DIR / assignment)
    if not sorted(source_dir.glob("[0-9][0-9]_*.py")):
        raise FileNotFoundError(f"no instructor sources NN_name.py in {source_dir}")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.with_suffix(".staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        shutil.copytree(REPO_ROOT / "autograder", staging / "autograder", ignore=_SKIP)
        shutil.copytree(REPO_ROOT / "arkit", staging / "arkit", ignore=_SKIP)
        shutil.copytree(REPO_ROOT / "requirements", staging / "requirements", ignore=_SKIP)
        shutil.copy2(REPO_ROOT / "pyproject.toml", staging / "pyproject.toml")
        shutil.copytree(source_dir, staging / "solutions" / assignment, ignore=_SKIP)
        qarg = ""
        if questions:
            shutil.copy2(questions, staging / "solutions" / f"{assignment}_questions.py")
            qarg = f'--questions "$SOURCE/solutions/{assignment}_questions.py" '
        (staging / "setup.sh").write_text(SETUP_SH)
        (staging / "run_autograder").write_text(RUN_AUTOGRADER.format(assignment=assignment, questions=qarg))
        tmp = dest.with_suffix(".zip.part")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(staging.rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo(str(path.relative_to(staging)), date_time=(2024, 1, 1, 0, 0, 0))
                    executable = path.name in ("setup.sh", "run_autograder")
                    info.external_attr = (0o755 if executable else 0o644) << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    zf.writestr(info, path.read_bytes())
        tmp.replace(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="autograder gradescope", description="build the Gradescope autograder zip")
    p.add_argument("assignment")
    p.add_argument("--out", type=Path, default=None, help="zip path (default out/gradescope/<assignment>.zip)")
    p.add_argument("--source-dir", type=Path, default=None, help="instructor sources (default solutions/<a>)")
    p.add_argument("--questions", type=Path, default=None, help=".py file registering the questions, bundled")
    args = p.parse_args(argv)
    try:
        path = build(args.assignment, args.out or OUT_DIR / "gradescope" / f"{args.assignment}.zip",
                     args.source_dir, args.questions)
    except FileNotFoundError as exc:
        print(f"autograder gradescope: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
    return 0
