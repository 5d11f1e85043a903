"""Test fixture: reference solutions of notebooks 01_warmup and 04_logistic_mixtures, taken
from their jupytext sources, plus wrong variants of the graded functions.

Only cells that define functions/classes are executed (no data, no training), in a namespace
holding the setup cells' imports.
"""
from __future__ import annotations

import torch

from solution_cells import load_cells

WARMUP_CELLS = ("warmup_histogram_model", "warmup_histogram_loss", "warmup_sampler", "warmup_dmol",
                "warmup_dmol_model", "warmup_dmol_loss")


def load_warmup() -> dict:
    """Namespace with Histogram, histogram_loss, sample_histogram, dmol_log_prob, DMoL, dmol_loss."""
    return load_cells("01_warmup", WARMUP_CELLS)


# ----------------------------------------------------------------------------- wrong samplers
def sampler_off_by_one(probs, n, generator=None):
    """Returns the value AFTER the right one (searchsorted result + 1, clamped)."""
    cdf = torch.cumsum(probs.double(), 0)
    u = torch.rand(n, generator=generator, dtype=torch.float64) * cdf[-1]
    return (torch.searchsorted(cdf, u, right=True) + 1).clamp(max=len(probs) - 1)


def sampler_unscaled(probs, n, generator=None):
    """Ignores that the last cumulative sum may be below 1 (u is not scaled, index clamped)."""
    cdf = torch.cumsum(probs.double(), 0)
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    return torch.searchsorted(cdf, u, right=True).clamp(max=len(probs) - 1)


def sampler_global_rng(probs, n, generator=None):
    """Correct distribution, but ignores ``generator`` (global RNG)."""
    return torch.multinomial(probs.double(), n, replacement=True)


def sampler_float(probs, n, generator=None):
    """Correct values, returned as float."""
    cdf = torch.cumsum(probs.double(), 0)
    u = torch.rand(n, generator=generator, dtype=torch.float64) * cdf[-1]
    return torch.searchsorted(cdf, u, right=True).double()


def sampler_uniform(probs, n, generator=None):
    """Ignores probs: uniform over the support."""
    return torch.randint(0, len(probs), (n,), generator=generator)


def sampler_tempered(probs, n, generator=None):
    """Samples from probs ** 0.5 (renormalized): the right support, the wrong distribution."""
    p = probs.double() ** 0.5
    cdf = torch.cumsum(p / p.sum(), 0)
    u = torch.rand(n, generator=generator, dtype=torch.float64) * cdf[-1]
    return torch.searchsorted(cdf, u, right=True).clamp(max=len(probs) - 1)
