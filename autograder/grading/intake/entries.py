"""The files of a submissions folder or zip, listed by size before anything is read.

An :class:`Entry` is one file: its path relative to the folder / zip root (POSIX
``/``), its size in bytes (``stat`` or the zip's central directory) and a
``read(limit)`` that never returns more than ``limit`` bytes: a file whose
size exceeds the limit is refused before it is opened, and a read that turns out
longer than claimed (a lying zip header) stops at ``limit + 1`` bytes.

Never listed: ``__MACOSX/`` trees, ``.ipynb_checkpoints/`` trees, dot-files
(``.DS_Store``, ``._x``), zip members with absolute or ``..`` paths (zip-slip;
nothing is ever extracted anyway). Symbolic links in a folder are listed with
``link=True`` and never followed.
"""
from __future__ import annotations

import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

IGNORED_DIRS = frozenset({"__macosx", ".ipynb_checkpoints", "__pycache__"})


class TooLarge(Exception):
    """The bytes turned out longer than the limit (the size claimed beforehand was wrong)."""


@dataclass
class Entry:
    path: str                      # relative, POSIX separators
    size: int                      # bytes, as claimed by stat / the zip directory
    _read: Callable[[int], bytes]  # read at most n bytes
    link: bool = False

    @property
    def parts(self) -> tuple[str, ...]:
        return PurePosixPath(self.path).parts

    @property
    def name(self) -> str:
        return self.parts[-1]

    def read(self, limit: int) -> bytes:
        """The file's bytes; :class:`TooLarge` if it has more than ``limit`` (at most limit+1 are read)."""
        if self.size > limit:
            raise TooLarge(self.size)
        data = self._read(limit + 1)
        if len(data) > limit:
            raise TooLarge(len(data))
        return data


def read_capped(fh, n: int, chunk: int = 1 << 20) -> bytes:
    """At most ``n`` bytes of ``fh``, read in chunks (``fh.read(n)`` would allocate ``n`` bytes up front)."""
    parts, total = [], 0
    while total < n:
        block = fh.read(min(chunk, n - total))
        if not block:
            break
        parts.append(block)
        total += len(block)
    return b"".join(parts)


def ignored(parts: tuple[str, ...]) -> bool:
    """True for OS/editor clutter: ``__MACOSX``, checkpoints, dot-files, in any case."""
    return any(p.casefold() in IGNORED_DIRS or p.startswith(".") for p in parts)


def folder_entries(root: Path) -> Iterator[Entry]:
    """Every file under ``root`` (sorted, links not followed), clutter skipped."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not ignored((d,)))
        for fn in sorted(filenames):
            full = Path(dirpath) / fn
            rel = full.relative_to(root).as_posix()
            if ignored(PurePosixPath(rel).parts):
                continue
            st = full.lstat()
            link = stat.S_ISLNK(st.st_mode)
            if not link and not stat.S_ISREG(st.st_mode):
                continue  # fifos, sockets, devices: never opened
            yield Entry(rel, st.st_size, _file_reader(full), link=link)
        for d in list(dirnames):  # a linked folder is reported as a link, never walked
            full = Path(dirpath) / d
            if full.is_symlink():
                dirnames.remove(d)
                yield Entry(full.relative_to(root).as_posix(), 0, lambda n: b"", link=True)


def file_entry(path: Path) -> Entry:
    """One file given by itself (its base name is its path); a link is listed as a link, not followed."""
    st = path.lstat()
    return Entry(path.name, st.st_size, _file_reader(path), link=stat.S_ISLNK(st.st_mode))


def _file_reader(path: Path) -> Callable[[int], bytes]:
    def read(n: int) -> bytes:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            return read_capped(fh, n)
    return read


def zip_entries(zf: zipfile.ZipFile) -> Iterator[Entry]:
    """Every member of an open zip, clutter and zip-slip names skipped; nothing is decompressed here."""
    for info in zf.infolist():
        name = info.filename.replace("\\", "/")
        if info.is_dir() or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
            continue
        parts = PurePosixPath(name).parts
        if not parts or any(p in ("..", ".") for p in parts) or ignored(parts):
            continue
        link = stat.S_ISLNK(info.external_attr >> 16)
        yield Entry(name, info.file_size, _member_reader(zf, info), link=link)


def _member_reader(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[int], bytes]:
    def read(n: int) -> bytes:
        try:
            with zf.open(info) as fh:
                return read_capped(fh, n)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            raise Unreadable(f"{type(exc).__name__}: {exc}") from exc
    return read


class Unreadable(Exception):
    """A zip member that cannot be decompressed (corrupt, encrypted, unsupported method)."""
