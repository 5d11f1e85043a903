"""What intake hands to grading: :class:`Submission` (one student's notebooks) and :class:`Problem`.

Identity is the LMS's own key (``Submission.key``, e.g. ``"canvas:1234"``); the
``student`` field is the output-folder name derived from it, unique within one
run (see :mod:`.folder_names`). Intake hashes every chosen notebook; grading reads
it again and gets exactly those bytes or an error (:mod:`.notebooks`), so the
content hash and what is graded are the same thing.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

#: Largest notebook intake reads, in bytes (64 MiB). Bigger files are refused alone, unread.
MAX_NOTEBOOK_BYTES = 64 << 20

# Problem.kind values
TOO_LARGE = "too_large"              # the file is bigger than the per-file limit; not read
UNREADABLE = "unreadable"            # the zip member could not be decompressed (corrupt / lying header)
AMBIGUOUS = "ambiguous_notebook"     # the file name does not say which notebook it is
DUPLICATE = "duplicate"              # two files for one notebook, neither later than the other
OLDER_ATTEMPT = "older_attempt"      # an earlier attempt of a notebook; the latest one was graded
IDENTITY_COLLISION = "identity_collision"  # two students' names sanitise to the same folder name
NOT_OPENED = "not_opened"            # an archive or link inside a submission; intake does not open it
KINDS = (TOO_LARGE, UNREADABLE, AMBIGUOUS, DUPLICATE, OLDER_ATTEMPT, IDENTITY_COLLISION, NOT_OPENED)


class IntakeError(ValueError):
    """An instructor-side input error (no such path, a bad ``--map``): one line, no traceback needed."""


@dataclass(frozen=True, eq=False)
class Problem(str):
    """One thing intake noticed about one file of one student.

    A ``str`` subclass so older code that joins notes keeps working: ``str(p)`` is
    the student-facing line ``"<file>: <message>"``. ``other`` names a second file
    involved (a collision) and is for the instructor only (it may name another
    student): :meth:`for_instructor`.
    """

    student: str
    file: str
    kind: str
    message: str
    other: str = ""

    def __new__(cls, student: str, file: str, kind: str, message: str, other: str = ""):
        if kind not in KINDS:
            raise ValueError(f"unknown problem kind {kind!r}")
        return super().__new__(cls, f"{file}: {message}" if file else message)

    def __reduce__(self):  # pickles (process pools) rebuild it from its fields, not from the text
        return (Problem, (self.student, self.file, self.kind, self.message, self.other))

    def for_instructor(self) -> str:
        """The line for the instructor's console: student, file, message, and the other file involved."""
        tail = f" [other file: {self.other}]" if self.other else ""
        return f"{self.student}: {self}{tail}"

    def to_dict(self) -> dict:
        return {"student": self.student, "file": self.file, "kind": self.kind, "message": self.message,
                "other": self.other}


@dataclass
class Submission:
    """One student's notebooks.

    student: output-folder name, unique in the run (sanitised LMS name, plus a short
        hash of ``key`` when sanitising changed it or two names collided);
    notebooks: notebook stem (``"02_made"``) -> the file's bytes (from ``discover``: a
        :class:`~.notebooks.Notebooks` that reads each file when asked, capped, and checks it is what
        intake hashed; a plain dict works too);
    origin: the layout it came from (``"canvas"``, ``"moodle"``, ...);
    problems: what intake noticed (:class:`Problem`, also usable as strings);
    key: the LMS's own identity key (``"canvas:<user id>"``, ``"moodle:<participant id>"``, ...);
    name: the human-readable name the LMS gave (may be empty);
    files: notebook stem -> the path (inside the zip/folder) of the file that was used.
    """

    student: str
    notebooks: dict[str, bytes] = field(default_factory=dict)
    origin: str = ""
    problems: list[Problem] = field(default_factory=list)
    key: str = ""
    name: str = ""
    files: dict[str, str] = field(default_factory=dict)

    def digest(self) -> str:
        """sha256 hex of the student id and every notebook's bytes (the grading cache key part)."""
        h = hashlib.sha256(self.student.encode())
        for stem in sorted(self.notebooks):
            if hasattr(self.notebooks, "sha256"):  # listed by intake: hashed there, not read again
                sha = bytes.fromhex(self.notebooks.sha256(stem))
            else:
                sha = hashlib.sha256(self.notebooks[stem]).digest()
            h.update(stem.encode() + b"\0" + sha)
        return h.hexdigest()
