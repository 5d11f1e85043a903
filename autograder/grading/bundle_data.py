"""The real data files an assignment's grading needs, for the Gradescope bundle.

:func:`needed_files` lists the :class:`arkit.data.files.FileSpec` of every file
behind the datasets the assignment loads (named in its instructor sources, its
question modules or its calibration file); procedural datasets need none.
:func:`copy_into` puts verified copies into a bundle (``<dest>/<folder>/<name>.gz``,
the layout ``ARKIT_DATA_DIR`` expects) and :func:`sha256sums` writes the
``SHA256SUMS`` list shipped with it. The command line runs at image-build time::

    python3 -m autograder.grading.bundle_data verify DEST   # bundled files match their sha256
    python3 -m autograder.grading.bundle_data fetch DEST    # download them (with checksums) instead

``verify`` and ``fetch`` read the list from ``DEST/SHA256SUMS``.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

from autograder.paths import REPO_ROOT

# The MNIST-derived sets read these files (train/valid from one pair, the held-out split from the other).
_MNIST = (("train", "images"), ("train", "labels"), ("t10k", "images"), ("t10k", "labels"))
_BINARIZED = (("binarized", "train"), ("binarized", "valid"), ("binarized", "heldout"))
DATASET_FILES = {"mnist_binary": _MNIST, "mnist_gray": _MNIST, "mnist_color": _MNIST,
                 "binarized_mnist": _BINARIZED}
_NAMED = re.compile(r"load_(?:dataset|heldout)\(\s*['\"]([A-Za-z0-9_]+)['\"]")
SUMS = "SHA256SUMS"


def datasets_used(assignment: str, source_dir: Path, extra: list[Path] = ()) -> set[str]:
    """Dataset names in ``load_dataset``/``load_heldout`` calls of the sources, the question
    modules ``autograder/assignments/<assignment>/*.py``, ``extra`` files, and the calibration file."""
    files = sorted(Path(source_dir).glob("*.py")) + list(extra)
    files += sorted((REPO_ROOT / "autograder" / "assignments" / assignment).glob("*.py"))
    names = {n for f in files for n in _NAMED.findall(f.read_text(encoding="utf-8"))}
    calibration = REPO_ROOT / "autograder" / "calibration" / f"{assignment}.json"
    if calibration.is_file():
        for per_dataset in json.loads(calibration.read_text()).get("questions", {}).values():
            names |= set(per_dataset)
    return names


def needed_files(datasets: set[str]):
    """The FileSpecs behind ``datasets`` (each once, in a fixed order)."""
    from arkit.data.mnist import FILES

    keys = []
    for name in sorted(datasets):
        keys += [k for k in DATASET_FILES.get(name, ()) if k not in keys]
    return [FILES[k] for k in keys]


def bundle_name(spec) -> str:
    """Path of ``spec`` inside the bundle's data folder (the gzipped file, as published)."""
    return f"{spec.folder}/{spec.name}.gz" if spec.sha256_gz else f"{spec.folder}/{spec.name}"


def sha256sums(specs) -> str:
    """``sha256sum``-format lines (``<sha256>  <folder>/<file>``) of the files as bundled."""
    return "".join(f"{s.sha256_gz or s.sha256_raw}  {bundle_name(s)}\n" for s in specs)


def copy_into(specs, dest: Path, data_dir=None) -> list[Path]:
    """Copy verified ``specs`` (found via ``data_dir`` / ``ARKIT_DATA_DIR``, never downloaded
    here) to ``dest``; write ``dest/SHA256SUMS``. Raises ``DataNotFoundError`` naming what is missing."""
    import os

    from arkit.data.files import resolve

    dest = Path(dest)
    out = []
    old = os.environ.get("ARKIT_NO_DOWNLOAD")
    os.environ["ARKIT_NO_DOWNLOAD"] = "1"  # building a bundle must not fetch 10 MB behind the user's back
    try:
        for spec in specs:
            found = resolve(spec, data_dir)
            if not str(found).endswith(".gz") and spec.sha256_gz:
                target = dest / spec.folder / spec.name  # only the raw file is at hand: bundle that
            else:
                target = dest / bundle_name(spec)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(found, target)
            out.append(target)
    finally:
        if old is None:
            os.environ.pop("ARKIT_NO_DOWNLOAD", None)
        else:
            os.environ["ARKIT_NO_DOWNLOAD"] = old
    dest.mkdir(parents=True, exist_ok=True)
    lines = []
    for spec, target in zip(specs, out):
        rel = target.relative_to(dest).as_posix()
        lines.append(f"{spec.expected_sha256(target)}  {rel}\n")
    (dest / SUMS).write_text("".join(lines))
    return out


def _listed(dest: Path) -> list[tuple[str, str]]:
    path = Path(dest) / SUMS
    return [tuple(line.split(None, 1)) for line in path.read_text().splitlines() if line.strip()]


def verify(dest: Path) -> list[str]:
    """Problems with the files listed in ``dest/SHA256SUMS`` (missing or wrong sha256; empty: all good)."""
    from arkit.data.files import sha256_file

    problems = []
    for digest, rel in _listed(dest):
        path = Path(dest) / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif sha256_file(path) != digest:
            problems.append(f"{rel}: sha256 {sha256_file(path)}, expected {digest}")
    return problems


def fetch(dest: Path) -> list[str]:
    """Download every file listed in ``dest/SHA256SUMS`` into ``dest`` (checksums verified by
    ``arkit.data``); return problems (empty: all there)."""
    from arkit.data.files import resolve
    from arkit.data.mnist import FILES

    by_rel = {bundle_name(s): s for s in FILES.values()}
    problems = []
    for _digest, rel in _listed(dest):
        spec = by_rel.get(rel)
        if spec is None:
            problems.append(f"{rel}: not a known data file")
            continue
        found = resolve(spec, data_dir=dest)
        target = Path(dest) / rel
        if found.resolve() != target.resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(found, target)
    return problems + verify(dest)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bundle_data", description=__doc__.split("\n\n")[0])
    p.add_argument("action", choices=("verify", "fetch"))
    p.add_argument("dest", type=Path)
    args = p.parse_args(argv)
    problems = verify(args.dest) if args.action == "verify" else fetch(args.dest)
    for line in problems:
        print(f"bundle_data {args.action}: {line}", file=sys.stderr)
    if not problems:
        print(f"bundle_data {args.action}: {len(_listed(args.dest))} data file(s) in {args.dest} match SHA256SUMS")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
