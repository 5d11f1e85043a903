"""Trusted 1D discretized logistic mixture (the ``dmol_log_prob`` contract), in nats.

Contract (docs/design.md): ``x`` int64 ``(N,)`` in ``{0..num_values-1}``;
``logits``, ``means``, ``log_scales`` shaped ``(K,)`` (shared by every x) or
``(N, K)``; returns ``(N,)`` ``log P(x)`` in **nats**. Value ``v`` owns the
unit-width bin ``[v - 0.5, v + 0.5]``; the first bin extends to ``-inf`` and the
last to ``+inf`` so the probabilities over ``0..num_values-1`` sum to 1.
Log-scales are not clamped (the contract covers ``[-7, 7]``).

Two trusted variants (the checks accept either, elementwise):

* :func:`dmol_log_prob` -- every bin mass exactly in log space;
* :func:`dmol_log_prob_small_mass` -- the PixelCNN++ formula: bins with mass
  below ``1e-5`` use the log density at the bin centre (bin width 1).

Both compute in float64 and return the dtype of ``means``.
"""
from __future__ import annotations

import torch

from autograder.reference.likelihoods.logistic import log_bin_mass, log_bin_mass_small_mass_branch


def _prepare(x, logits, means, log_scales, num_values):
    """Validate shapes; return float64 ``(N, 1)`` x and ``(N|1, K)`` parameters."""
    if x.dim() != 1:
        raise ValueError(f"x must have shape (N,), got {tuple(x.shape)}")
    params = []
    for name, p in (("logits", logits), ("means", means), ("log_scales", log_scales)):
        if p.dim() not in (1, 2) or (p.dim() == 2 and p.shape[0] != x.shape[0]):
            raise ValueError(f"{name} must have shape (K,) or (N, K) with N={x.shape[0]}, got {tuple(p.shape)}")
        params.append(p.to(torch.float64).reshape(-1 if p.dim() == 2 else 1, p.shape[-1]))
    if num_values < 1:
        raise ValueError(f"num_values must be >= 1, got {num_values}")
    return x.to(torch.float64).unsqueeze(-1), *params


def _mix(log_weights_logits: torch.Tensor, component_log_probs: torch.Tensor) -> torch.Tensor:
    """``log sum_k softmax(logits)_k P_k(x)`` over the last axis (nats)."""
    return torch.logsumexp(torch.log_softmax(log_weights_logits, dim=-1) + component_log_probs, dim=-1)


def dmol_log_prob(x: torch.Tensor, logits: torch.Tensor, means: torch.Tensor,
                  log_scales: torch.Tensor, num_values: int) -> torch.Tensor:
    """Exact log P(x) (nats), shape ``(N,)``, every bin mass computed in log space."""
    xf, lg, mu, ls = _prepare(x, logits, means, log_scales, num_values)
    inv_s = torch.exp(-ls)
    lo, hi = (xf - 0.5 - mu) * inv_s, (xf + 0.5 - mu) * inv_s
    lower, upper = (xf == 0).expand_as(lo), (xf == num_values - 1).expand_as(lo)
    comp = log_bin_mass(lo, hi, inv_s.expand_as(lo), lower, upper)
    return _mix(lg, comp).to(means.dtype)


def dmol_log_prob_small_mass(x: torch.Tensor, logits: torch.Tensor, means: torch.Tensor,
                             log_scales: torch.Tensor, num_values: int) -> torch.Tensor:
    """PixelCNN++-style log P(x) (nats), shape ``(N,)``: small bins use the centre density.

    See :func:`~autograder.reference.likelihoods.logistic.log_bin_mass_small_mass_branch`
    for the branches; the bin width is 1 so ``log(width) = 0``.
    """
    xf, lg, mu, ls = _prepare(x, logits, means, log_scales, num_values)
    inv_s = torch.exp(-ls)
    lo, hi, mid = (xf - 0.5 - mu) * inv_s, (xf + 0.5 - mu) * inv_s, (xf - mu) * inv_s
    lower, upper = (xf == 0).expand_as(lo), (xf == num_values - 1).expand_as(lo)
    comp = log_bin_mass_small_mass_branch(lo, hi, mid, ls.expand_as(lo), 0.0, lower, upper)
    return _mix(lg, comp).to(means.dtype)
