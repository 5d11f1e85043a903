"""Parse a real data file once; keep the array as ``.npy`` keyed by the file's checksum."""
from __future__ import annotations

from typing import Callable

import numpy as np

from arkit.data import paths
from arkit.data.atomic import atomic_write
from arkit.data.errors import DataFormatError
from arkit.data.files import FileSpec, read_bytes, resolve
from arkit.data.spec import DataDirs


def cached_path(spec: FileSpec):
    """``<cache>/parsed/<name>-<sha256_raw[:16]>.npy``."""
    return paths.cache_dir() / "parsed" / f"{spec.name}-{spec.sha256_raw[:16]}.npy"


def load_parsed(spec: FileSpec, parse: Callable[..., np.ndarray], data_dir: DataDirs = None, *,
                shape: tuple[int, ...] | None = None, use_cache: bool = True) -> np.ndarray:
    """Resolve and verify ``spec``, then return ``parse(raw_bytes, source=path)``.

    The parsed array is reused from :func:`cached_path` when present. The cache is
    keyed by ``spec.sha256_raw``, so it can never hold another file's content; an
    unreadable cache file, or one whose shape is not ``shape`` (when given), is
    ignored and rewritten. A read-only cache folder is not an error (nothing is cached).

    Raises:
        DataFormatError: the parsed array does not have ``shape``.
    """
    path = resolve(spec, data_dir)
    cached = cached_path(spec)
    if use_cache and cached.is_file():
        try:
            array = np.load(cached, allow_pickle=False)
            if shape is None or array.shape == tuple(shape):
                return array
        except (OSError, ValueError):
            pass
    array = parse(read_bytes(path), source=str(path))
    if shape is not None and array.shape != tuple(shape):
        raise DataFormatError(f"{path} holds an array of shape {array.shape}, expected {tuple(shape)}")
    if use_cache:
        try:
            with atomic_write(cached) as f:
                np.save(f, array, allow_pickle=False)
        except OSError:
            pass
    return array
