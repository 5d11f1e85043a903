"""Grayscale pictures used as 2D densities (see :mod:`arkit.data.picture_2d`).

Both functions return an int64 ``(H, W)`` intensity image ("brighter = denser");
integers keep the pipeline exact, so the same bytes come out on every run.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

SMILEY_SIZE = 25
PHOTO_SIZE = 200
PHOTO_FILE = "grace_hopper.jpg"  # ships with matplotlib (matplotlib.cbook.get_sample_data)


def smiley(size: int = SMILEY_SIZE) -> np.ndarray:
    """A smiley face drawn on a ``size x size`` grid, int64 values in {0, 1, 4}.

    Outline, eyes and mouth weigh 4, the inside of the face 1, the background 0.
    """
    r, c = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    s = size / 25.0
    cy = cx = size / 2.0
    dist = np.hypot(r - cy, c - cx)
    img = np.zeros((size, size), dtype=np.int64)
    img[dist <= 11.5 * s] = 1                                     # face
    img[(dist > 10.0 * s) & (dist <= 11.5 * s)] = 4               # outline
    for ex in (cx - 4.0 * s, cx + 4.0 * s):                       # eyes
        img[np.hypot(r - (cy - 3.5 * s), c - ex) <= 1.8 * s] = 4
    mouth = (dist >= 5.5 * s) & (dist <= 7.2 * s) & (r > cy + 2.0 * s)
    img[mouth] = 4
    return img


@lru_cache(maxsize=1)
def photo(size: int = PHOTO_SIZE) -> np.ndarray:
    """Grace Hopper's portrait (matplotlib sample data), int64 ``(size, size)``.

    Steps, all in integer arithmetic: decode the JPEG (600x512 RGB) with
    matplotlib/Pillow; luma ``(299 R + 587 G + 114 B + 500) // 1000`` (0..255);
    keep the top 512x512 square (hat to chest); box-filter it down to
    ``size x size`` by repeating every pixel ``size`` times along each axis and
    summing ``512 x 512`` blocks of the result. Values are sums of 512^2 lumas.
    The bytes depend on the installed libjpeg only through the decoded pixels.
    The returned array is read-only (it is memoised).
    """
    import matplotlib.cbook as cbook
    import matplotlib.image as mpimg

    rgb = np.asarray(mpimg.imread(cbook.get_sample_data(PHOTO_FILE, asfileobj=False)))
    if rgb.dtype != np.uint8 or rgb.ndim != 3:
        raise RuntimeError(f"unexpected decoded {PHOTO_FILE}: dtype {rgb.dtype}, shape {rgb.shape}")
    rgb = rgb[..., :3].astype(np.int64)
    gray = (299 * rgb[..., 0] + 587 * rgb[..., 1] + 114 * rgb[..., 2] + 500) // 1000
    side = min(gray.shape)
    top = gray[:side, (gray.shape[1] - side) // 2:(gray.shape[1] - side) // 2 + side]
    out = box_resize(top, size)
    out.setflags(write=False)  # memoised: callers must not change it
    return out


def box_resize(img: np.ndarray, size: int) -> np.ndarray:
    """Exact area resampling of a square int image ``(n, n)`` to ``(size, size)``.

    Think of source pixel ``j`` as the interval ``[j*size, (j+1)*size)`` and target
    pixel ``i`` as ``[i*n, (i+1)*n)``; ``A[i, j]`` is their overlap (an integer).
    Returns int64 ``A @ img @ A.T``: ``n^2`` times the area average, computed in
    integers (numpy's integer matmul, no BLAS), hence identical on every run.
    """
    n = img.shape[0]
    edges = np.arange(n + 1, dtype=np.int64) * size             # source pixel edges
    starts = np.arange(size, dtype=np.int64)[:, None] * n       # target pixel edges
    overlap = (np.minimum(edges[None, 1:], starts + n) - np.maximum(edges[None, :-1], starts))
    weights = np.clip(overlap, 0, None)                          # (size, n) int64
    return weights @ img.astype(np.int64) @ weights.T
