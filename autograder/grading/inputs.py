"""Find the submissions to grade: nbgrader layout, a flat folder, or an LMS zip.

A :class:`Submission` is a student id plus the raw bytes of each notebook,
keyed by notebook stem (``"01_basics"``); bytes are read once here, so the
content hash and what is graded are the same thing.

* nbgrader: ``<root>/submitted/<student>/<assignment>/*.ipynb`` (or ``<root>``
  being the ``submitted`` folder itself);
* flat folder: ``<student>[_-]<stem>.ipynb`` for multi-notebook assignments,
  ``<student>.ipynb`` when the assignment has one notebook;
* zip (Canvas ``name_[LATE_]uid_subid_file.ipynb`` or Moodle
  ``Full Name_uid_assignsubmission_file_/file.ipynb``, or any of the above).
"""
from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_NOTEBOOK_BYTES = 64 << 20
_CANVAS = re.compile(r"^(?P<name>[A-Za-z0-9]+)(?:_LATE)?_(?P<uid>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
_MOODLE = re.compile(r"^(?P<who>.+?)_(?P<uid>\d+)_assignsubmission_file_?$")


@dataclass
class Submission:
    student: str
    notebooks: dict[str, bytes] = field(default_factory=dict)
    origin: str = ""
    problems: list[str] = field(default_factory=list)

    def digest(self) -> str:
        h = hashlib.sha256(self.student.encode())
        for stem in sorted(self.notebooks):
            h.update(stem.encode() + b"\0" + hashlib.sha256(self.notebooks[stem]).digest())
        return h.hexdigest()


def _safe_id(text: str) -> str:
    out = re.sub(r"[^A-Za-z0-9_.@-]+", "_", text).strip("._")
    return out or "unknown"


def _match_stem(name: str, stems: list[str]) -> tuple[str, str] | None:
    """(student, stem) if the file name ends with a known notebook stem."""
    base = name[:-len(".ipynb")]
    for stem in sorted(stems, key=len, reverse=True):
        for sep in ("_", "-", "__", "."):
            if base.endswith(sep + stem):
                return base[: -len(stem) - len(sep)], stem
        if base == stem:
            return None
    return None


def _add(subs: dict[str, Submission], student: str, stem: str | None, data: bytes, origin: str, stems) -> None:
    sub = subs.setdefault(student, Submission(student, origin=origin))
    if len(data) > MAX_NOTEBOOK_BYTES:
        sub.problems.append(f"{origin}: larger than {MAX_NOTEBOOK_BYTES >> 20} MiB, not graded")
        return
    if stem is None:
        if len(stems) != 1:
            sub.problems.append(f"{origin}: cannot tell which notebook this is (name it <student>_<notebook>.ipynb "
                                f"with notebook one of {', '.join(stems)})")
            return
        stem = stems[0]
    if stem in sub.notebooks:
        sub.problems.append(f"{origin}: a second file for notebook {stem} (the first one was graded)")
        return
    sub.notebooks[stem] = data


def _from_files(files: list[tuple[str, str | None, bytes]], stems: list[str]) -> list[Submission]:
    """files: (relative path, folder-derived student or None, bytes)."""
    subs: dict[str, Submission] = {}
    for rel, folder_student, data in sorted(files, key=lambda f: f[0]):
        name = Path(rel).name
        if folder_student is not None:
            found = _match_stem(name, stems)
            stem = Path(name).stem if Path(name).stem in stems else (found[1] if found else None)
            _add(subs, _safe_id(folder_student), stem, data, rel, stems)
            continue
        canvas = _CANVAS.match(name)
        if canvas:
            name = canvas.group("file")
            student = canvas.group("name")
        else:
            student = None
        found = _match_stem(name, stems)
        if found:
            student = student or found[0]
            _add(subs, _safe_id(student), found[1], data, rel, stems)
        elif Path(name).stem in stems and student:
            _add(subs, _safe_id(student), Path(name).stem, data, rel, stems)
        else:
            _add(subs, _safe_id(student or Path(name).stem), None, data, rel, stems)
    return list(subs.values())


def discover(path: Path, assignment: str, stems: list[str]) -> list[Submission]:
    """All submissions under ``path`` (folder or zip), sorted by student id."""
    path = Path(path)
    if path.is_file() and zipfile.is_zipfile(path):
        subs = _from_zip(path, stems)
    elif (path / "submitted").is_dir() or (path.name == "submitted" and path.is_dir()):
        sub_root = path / "submitted" if (path / "submitted").is_dir() else path
        files = [(str(nb.relative_to(sub_root)), student_dir.name, nb.read_bytes())
                 for student_dir in sorted(sub_root.iterdir()) if student_dir.is_dir()
                 for nb in sorted((student_dir / assignment).glob("*.ipynb"))]
        subs = _from_files(files, stems)
    elif path.is_dir():
        files = [(nb.name, None, nb.read_bytes()) for nb in sorted(path.glob("*.ipynb"))]
        subs = _from_files(files, stems)
    else:
        raise FileNotFoundError(f"{path} is neither a folder of notebooks, an nbgrader course nor a zip")
    return sorted(subs, key=lambda s: s.student)


def _from_zip(path: Path, stems: list[str], max_total: int = 2 << 30) -> list[Submission]:
    files, total = [], 0
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            name = info.filename
            if info.is_dir() or not name.endswith(".ipynb") or "__MACOSX" in name or Path(name).name.startswith("."):
                continue
            parts = Path(name).parts
            if any(p in ("..", "") for p in parts) or name.startswith("/"):
                continue  # zip-slip style names are ignored, never extracted
            total += info.file_size
            if total > max_total or info.file_size > MAX_NOTEBOOK_BYTES:
                raise ValueError(f"{path}: the zip holds more than {max_total >> 20} MiB of notebooks")
            data = zf.read(info)
            folder = None
            if len(parts) >= 2:
                moodle = _MOODLE.match(parts[-2])
                folder = f"{moodle.group('who')}_{moodle.group('uid')}" if moodle else parts[-2]
                if "submitted" in parts:  # an nbgrader course zipped up: submitted/<student>/<assignment>/
                    i = parts.index("submitted")
                    folder = parts[i + 1] if len(parts) > i + 2 else folder
            files.append((name, folder, data))
    return _from_files(files, stems)
