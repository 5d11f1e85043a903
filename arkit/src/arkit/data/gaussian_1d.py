"""1D data: a discretized, truncated mixture of Gaussians on ``0 .. K-1``.

The true pmf is ``p(k) ∝ sum_m w_m [Phi((k + 1/2 - mu_m)/s_m) - Phi((k - 1/2 - mu_m)/s_m)]``
for ``k = 0 .. K-1`` (each value owns the unit-width bin around it; the mass
falling outside ``[-1/2, K - 1/2]`` is dropped and the rest renormalised).
Samples are drawn exactly from this pmf.

| name | K | train | valid | components (weight, mean, std) |
|---|---|---|---|---|
| gauss1d_small | 20 | 1000 | 250 | (0.30, 4, 1.0), (0.50, 12.5, 2.5), (0.20, 17, 0.8) |
| gauss1d_large | 100 | 10000 | 2500 | (0.20, 15, 3), (0.35, 40, 10), (0.15, 62, 2), (0.30, 82, 6) |
"""
from __future__ import annotations

import math
from functools import partial

import numpy as np

from arkit.data.sampling import sample_pmf
from arkit.data.spec import INDEPENDENT_STREAM, DatasetSpec, part_rng
from arkit.data.split import DatasetInfo

# name -> (support K, ((weight, mean, std), ...), sizes, public seed)
MIXTURES = {
    "gauss1d_small": (20, ((0.30, 4.0, 1.0), (0.50, 12.5, 2.5), (0.20, 17.0, 0.8)),
                      {"train": 1000, "valid": 250, "heldout": 1000}, 11),
    "gauss1d_large": (100, ((0.20, 15.0, 3.0), (0.35, 40.0, 10.0), (0.15, 62.0, 2.0), (0.30, 82.0, 6.0)),
                      {"train": 10000, "valid": 2500, "heldout": 10000}, 12),
}


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def mixture_pmf(support: int, components) -> np.ndarray:
    """True pmf ``(support,)`` float64 (sums to 1) of the discretized truncated mixture."""
    p = np.zeros(support, dtype=np.float64)
    for k in range(support):
        p[k] = sum(w * (_phi((k + 0.5 - mu) / s) - _phi((k - 0.5 - mu) / s)) for w, mu, s in components)
    return p / p.sum()


def sample_mixture(support: int, components, n: int, seed: int, part: str) -> np.ndarray:
    """``n`` samples, int64 ``(n,)`` in ``0 .. support-1``, from the stream ``(seed, part)``."""
    return sample_pmf(mixture_pmf(support, components), n, part_rng(seed, part))


def _build(name: str, part: str, seed: int, data_dir=None):
    support, components, sizes, _ = MIXTURES[name]
    return sample_mixture(support, components, sizes[part], seed, part), None


def _spec(name: str) -> DatasetSpec:
    support, components, sizes, seed = MIXTURES[name]
    comp = "; ".join(f"w={w:g} mean={m:g} std={s:g}" for w, m, s in components)
    info = DatasetInfo(
        name=name, shape=(), num_values=support,
        description=(f"1D discretized mixture of {len(components)} Gaussians on 0..{support - 1} "
                     f"({comp}); {sizes['train']} train / {sizes['valid']} valid samples, int64 (N,)."),
        extra={"density": mixture_pmf(support, components), "components": components},
    )
    return DatasetSpec(info, dict(sizes), seed, partial(_build, name), INDEPENDENT_STREAM)


SPECS = [_spec(name) for name in MIXTURES]
