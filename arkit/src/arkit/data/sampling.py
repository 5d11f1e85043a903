"""Exact sampling from a discrete distribution given as a probability table."""
from __future__ import annotations

import numpy as np


def sample_pmf(pmf: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` i.i.d. flat indices from ``pmf`` by inverse-CDF lookup.

    Args:
        pmf: nonnegative table of any shape (normalised here); index ``k`` of
            ``pmf.ravel()`` (C order) is the outcome.
        n: number of samples.
        rng: numpy Generator (the only source of randomness).

    Returns:
        int64 array ``(n,)`` of flat indices into ``pmf.ravel()``.
    """
    flat = np.asarray(pmf, dtype=np.float64).ravel()
    if flat.size == 0 or (flat < 0).any() or not np.isfinite(flat).all() or flat.sum() <= 0:
        raise ValueError("pmf must be a nonempty table of finite nonnegative numbers with a positive sum")
    cdf = np.cumsum(flat)
    cdf /= cdf[-1]
    u = rng.random(n)
    idx = np.searchsorted(cdf, u, side="right")
    return np.minimum(idx, flat.size - 1).astype(np.int64)


def unravel(flat_index: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Flat indices ``(n,)`` -> int64 coordinates ``(n, len(shape))`` (C order: row, col, ...)."""
    return np.stack(np.unravel_index(flat_index, shape), axis=1).astype(np.int64)
