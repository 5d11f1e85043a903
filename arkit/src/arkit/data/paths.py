"""Where data files are looked for, and where downloads and parsed caches go.

Search order for a data file (first hit wins):

1. the ``data_dir`` argument of the loader (a folder or a list of folders);
2. ``ARKIT_DATA_DIR`` (``os.pathsep``-separated folders);
3. the cache folder (:func:`cache_dir`);
4. a download into the cache folder (disabled by ``ARKIT_NO_DOWNLOAD=1``).

Inside each folder ``DIR`` the loader looks in ``DIR/``, ``DIR/mnist/`` and
``DIR/binarized_mnist/``.
"""
from __future__ import annotations

import os
from pathlib import Path

from arkit.data.spec import DataDirs

ENV_DATA_DIR = "ARKIT_DATA_DIR"
ENV_CACHE_DIR = "ARKIT_CACHE_DIR"
ENV_NO_DOWNLOAD = "ARKIT_NO_DOWNLOAD"
SUBFOLDERS = ("", "mnist", "binarized_mnist")


def repo_root() -> Path | None:
    """The repository checkout that contains this ``arkit`` (editable install), or ``None``."""
    root = Path(__file__).resolve().parents[4]
    if (root / "arkit" / "pyproject.toml").is_file() and (root / "docs" / "design.md").is_file():
        return root
    return None


def cache_dir() -> Path:
    """Folder for downloads and parsed ``.npy`` caches (not created here).

    ``ARKIT_CACHE_DIR`` if set; else ``<repo>/data/cache`` when running from a
    checkout; else ``$XDG_CACHE_HOME/arkit`` or ``~/.cache/arkit``.
    """
    forced = os.environ.get(ENV_CACHE_DIR, "").strip()
    if forced:
        return Path(forced).expanduser()
    root = repo_root()
    if root is not None:
        return root / "data" / "cache"
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "arkit"


def as_list(data_dir: DataDirs) -> list[Path]:
    """``data_dir`` (None, one folder or several) as a list of Paths."""
    if data_dir is None:
        return []
    if isinstance(data_dir, (str, os.PathLike)):
        return [Path(data_dir).expanduser()]
    return [Path(d).expanduser() for d in data_dir]


def search_roots(data_dir: DataDirs = None) -> list[Path]:
    """Folders searched, in order: ``data_dir``, then ``ARKIT_DATA_DIR``, then :func:`cache_dir`."""
    env = [Path(p).expanduser() for p in os.environ.get(ENV_DATA_DIR, "").split(os.pathsep) if p.strip()]
    roots: list[Path] = []
    for root in [*as_list(data_dir), *env, cache_dir()]:
        if root not in roots:
            roots.append(root)
    return roots


def candidate_paths(filenames: list[str], data_dir: DataDirs = None, folder: str = "") -> list[Path]:
    """Every path where one of ``filenames`` may lie, in search order: in each
    search root, its :data:`SUBFOLDERS` and then ``folder`` (the file's own subfolder)."""
    subs = [*SUBFOLDERS, *([folder] if folder not in SUBFOLDERS else [])]
    return [root / sub / name for root in search_roots(data_dir) for sub in subs for name in filenames]


def downloads_allowed() -> bool:
    """False when ``ARKIT_NO_DOWNLOAD`` is set to a true value (1, true, yes)."""
    return os.environ.get(ENV_NO_DOWNLOAD, "").strip().lower() not in ("1", "true", "yes", "on")
