"""Whose file is this: the owner of every entry, from the LMS's own key.

Identity is read from the *first* path component the LMS wrote (or the
nbgrader ``submitted/<student>/`` folder), never from anything deeper, which is
the student's own upload: a Moodle folder holding ``submitted/<Other>/...`` is
still that Moodle participant's. See ``docs/submissions.md`` for the table.

=============  ==========================================================  ========================
layout         path (relative to the folder / zip root)                    key
=============  ==========================================================  ========================
nbgrader       ``submitted/<student>/<assignment>/<file>``                 ``nbgrader:<student>``
gradescope     ``[<export>/]submission_metadata.yml`` +                    ``gradescope:<id>``
               ``[<export>/]submission_<id>/<file>``
moodle         ``<Full Name>_<participant id>_assignsubmission_file_/...``  ``moodle:<participant id>``
               (or the same prefix on each file, without folders)
canvas         ``<name>[_LATE]_<user id>_<submission id>_<file>``          ``canvas:<user id>``
blackboard     ``<Assignment>_<username>_attempt_<YYYY-MM-DD-hh-mm-ss>_<file>``  ``blackboard:<username>``
folder         ``<student>/.../<file>`` (any other top folder)             ``folder:<student>``
flat           ``<prefix><sep><notebook>.ipynb`` at the root               ``flat:<prefix>``
=============  ==========================================================  ========================
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from .entries import Entry
from .naming import is_notebook, match_name, notebook_base, split_attempt

CANVAS = re.compile(r"^(?P<name>[^_]*?)(?P<late>_(?:LATE|late))?_(?P<uid>[1-9]\d*)_(?P<sub>[1-9]\d*)_(?P<file>.+)$")
# Where a student controls part of a name, the LMS's part is read from the side the student cannot reach:
# Moodle's participant id is the *last* number before the suffix (the full name is the student's profile),
# Blackboard's username the *first* "_<user>_attempt_<time>" (the file name after it is the student's).
MOODLE = re.compile(r"^(?P<who>.+)_(?P<pid>\d+)_assignsubmission_[a-z]+_?$")
# Moodle without folders: "<Full Name>_<pid>_assignsubmission_file_<file>"; both ends are the student's, so
# it is read only when the marker occurs exactly once (otherwise the file falls back to the flat layout).
MOODLE_FILE_MARK = re.compile(r"_(?P<pid>\d+)_assignsubmission_[a-z]+_")
BLACKBOARD = re.compile(r"^(?P<assign>.+?)_(?P<user>[^_]+)_attempt_"
                        r"(?P<when>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})(?:_(?P<file>.+))?$")
GRADESCOPE_DIR = re.compile(r"^submission_(?P<id>\d+)$")
GRADESCOPE_META = "submission_metadata.yml"
UNNAMED = "unnamed"


@dataclass(frozen=True)
class Owner:
    """Who an entry belongs to and what the student called the file."""

    key: str                 # the LMS key, "<layout>:<id>"
    label: str               # what the output folder name is made from
    name: str                # the LMS's human-readable name ("" if none)
    origin: str              # layout name
    filename: str            # the student's own file name (LMS prefixes removed)
    order: tuple = ()        # LMS attempt order (Canvas submission id, Blackboard time); later is larger


def owners(entries: Iterable[Entry], assignment: str, stems: list[str], *, nbgrader_root: bool = False,
           gradescope_names: dict[str, str] | None = None) -> list[tuple[Entry, Owner]]:
    """(entry, owner) for every entry that belongs to a student; the rest is not a submission.

    ``nbgrader_root``: the entries are relative to an nbgrader ``submitted/`` folder.
    """
    entries = list(entries)
    if nbgrader_root:
        return [(e, o) for e in entries if (o := _nbgrader(e.parts, assignment)) is not None]
    base = _gradescope_base(entries)
    if base is not None:
        return [(e, o) for e in entries
                if (o := _gradescope(e.parts[len(base):], gradescope_names or {})) is not None
                and e.parts[: len(base)] == base]
    base = _nbgrader_base(entries)
    if base is not None:
        return [(e, o) for e in entries
                if e.parts[len(base): len(base) + 1] == ("submitted",) and e.parts[: len(base)] == base
                and (o := _nbgrader(e.parts[len(base) + 1:], assignment)) is not None]
    return [(e, _by_first_component(e.parts, stems)) for e in entries]


def _gradescope_base(entries: list[Entry]) -> tuple[str, ...] | None:
    meta = gradescope_metadata(entries)
    return None if meta is None else meta.parts[:-1]


def gradescope_metadata(entries: list[Entry]) -> Entry | None:
    """``submission_metadata.yml`` at the root, or in the one top folder that holds everything (the export's
    own folder). One inside a student's folder (a Moodle upload, say) does not make the class a Gradescope
    export."""
    for e in entries:
        if e.name == GRADESCOPE_META and len(e.parts) == 1:
            return e
    tops = {e.parts[0] for e in entries}
    if len(tops) == 1 and all(len(e.parts) > 1 for e in entries) and not _student_folder(next(iter(tops))):
        return next((e for e in entries if e.name == GRADESCOPE_META and len(e.parts) == 2), None)
    return None


def _student_folder(name: str) -> bool:
    """A top folder an LMS names after one student or submission."""
    return bool(MOODLE.match(name) or GRADESCOPE_DIR.match(name))


def _nbgrader_base(entries: list[Entry]) -> tuple[str, ...] | None:
    """``()`` for ``submitted/`` at the root, ``(top,)`` for ``<top>/submitted/`` when top is no LMS folder."""
    if any(e.parts[0] == "submitted" and len(e.parts) > 1 for e in entries):
        return ()
    tops = {e.parts[0] for e in entries if len(e.parts) > 1}
    if len(tops) == 1 and all(len(e.parts) > 1 for e in entries):
        top = next(iter(tops))
        if not _student_folder(top) and any(e.parts[1] == "submitted" for e in entries):
            return (top,)
    return None


def _nbgrader(parts: tuple[str, ...], assignment: str) -> Owner | None:
    """``parts`` relative to the ``submitted/`` folder: ``<student>/<assignment>/.../<file>``."""
    if len(parts) < 3 or parts[1] != assignment:
        return None  # files of other assignments, or loose files in submitted/
    return Owner(f"nbgrader:{parts[0]}", parts[0], parts[0], "nbgrader", parts[-1])


def _gradescope(parts: tuple[str, ...], names: dict[str, str]) -> Owner | None:
    m = GRADESCOPE_DIR.match(parts[0]) if len(parts) >= 2 else None
    if m is None:
        return None
    sid = m.group("id")
    name = names.get(parts[0], "")
    return Owner(f"gradescope:{sid}", f"{name}_{sid}" if name else parts[0], name, "gradescope", parts[-1])


def _by_first_component(parts: tuple[str, ...], stems: list[str]) -> Owner:
    top = parts[0]
    if len(parts) >= 2:
        m = MOODLE.match(top)
        if m:
            who, pid = m.group("who").strip(), m.group("pid")
            return Owner(f"moodle:{pid}", f"{who}_{pid}", who, "moodle", parts[-1])
        m = GRADESCOPE_DIR.match(top)
        if m:
            return Owner(f"gradescope:{m.group('id')}", top, "", "gradescope", parts[-1])
        return Owner(f"folder:{top}", top, top, "folder", parts[-1])
    # Canvas and Blackboard first: their LMS part starts the name, in a shape no Moodle name has
    m = CANVAS.match(top)
    if m:
        uid, name = m.group("uid"), m.group("name")
        return Owner(f"canvas:{uid}", f"{name or 'canvas'}_{uid}", name, "canvas", m.group("file"),
                     (int(m.group("sub")),))
    m = BLACKBOARD.match(top)
    if m:
        user = m.group("user")
        return Owner(f"blackboard:{user}", user, user, "blackboard", m.group("file") or "", (m.group("when"),))
    marks = list(MOODLE_FILE_MARK.finditer(top))
    if len(marks) == 1 and marks[0].start() > 0 and marks[0].end() < len(top):
        who, pid = top[: marks[0].start()].strip(), marks[0].group("pid")
        return Owner(f"moodle:{pid}", f"{who}_{pid}", who, "moodle", top[marks[0].end():])
    return _flat(top, stems)


def _flat(name: str, stems: list[str]) -> Owner:
    """One student per file-name prefix: ``alice_02_made.ipynb`` is alice's; ``carol.ipynb`` (one-notebook
    assignments, or an unrecognised name) is carol's; a bare ``02_made.ipynb`` is the student ``unnamed``."""
    if not is_notebook(name):
        prefix = name
    else:
        found = match_name(name, stems)
        prefix = found.prefix if found else split_attempt(notebook_base(name))[0]
    return Owner(f"flat:{prefix}", prefix or UNNAMED, prefix, "flat", name)
