"""``dmol_log_prob`` written for this suite (log-space bins), and three wrong variants.

RIGHT ``log_space``: log P = logsumexp_k(log_softmax(logits)_k + log mass_k(x)), the
mass of bin [x-0.5, x+0.5] (first/last bins open) from log-sigmoid identities (nats).
WRONG ``summed_components`` -- adds the K components' log-probabilities instead of
mixing them (uses log_softmax); ``float32_cancel`` -- computes 1 - sigmoid in float32
and clamps at 1e-12, so the last bin collapses to log(1e-12) for means far below.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _log_diff(a, b):
    """log(exp(a) - exp(b)) for a >= b."""
    return a + torch.log1p(-torch.exp((b - a).clamp(max=-1e-30)))


def _log_bins(x, means, log_scales, num_values):
    x = x.unsqueeze(-1).to(means.dtype)
    inv = torch.exp(-log_scales)
    hi, lo = (x + 0.5 - means) * inv, (x - 0.5 - means) * inv
    # log(sigmoid(hi) - sigmoid(lo)) = log_sigmoid(hi) + log(1 - exp(lo - hi)) + log_sigmoid(-lo)
    mid = F.logsigmoid(hi) + F.logsigmoid(-lo) + torch.log(-torch.expm1(lo - hi))
    first = F.logsigmoid(hi)
    last = F.logsigmoid(-lo)
    return torch.where(x == 0, first, torch.where(x == num_values - 1, last, mid))


def log_space(x, logits, means, log_scales, num_values):
    return torch.logsumexp(F.log_softmax(logits, -1) + _log_bins(x, means, log_scales, num_values), -1)


def summed_components(x, logits, means, log_scales, num_values):
    return (F.log_softmax(logits, -1) + _log_bins(x, means, log_scales, num_values)).sum(-1)


def float32_cancel(x, logits, means, log_scales, num_values):
    dt = means.dtype
    xf = x.unsqueeze(-1).float()
    mu, inv = means.float(), torch.exp(-log_scales.float())
    cdf_hi = torch.sigmoid((xf + 0.5 - mu) * inv)
    cdf_lo = torch.sigmoid((xf - 0.5 - mu) * inv)
    mass = torch.where(xf == 0, cdf_hi, torch.where(xf == num_values - 1, 1 - cdf_lo, cdf_hi - cdf_lo))
    log_mass = torch.log(mass.clamp(min=1e-12))
    return torch.logsumexp(F.log_softmax(logits.float(), -1) + log_mass, -1).to(dt)
