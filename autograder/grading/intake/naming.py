"""Which notebook a file is, from its (student-chosen) name; and the instructor's ``--map``.

Rules, in order, case-insensitive, on the name without ``.ipynb``:

1. the name is a notebook stem, or ends with one after a separator (``_``, ``-``,
   ``.``, space): ``02_made``, ``02_MADE``, ``hw1_02_made``, ``Erin Doe - 02_made``;
   the stem's own separators may be any of these (``02 made``, ``02-made``);
   what comes before is the *prefix* (the student, in a flat folder);
2. otherwise, the same after removing one resubmission / duplicate marker:
   ``02_made-1`` (Canvas re-upload), ``02_made (1)`` / ``02_made(2)`` (browser
   duplicate); the number is the attempt, and a higher attempt is later.

Longer stems are tried first, so ``02_made`` wins over ``made`` when both exist.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .model import IntakeError

SUFFIX = ".ipynb"
_SEP_RUN = r"[\s_.-]+"
_MARKER = re.compile(r"^(?P<base>.*?)(?:\s*\((?P<dup>\d{1,4})\)|-(?P<resub>\d{1,4}))$")
IGNORE = "-"  # ``--map FILE=-``: leave this file out
MAX_NAME = 255  # longer names (a zip allows 65535) are never matched: no regex runs on them


@dataclass(frozen=True)
class NameMatch:
    prefix: str    # what precedes the stem ("" when the name is just the stem)
    stem: str      # the notebook stem, spelled as the assignment spells it
    attempt: int   # 0, or the number of a "-N" / "(N)" marker (higher is later)


def is_notebook(name: str) -> bool:
    return name.casefold().endswith(SUFFIX) and len(name) > len(SUFFIX)


def notebook_base(name: str) -> str:
    """The file name without ``.ipynb`` (any case), outer spaces removed."""
    return name[: -len(SUFFIX)].strip()


def match_name(name: str, stems: list[str]) -> NameMatch | None:
    """The notebook a file name denotes, or None when the name does not say."""
    base = notebook_base(name)
    if len(base) > MAX_NAME:
        return None
    tries = [(base, 0)]
    marker = _MARKER.match(base)
    if marker and marker.group("base").strip():
        tries.append((marker.group("base").strip(), int(marker.group("dup") or marker.group("resub"))))
    for text, attempt in tries:
        for stem in sorted(stems, key=len, reverse=True):
            m = _stem_at_end(stem).search(text)
            if m:
                return NameMatch(text[: m.start()].strip(), stem, attempt)
    return None


def _stem_at_end(stem: str) -> re.Pattern:
    """The stem at the end of a name, after a separator or alone; its own separators may be any of
    ``_ - . space`` (``01 basics`` and ``01-basics`` are ``01_basics``)."""
    words = [re.escape(w) for w in re.split(_SEP_RUN, stem) if w]
    return re.compile(r"(?:^|" + _SEP_RUN + r")" + _SEP_RUN.join(words) + r"$", re.IGNORECASE)


def split_attempt(base: str) -> tuple[str, int]:
    """``"carol-1"`` -> ``("carol", 1)``; a name without a marker -> ``(name, 0)``."""
    if len(base) > MAX_NAME:
        return base, 0
    marker = _MARKER.match(base)
    if marker and marker.group("base").strip():
        return marker.group("base").strip(), int(marker.group("dup") or marker.group("resub"))
    return base, 0


def parse_map_args(items: list[str] | None, stems: list[str] | None = None) -> dict[str, str]:
    """``["Erin Doe - final.ipynb=02_made", "junk.ipynb=-"]`` -> ``{file: stem}``.

    The file is a base name or a path inside the submissions folder / zip; ``-``
    as the notebook leaves the file out. With ``stems``, an unknown notebook is an
    :class:`IntakeError` naming the choices.
    """
    out: dict[str, str] = {}
    for item in items or []:
        file, sep, stem = item.rpartition("=")
        file, stem = file.strip(), stem.strip()
        if not sep or not file or not stem:
            raise IntakeError(f"--map expects FILE=NOTEBOOK (e.g. 'Erin Doe - final.ipynb=02_made'), got {item!r}")
        if stems is not None and stem != IGNORE and stem not in stems:
            raise IntakeError(f"--map {item!r}: {stem!r} is not a notebook of this assignment "
                              f"(one of {', '.join(stems)}, or '-' to leave the file out)")
        if out.get(file, stem) != stem:
            raise IntakeError(f"--map gives {file!r} twice, as {out[file]!r} and {stem!r}")
        out[file] = stem
    return out
