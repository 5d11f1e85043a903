"""Output-folder names for students: readable, filesystem-safe and never shared.

``sanitise(label)`` keeps ``[A-Za-z0-9_.@-]`` and turns every other run of
characters into ``_``. When two students' sanitised names are equal ignoring case
(``victim_b`` and ``victim_b!``; ``Alice`` and ``alice``), every one of them gets
a short hash of its LMS key appended (``victim_b-3f2a9c1e0d``) and the collision
is reported. Two different keys never get one name:
a collision group is re-hashed until every name is unique (a name crafted to look
like someone else's hashed name is hashed too). A name that looks like a file the
grader writes beside the student folders (``grades.csv``, ``gradebook.db``) is
hashed as well, so no student folder can take its place.
"""
from __future__ import annotations

import hashlib
import re

MAX_LEN = 60


# names the grader writes (or may write) next to the student folders: grades.csv, gradebook.db(-journal), ...
_FILE_LIKE = re.compile(r"\.(csv|db|db-\w+|sqlite|json|html|txt|log|lock|zip|tmp)$", re.IGNORECASE)


def sanitise(label: str) -> str:
    """Letters, digits and ``_ . @ -``; never starting with a dot (hidden / temporary files)."""
    out = re.sub(r"[^A-Za-z0-9_.@-]+", "_", label).strip("._-")[:MAX_LEN].rstrip("._-")
    return out or "student"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:10]


def unique_names(labels: dict[str, str]) -> tuple[dict[str, str], list[list[str]]]:
    """key -> label  ->  (key -> folder name, groups of keys whose sanitised names collided).

    Deterministic: depends only on the keys and labels, not on their order.
    """
    safe = {k: sanitise(v) for k, v in labels.items()}
    hashed = {k for k, v in safe.items() if _FILE_LIKE.search(v)}  # "grades.csv" -> "grades.csv-<hash>"
    groups: dict[str, list[str]] = {}
    for k in sorted(safe):
        groups.setdefault(safe[k].casefold(), []).append(k)
    collisions = [ks for ks in groups.values() if len(ks) > 1]
    for ks in collisions:  # equal ignoring case: nobody keeps the bare name
        hashed.update(ks)
    while True:
        names = {k: f"{safe[k]}-{key_hash(k)}" if k in hashed else safe[k] for k in safe}
        seen: dict[str, list[str]] = {}
        for k in sorted(names):
            seen.setdefault(names[k].casefold(), []).append(k)
        clash = [k for ks in seen.values() if len(ks) > 1 for k in ks if k not in hashed]
        if not clash:
            return names, collisions
        hashed.update(clash)
