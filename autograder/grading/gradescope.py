"""``autograder gradescope``: build the Gradescope autograder zip.

    autograder gradescope ASSIGNMENT [--out ZIP] [--data {bundle,download}] [--source-dir DIR] [--questions FILE]

The zip holds

* ``setup.sh``: installs the runtime-only requirement set ``requirements/runtime.txt``
  (torch from the PyTorch CPU index: Gradescope has no GPU; no docs, test or browser
  packages), the two packages, then checks the data files against ``data/SHA256SUMS``
  (``--data download``: downloads them first, checksums verified);
* ``run_autograder``: grades ``/autograder/submission`` into
  ``/autograder/results/results.json`` (incrementally) with ``autograder.grading.gs_run``,
  data read from the bundle only (``ARKIT_DATA_DIR=<source>/data``, ``ARKIT_NO_DOWNLOAD=1``);
* the grader package, the student package, the instructor sources of one assignment,
  and ``data/``: the real data files the assignment loads (:mod:`autograder.grading.bundle_data`;
  with ``--data bundle``, the default, copied from ``$ARKIT_DATA_DIR``; with ``--data
  download`` only their ``SHA256SUMS``).

Paths can be overridden with ``ARGRADE_SOURCE``, ``ARGRADE_SUBMISSION``,
``ARGRADE_RESULTS`` and ``ARGRADE_PYTHON`` (used by the tests).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import zipfile
from pathlib import Path

from autograder.grading import bundle_data
from autograder.paths import OUT_DIR, REPO_ROOT, SOLUTIONS_DIR

RUNTIME_REQUIREMENTS = REPO_ROOT / "requirements" / "runtime.txt"
# Gradescope's machines have no GPU: the CPU build of torch (much smaller than the CUDA one).
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when the image is built: runtime dependencies only.
set -euo pipefail
cd /autograder/source
python3 -m pip install -q --index-url {torch_index} "$(grep -E '^torch==' requirements/runtime.txt)"
python3 -m pip install -q -r requirements/runtime.txt
python3 -m pip install -q --no-deps -e ./arkit -e .
{fetch}python3 -m autograder.grading.bundle_data verify data
"""
FETCH = "python3 -m autograder.grading.bundle_data fetch data  # downloads, checksums verified\n"

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this per submission. It writes results.json before grading
# starts and after every question, so a global timeout never loses finished work.
set -uo pipefail
SOURCE="${{ARGRADE_SOURCE:-/autograder/source}}"
export PYTHONPATH="$SOURCE:$SOURCE/arkit/src${{PYTHONPATH:+:$PYTHONPATH}}"
export MPLBACKEND=Agg PYTHONHASHSEED=0
# Data only from the bundle (setup.sh checked it); grading never downloads.
export ARKIT_DATA_DIR="$SOURCE/data" ARKIT_NO_DOWNLOAD=1
exec "${{ARGRADE_PYTHON:-python3}}" -m autograder.grading.gs_run --assignment {assignment} \\
  --source-dir "$SOURCE/solutions/{assignment}" \\
  --submission "${{ARGRADE_SUBMISSION:-/autograder/submission}}" \\
  --results "${{ARGRADE_RESULTS:-/autograder/results/results.json}}" {questions}"$@"
"""

# build products (an in-tree wheel build leaves arkit/build/) never go into the bundle
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".pytest_cache", "build", "dist")


DATA_MODES = ("bundle", "download")


def build(assignment: str, dest: Path, source_dir: Path | None = None, questions: Path | None = None,
          data: str = "bundle", data_dir=None) -> Path:
    """Write the zip to ``dest`` and return its path.

    ``data="bundle"`` copies the data files the assignment needs (found via ``data_dir`` or
    ``ARKIT_DATA_DIR``; a missing one raises ``DataNotFoundError``); ``"download"`` ships only
    their ``SHA256SUMS`` and ``setup.sh`` downloads them.
    """
    if data not in DATA_MODES:
        raise ValueError(f"data={data!r}: use one of {DATA_MODES}")
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
        (staging / "requirements").mkdir()
        shutil.copy2(RUNTIME_REQUIREMENTS, staging / "requirements" / "runtime.txt")
        shutil.copy2(REPO_ROOT / "pyproject.toml", staging / "pyproject.toml")
        shutil.copytree(source_dir, staging / "solutions" / assignment, ignore=_SKIP)
        qarg = ""
        if questions:
            shutil.copy2(questions, staging / "solutions" / f"{assignment}_questions.py")
            qarg = f'--questions "$SOURCE/solutions/{assignment}_questions.py" '
        specs = bundle_data.needed_files(bundle_data.datasets_used(
            assignment, source_dir, [Path(questions)] if questions else []))
        if data == "bundle":
            bundle_data.copy_into(specs, staging / "data", data_dir)
        else:
            (staging / "data").mkdir()
            (staging / "data" / bundle_data.SUMS).write_text(bundle_data.sha256sums(specs))
        (staging / "setup.sh").write_text(SETUP_SH.format(torch_index=TORCH_INDEX,
                                                          fetch=FETCH if data == "download" else ""))
        (staging / "run_autograder").write_text(RUN_AUTOGRADER.format(assignment=assignment, questions=qarg))
        tmp = dest.with_suffix(".zip.part")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(staging.rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo(str(path.relative_to(staging)), date_time=(2024, 1, 1, 0, 0, 0))
                    executable = path.name in ("setup.sh", "run_autograder")
                    info.external_attr = (0o755 if executable else 0o644) << 16
                    # data files are gzipped already: stored, not compressed again
                    info.compress_type = zipfile.ZIP_STORED if path.suffix == ".gz" else zipfile.ZIP_DEFLATED
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
    p.add_argument("--data", choices=DATA_MODES, default="bundle",
                   help="bundle the data files (from $ARKIT_DATA_DIR; default) or download them in setup.sh")
    args = p.parse_args(argv)
    from arkit.data.errors import DataNotFoundError

    try:
        path = build(args.assignment, args.out or OUT_DIR / "gradescope" / f"{args.assignment}.zip",
                     args.source_dir, args.questions, data=args.data)
    except DataNotFoundError as exc:
        print(f"autograder gradescope: a data file to bundle is missing ({exc})\n"
              "Set ARKIT_DATA_DIR to the folder that holds it, or build with --data download.", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"autograder gradescope: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
    return 0
