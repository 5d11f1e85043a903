"""Tiny LMS exports built in a test: each file is (path inside the export, bytes).

The paths follow what the LMSs write (see docs/submissions.md); the bytes are
short markers, not real notebooks (intake never parses notebooks).
"""
from __future__ import annotations

import zipfile
from pathlib import Path

STEMS = ["01_basics", "02_made"]


def nb(marker: str) -> bytes:
    """A recognisable stand-in for a notebook's bytes."""
    return b'{"cells": [], "marker": "' + marker.encode() + b'"}'


def make_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def make_folder(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def canvas(name: str, uid: int, sub: int, file: str, late: bool = False) -> str:
    return f"{name}{'_LATE' if late else ''}_{uid}_{sub}_{file}"


def moodle(full_name: str, pid: int, file: str) -> str:
    return f"{full_name}_{pid}_assignsubmission_file_/{file}"


def blackboard(assignment: str, user: str, when: str, file: str | None) -> str:
    return f"{assignment}_{user}_attempt_{when}" + (f"_{file}" if file else ".txt")


GRADESCOPE_META = """\
submission_111:
  :submitters:
  - :name: Ann Lee
    :sid: '9001'
    :email: ann@example.edu
  :created_at: 2026-11-30 10:00:00.000000000 -08:00
submission_222:
  :submitters:
  - :name: Ann Lee
    :sid: '9002'
    :email: ann.lee@example.edu
  :created_at: 2026-11-30 11:00:00.000000000 -08:00
"""
