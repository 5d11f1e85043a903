"""``discover(path, assignment, stems)``: every student's notebooks, from a folder or a zip.

Order of work: list entries with their sizes (nothing read), find each entry's
owner from the LMS key (:mod:`.layouts`), decide which notebook each file is
(:mod:`.naming`, or the instructor's ``mapping``), keep the latest attempt per
notebook, and only then read the chosen files, each capped at ``max_bytes``.
Everything that goes wrong with one file is a :class:`Problem` on that student;
only instructor-side errors (no such path, a bad mapping) raise :class:`IntakeError`.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import folder_names, layouts
from .entries import Entry, file_entry, folder_entries, zip_entries
from .model import (AMBIGUOUS, DUPLICATE, IDENTITY_COLLISION, MAX_NOTEBOOK_BYTES, NOT_OPENED, OLDER_ATTEMPT,
                    TOO_LARGE, UNREADABLE, IntakeError, Problem, Submission)
from .naming import IGNORE, is_notebook, match_name
from .notebooks import Notebooks
from .sources import TooLarge, Unreadable, hash_capped, read_capped

_ARCHIVES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar")
_METADATA_LIMIT = 16 << 20  # bytes of Gradescope's submission_metadata.yml we are willing to parse


@dataclass
class _Candidate:
    entry: Entry
    stem: str
    order: tuple


@dataclass
class _Student:
    owner: layouts.Owner
    candidates: list[_Candidate] = field(default_factory=list)
    problems: list[tuple[str, str, str, str]] = field(default_factory=list)  # (file, kind, message, other)
    paths: list[str] = field(default_factory=list)


def discover(path: Path, assignment: str, stems: list[str], *, mapping: dict[str, str] | None = None,
             max_bytes: int = MAX_NOTEBOOK_BYTES, one_student: bool = False) -> list[Submission]:
    """All submissions under ``path`` (an nbgrader course or ``submitted/`` folder, a flat folder, or a zip
    from Canvas / Moodle / Blackboard / Gradescope), sorted by ``Submission.student``.

    mapping: file (base name or path inside ``path``) -> notebook stem, or ``"-"`` to leave it out; it wins
        over the file's name. A mapping entry that matches no file is an :class:`IntakeError`.
    max_bytes: per-file limit; a bigger notebook is refused alone (a ``too_large`` problem), unread.
    one_student: every file under ``path`` is one student's (a Gradescope autograder's ``submission/``
        folder): one :class:`Submission` named ``student`` (none if there is no file), file names
        matched to notebooks by the usual rules, the latest attempt of each notebook graded.
    """
    path = Path(path)
    mapping = dict(mapping or {})
    bad = {f: s for f, s in mapping.items() if s != IGNORE and s not in stems}
    if bad:
        raise IntakeError(f"--map names notebooks this assignment does not have: {bad} (one of {', '.join(stems)})")

    def run(entries: list[Entry], nbgrader_root: bool = False, root: Path | None = None,
            zf: zipfile.ZipFile | None = None) -> list[Submission]:
        aliases = _aliases(root, path) if root is not None else (lambda e: ())
        return _discover(entries, assignment, stems, mapping, max_bytes, nbgrader_root, one_student, aliases, zf)

    if path.is_file() and is_notebook(path.name):
        return run([file_entry(path)], root=path.parent)
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise IntakeError(f"{path} is not a zip or a notebook; give a zip, a folder of notebooks or an "
                              f"nbgrader course")
        try:
            with zipfile.ZipFile(path) as zf:
                return run(list(zip_entries(zf, path)), zf=zf)
        except (zipfile.BadZipFile, OSError) as exc:
            raise IntakeError(f"{path}: cannot read the zip ({exc})") from None
    if not path.is_dir():
        raise IntakeError(f"{path} does not exist")
    if one_student:
        return run(list(folder_entries(path)), root=path)
    if (path / "submitted").is_dir():
        return run(list(folder_entries(path / "submitted")), True, root=path / "submitted")
    if path.name == "submitted":
        return run(list(folder_entries(path)), True, root=path)
    return run(list(folder_entries(path)), root=path)


def _aliases(root: Path, given: Path):
    """Other spellings of a folder entry an instructor may use in ``--map``: relative to the PATH they
    gave, and absolute."""
    def aliases(entry: Entry) -> tuple[str, ...]:
        full = root / entry.path
        out = [str(full), str(full.resolve())]
        try:
            out.append(full.relative_to(given).as_posix())
        except ValueError:
            pass
        return tuple(out)
    return aliases


def _discover(entries: list[Entry], assignment: str, stems: list[str], mapping: dict[str, str],
              max_bytes: int, nbgrader_root: bool, one_student: bool, aliases,
              zf: zipfile.ZipFile | None) -> list[Submission]:
    if one_student:
        pairs = [(e, layouts.Owner("single:student", "student", "", "single", e.name)) for e in entries]
    else:
        pairs = layouts.owners(entries, assignment, stems, nbgrader_root=nbgrader_root,
                               gradescope_names=_gradescope_names(entries, zf))
    students: dict[str, _Student] = {}
    used_map: set[str] = set()
    for entry, owner in pairs:
        archive = entry.name.casefold().endswith(_ARCHIVES)
        if not (entry.link or archive or is_notebook(entry.name)):
            continue  # PDFs, nbgrader's timestamp.txt, ...: not a submission, and nobody's identity
        st = students.setdefault(owner.key, _Student(owner))
        if entry.link or archive:
            what = "a link" if entry.link else "an archive"
            st.problems.append((entry.path, NOT_OPENED, f"{what}; the grader does not open it: hand in the "
                                                        f".ipynb file(s) themselves", ""))
            continue
        st.paths.append(entry.path)
        names = [k for k in (entry.path, entry.name, *aliases(entry)) if k in mapping]
        mapped = mapping[names[0]] if names else None
        used_map.update(names)
        if mapped == IGNORE:
            continue
        found = match_name(owner.filename or entry.name, stems)
        stem = mapped or (found.stem if found else (stems[0] if len(stems) == 1 else None))
        if stem is None:
            expect = ("<student>_<notebook>.ipynb" if owner.origin == "flat" else "<notebook>.ipynb")
            st.problems.append((entry.path, AMBIGUOUS, f"cannot tell which notebook this is: expected a file named "
                                f"{expect} with <notebook> one of {', '.join(stems)} (your instructor can assign "
                                f"it by hand); it was not graded", ""))
            continue
        st.candidates.append(_Candidate(entry, stem, owner.order + ((found.attempt if found else 0),)))
    unused = sorted(set(mapping) - used_map)
    if unused:
        raise IntakeError(f"--map names files that are not in the submissions: {', '.join(unused)}")
    labels = {k: s.owner.label for k, s in students.items()}
    folders, collisions = folder_names.unique_names(labels)
    for group in collisions:
        for k in group:
            others = [o for o in group if o != k]
            mine = (students[k].paths or [students[k].owner.filename])[0]
            theirs = ", ".join((students[o].paths or [students[o].owner.filename])[0] for o in others)
            students[k].problems.append((mine, IDENTITY_COLLISION, f"another submission's name also reads as "
                                         f"{folder_names.sanitise(labels[k])!r}; yours was graded on its own, as "
                                         f"{folders[k]!r}", theirs))
    subs = [_submission(folders[k], st, max_bytes, zf) for k, st in students.items()]
    return sorted(subs, key=lambda s: s.student)


def _submission(folder: str, st: _Student, max_bytes: int, zf: zipfile.ZipFile | None) -> Submission:
    notebooks = Notebooks()
    sub = Submission(folder, notebooks, origin=st.owner.origin, key=st.owner.key, name=st.owner.name)
    problems = list(st.problems)
    by_stem: dict[str, list[_Candidate]] = {}
    for c in st.candidates:
        by_stem.setdefault(c.stem, []).append(c)
    for stem, cands in sorted(by_stem.items()):
        cands.sort(key=lambda c: (c.order, c.entry.path))
        latest = cands[-1]
        ties = [c for c in cands if c.order == latest.order]
        if len(ties) > 1 and not _same_bytes(ties, max_bytes, zf):
            for c in ties:
                others = ", ".join(o.entry.path for o in ties if o is not c)
                problems.append((c.entry.path, DUPLICATE, f"a second file for notebook {stem} ({others}), neither "
                                 f"later than the other: neither was graded (your instructor can choose one)",
                                 others))
            continue
        for c in cands:
            if c.order < latest.order:
                problems.append((c.entry.path, OLDER_ATTEMPT, f"an earlier attempt of notebook {stem}; the latest, "
                                 f"{latest.entry.path}, was graded", latest.entry.path))
        try:
            notebooks.add_listed(stem, latest.entry.source, *_hash(latest.entry, max_bytes, zf), max_bytes)
            sub.files[stem] = latest.entry.path
        except TooLarge as exc:
            problems.append((latest.entry.path, TOO_LARGE, f"{_mib(exc.args[0])} is more than the "
                             f"{_mib(max_bytes)} limit for one notebook; it was not graded (clear the outputs "
                             f"and hand it in again)", ""))
        except Unreadable as exc:
            problems.append((latest.entry.path, UNREADABLE, f"could not be read ({exc}); it was not graded", ""))
    sub.problems = [Problem(folder, f, kind, msg, other) for f, kind, msg, other in problems]
    return sub


def _hash(entry: Entry, max_bytes: int, zf: zipfile.ZipFile | None) -> tuple[str, int]:
    """(sha256 hex, size): refused by its claimed size before it is opened, by its real size while read."""
    if entry.size > max_bytes:
        raise TooLarge(entry.size)
    return hash_capped(entry.source, max_bytes, zf)


def _same_bytes(cands: list[_Candidate], max_bytes: int, zf: zipfile.ZipFile | None) -> bool:
    if len({c.entry.size for c in cands}) > 1:
        return False  # told apart without reading anything
    try:
        return len({_hash(c.entry, max_bytes, zf) for c in cands}) == 1
    except (TooLarge, Unreadable):
        return False


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB"


def _gradescope_names(entries: list[Entry], zf: zipfile.ZipFile | None) -> dict[str, str]:
    """``submission_<id>`` -> the first submitter's name in ``submission_metadata.yml`` (empty if unreadable)."""
    meta = layouts.gradescope_metadata(entries)
    if meta is None:
        return {}
    try:
        import yaml

        data = yaml.safe_load(read_capped(meta.source, _METADATA_LIMIT, zf))
    except Exception:  # noqa: BLE001 - names are cosmetic; identity is the submission id
        return {}
    out = {}
    for folder, info in (data or {}).items() if isinstance(data, dict) else []:
        subs = info.get(":submitters") if isinstance(info, dict) else None
        if isinstance(subs, list) and subs and isinstance(subs[0], dict):
            out[str(folder)] = str(subs[0].get(":name") or subs[0].get(":sid") or "")
    return out
