"""The files of a submissions folder or zip, listed with their sizes before anything is read.

An :class:`Entry` is one file: its path relative to the folder / zip root (POSIX
``/``), its size in bytes (``lstat`` or the zip's central directory) and its
:mod:`source <.sources>`. Nothing is opened while listing.

Never listed: ``__MACOSX/``, ``.ipynb_checkpoints/`` and ``__pycache__/`` trees,
dot-files (``.DS_Store``, ``._x``), zip members with absolute or ``..`` paths
(zip-slip; nothing is ever extracted anyway), fifos / devices. Symbolic links in a
folder are listed with ``link=True`` and never followed.
"""
from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterator

from .sources import FileSource, Source, ZipMemberSource

IGNORED_DIRS = frozenset({"__macosx", ".ipynb_checkpoints", "__pycache__"})


@dataclass
class Entry:
    path: str                 # relative, POSIX separators
    size: int                 # bytes, as claimed by lstat / the zip directory (a claim: reads are capped)
    source: Source | None     # None for links (never read)
    link: bool = False

    @property
    def parts(self) -> tuple[str, ...]:
        return PurePosixPath(self.path).parts

    @property
    def name(self) -> str:
        return self.parts[-1]


def ignored(parts: tuple[str, ...]) -> bool:
    """True for OS/editor clutter: ``__MACOSX``, checkpoints, dot-files, in any case."""
    return any(p.casefold() in IGNORED_DIRS or p.startswith(".") for p in parts)


def folder_entries(root: Path) -> Iterator[Entry]:
    """Every file under ``root`` (sorted, links not followed), clutter skipped."""
    root = Path(root).absolute()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not ignored((d,)))
        for fn in sorted(filenames):
            full = Path(dirpath) / fn
            rel = full.relative_to(root).as_posix()
            if ignored(PurePosixPath(rel).parts):
                continue
            st = full.lstat()
            if stat.S_ISLNK(st.st_mode):
                yield Entry(rel, 0, None, link=True)
            elif stat.S_ISREG(st.st_mode):  # fifos, sockets, devices: never opened
                yield Entry(rel, st.st_size, FileSource(str(full)))
        for d in list(dirnames):  # a linked folder is reported as a link, never walked
            full = Path(dirpath) / d
            if full.is_symlink():
                dirnames.remove(d)
                yield Entry(full.relative_to(root).as_posix(), 0, None, link=True)


def file_entry(path: Path) -> Entry:
    """One file given by itself (its base name is its path); a link is listed as a link, not followed."""
    path = Path(path).absolute()
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        return Entry(path.name, 0, None, link=True)
    return Entry(path.name, st.st_size, FileSource(str(path)))


def zip_entries(zf: zipfile.ZipFile, zip_path: Path) -> Iterator[Entry]:
    """Every member of an open zip, clutter and zip-slip names skipped; nothing is decompressed here."""
    zip_path = Path(zip_path).absolute()
    for index, info in enumerate(zf.infolist()):
        name = info.filename.replace("\\", "/")
        if info.is_dir() or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
            continue
        parts = PurePosixPath(name).parts
        if not parts or any(p in ("..", ".") for p in parts) or ignored(parts):
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            yield Entry(name, 0, None, link=True)
        else:
            yield Entry(name, info.file_size, ZipMemberSource(str(zip_path), index, info.filename))
