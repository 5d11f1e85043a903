"""Where one notebook's bytes live (a file, or a member of a zip), and size-capped reads of them.

A source is a small picklable value: intake lists and hashes it, a grading worker
reads it again later (:class:`~.notebooks.Notebooks`), so a class's notebooks are
never all in memory at once. Every read is capped: :class:`TooLarge` as soon as
more than ``limit`` bytes come out, whatever size was claimed beforehand.
"""
from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Iterator

CHUNK = 1 << 20


class TooLarge(Exception):
    """More than the limit: ``args[0]`` is the size in bytes (claimed, or counted so far)."""


class Unreadable(Exception):
    """The bytes cannot be had: a corrupt / encrypted zip member, a file that vanished."""


@dataclass(frozen=True)
class FileSource:
    path: str  # absolute

    @contextmanager
    def open(self, zf: zipfile.ZipFile | None = None) -> Iterator[BinaryIO]:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fh = os.fdopen(os.open(self.path, flags), "rb")
        except OSError as exc:
            raise Unreadable(f"{type(exc).__name__}: {exc.strerror}") from exc
        with fh:
            yield fh


@dataclass(frozen=True)
class ZipMemberSource:
    zip_path: str  # absolute
    index: int     # position in the zip's directory (names may repeat inside a zip)
    name: str

    @contextmanager
    def open(self, zf: zipfile.ZipFile | None = None) -> Iterator[BinaryIO]:
        try:
            owned = zf is None
            zf = zipfile.ZipFile(self.zip_path) if owned else zf
            try:
                info = zf.infolist()[self.index]
                if info.filename != self.name:
                    raise Unreadable(f"the zip changed: member {self.index} is no longer {self.name!r}")
                with zf.open(info) as fh:
                    yield fh
            finally:
                if owned:
                    zf.close()
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError,
                IndexError) as exc:
            raise Unreadable(f"{type(exc).__name__}: {exc}") from exc


Source = FileSource | ZipMemberSource


def _chunks(source: Source, limit: int, zf: zipfile.ZipFile | None) -> Iterator[bytes]:
    """The bytes in chunks; :class:`TooLarge` once more than ``limit`` came out (at most limit+1 read)."""
    total = 0
    with source.open(zf) as fh:
        while True:
            try:
                block = fh.read(min(CHUNK, limit + 1 - total))
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                raise Unreadable(f"{type(exc).__name__}: {exc}") from exc
            if not block:
                return
            total += len(block)
            if total > limit:
                raise TooLarge(total)
            yield block


def read_capped(source: Source, limit: int, zf: zipfile.ZipFile | None = None) -> bytes:
    """All the bytes (at most ``limit``)."""
    return b"".join(_chunks(source, limit, zf))


def hash_capped(source: Source, limit: int, zf: zipfile.ZipFile | None = None) -> tuple[str, int]:
    """(sha256 hex, size in bytes), streaming: memory is one chunk, whatever the size."""
    h, size = hashlib.sha256(), 0
    for block in _chunks(source, limit, zf):
        h.update(block)
        size += len(block)
    return h.hexdigest(), size
