"""Fixtures for the dataset tests: an isolated cache, no downloads, tiny IDX files."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from arkit.data.errors import DataNotFoundError


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory):
    """One cache folder for the whole session (parsed MNIST is reused between modules)."""
    return tmp_path_factory.mktemp("arkit-cache")


@pytest.fixture(scope="module", autouse=True)
def isolated_cache(cache_root):
    """Tests here write caches to ``cache_root`` and never touch the network. Module
    scope: the environment is restored after each module, so nothing leaks into
    other folders' tests."""
    mp = pytest.MonkeyPatch()
    mp.setenv("ARKIT_CACHE_DIR", str(cache_root))
    mp.setenv("ARKIT_NO_DOWNLOAD", "1")
    yield cache_root
    mp.undo()


@pytest.fixture(scope="module")
def real_mnist():
    """Skip unless the real MNIST and binarized-MNIST files are found (ARKIT_DATA_DIR)."""
    from arkit.data import files, mnist

    try:
        for spec in mnist.FILES.values():
            files.resolve(spec)
    except DataNotFoundError as exc:
        pytest.skip(f"real MNIST files not found (set ARKIT_DATA_DIR, e.g. to ../shared/data): "
                    f"{str(exc).splitlines()[0]}")
    return mnist


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """Encode ``array`` as an IDX file (big-endian) with the given type byte."""
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[type_code]
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=dtype).tobytes()


@pytest.fixture
def make_idx():
    return idx_bytes
