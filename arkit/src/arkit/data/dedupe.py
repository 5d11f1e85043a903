"""Exact-duplicate detection between image sets (used to build disjoint held-out sets)."""
from __future__ import annotations

import numpy as np


def rows_not_in(x: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Boolean mask ``(len(x),)``: True where sample ``x[i]`` equals no sample of ``reference``.

    Samples are compared byte for byte (same dtype and sample shape required).
    """
    if x.dtype != reference.dtype or x.shape[1:] != reference.shape[1:]:
        raise ValueError(f"cannot compare samples {x.dtype}{x.shape[1:]} with {reference.dtype}{reference.shape[1:]}")
    seen = {row.tobytes() for row in np.ascontiguousarray(reference).reshape(len(reference), -1)}
    return np.array([row.tobytes() not in seen for row in np.ascontiguousarray(x).reshape(len(x), -1)],
                    dtype=bool)
