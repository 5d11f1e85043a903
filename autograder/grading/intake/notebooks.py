"""``Submission.notebooks``: notebook stem -> bytes, read when asked for, checked against intake's hash.

Intake hashes each chosen notebook (streaming, capped) and keeps only where it
lives; the bytes are read again, capped, when grading asks for them, and must
have the sha256 intake recorded (:class:`SubmissionChanged` otherwise). So the
content hash and what is graded are the same thing, and a class's notebooks are
never all in memory. Plain bytes may be stored too (``notebooks[stem] = data``).
"""
from __future__ import annotations

import hashlib
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Iterator

from .sources import Source, TooLarge, Unreadable, read_capped


class SubmissionChanged(OSError):
    """A notebook's file changed (or vanished) between intake and grading: grade again."""


@dataclass(frozen=True)
class _Listed:
    source: Source
    sha256: str   # hex, of the bytes intake read
    size: int     # bytes
    limit: int    # bytes

    def read(self) -> bytes:
        try:
            data = read_capped(self.source, self.limit)
        except (TooLarge, Unreadable) as exc:
            raise SubmissionChanged(f"{self.source}: changed since intake ({exc}); run the grader again") from exc
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise SubmissionChanged(f"{self.source}: its content changed since intake; run the grader again")
        return data


class Notebooks(MutableMapping):
    """stem -> bytes. Values listed by intake are read on access; assigned bytes are kept as they are."""

    def __init__(self, data: dict[str, bytes] | None = None):
        self._items: dict[str, bytes | _Listed] = {}
        self.update(data or {})

    def add_listed(self, stem: str, source: Source, sha256: str, size: int, limit: int) -> None:
        self._items[stem] = _Listed(source, sha256, size, limit)

    def __getitem__(self, stem: str) -> bytes:
        value = self._items[stem]
        return value.read() if isinstance(value, _Listed) else value

    def __setitem__(self, stem: str, data: bytes) -> None:
        self._items[stem] = bytes(data)

    def __delitem__(self, stem: str) -> None:
        del self._items[stem]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def sha256(self, stem: str) -> str:
        """Hex sha256 of the notebook's bytes, without reading a listed file again."""
        value = self._items[stem]
        return value.sha256 if isinstance(value, _Listed) else hashlib.sha256(value).hexdigest()

    def size(self, stem: str) -> int:
        value = self._items[stem]
        return value.size if isinstance(value, _Listed) else len(value)

    def __repr__(self) -> str:
        return f"Notebooks({ {s: f'<{self.size(s)} bytes>' for s in self._items} })"
