"""Trusted PixelCNN++ discretized logistic mixture for 8-bit images, in nats.

Contract (``logistic_mixture_log_prob`` in docs/design.md): ``x`` int64
``(B, C, H, W)`` with ``C`` in {1, 3} and values 0..255; ``params``
``(B, P, H, W)`` in the PixelCNN++ layout

* ``C == 1``: ``P = 3K`` = ``[logits | means | log_scales]`` (K channels each);
* ``C == 3``: ``P = 10K`` = ``[logits | R: means, log_scales, coeffs |
  G: means, log_scales, coeffs | B: means, log_scales, coeffs]``.

``x`` is rescaled to ``[-1, 1]`` (``x / 127.5 - 1``); a value owns the bin
``[x - 1/255, x + 1/255]``; 0 and 255 are edge bins reaching ``-inf``/``+inf``.
Coefficients go through ``tanh``; with ``alpha, beta, gamma`` the coefficient
blocks stored with R, G, B, the green mean becomes ``mu_G + alpha * x_R`` and the
blue mean ``mu_B + beta * x_R + gamma * x_G`` (observed values, rescaled).
Log-scales are clamped below at -7. The mixture is over whole pixels: each
component's channel log-probabilities are summed before mixing. Returns ``(B,)``
log-likelihood in **nats per image**.

Two trusted variants (the checks accept either, elementwise):

* :func:`logistic_mixture_log_prob` -- exact bin masses in log space;
* :func:`logistic_mixture_log_prob_small_mass` -- the original PixelCNN++ code:
  bins with mass ``<= 1e-5`` use ``log pdf(centre) + log(2/255)``.

They differ only in far tails (up to ~2.2 nats per sub-pixel at log-scale -7).
Both compute in float64 and return the dtype of ``params``.
"""
from __future__ import annotations

import math

import torch

from autograder.reference.likelihoods.logistic import log_bin_mass, log_bin_mass_small_mass_branch

HALF_BIN = 1.0 / 255.0          # bin half-width in the [-1, 1] scale
LOG_SCALE_MIN = -7.0            # log-scales are clamped below at this value
LOG_BIN_WIDTH = math.log(2.0 / 255.0)


def params_per_mixture(channels: int) -> int:
    """Parameters per mixture component: 3 for C=1, 10 for C=3."""
    if channels not in (1, 3):
        raise ValueError(f"C must be 1 or 3, got {channels}")
    return 3 if channels == 1 else 10


def unpack_params(params: torch.Tensor, num_mixtures: int, channels: int):
    """Split ``(B, P, H, W)`` params into float64 blocks.

    Returns:
        ``logits (B, K, H, W)``, ``means (B, C, K, H, W)``, ``log_scales (B, C, K, H, W)``
        (not yet clamped), ``coeffs (B, C, K, H, W)`` (raw, before tanh; zeros for C=1).
    """
    k = num_mixtures
    b, p, h, w = params.shape
    if p != params_per_mixture(channels) * k:
        raise ValueError(f"params has {p} channels; C={channels}, K={k} needs "
                         f"{params_per_mixture(channels) * k}")
    params = params.to(torch.float64)
    logits = params[:, :k]
    if channels == 1:
        means, log_scales = params[:, k:2 * k].unsqueeze(1), params[:, 2 * k:3 * k].unsqueeze(1)
        return logits, means, log_scales, torch.zeros_like(means)
    blocks = params[:, k:].reshape(b, 3, 3, k, h, w)   # (B, channel, [mean, log_scale, coeff], K, H, W)
    return logits, blocks[:, :, 0], blocks[:, :, 1], blocks[:, :, 2]


def coupled_means(x_scaled: torch.Tensor, means: torch.Tensor, coeffs: torch.Tensor) -> torch.Tensor:
    """Apply the RGB coupling. ``x_scaled`` (B, C, 1, H, W) in [-1, 1]; returns (B, C, K, H, W)."""
    if means.shape[1] == 1:
        return means
    c = torch.tanh(coeffs)
    alpha, beta, gamma = c[:, 0], c[:, 1], c[:, 2]
    x_r, x_g = x_scaled[:, 0], x_scaled[:, 1]
    return torch.stack([means[:, 0], means[:, 1] + alpha * x_r,
                        means[:, 2] + beta * x_r + gamma * x_g], dim=1)


def _per_pixel(x: torch.Tensor, params: torch.Tensor, num_mixtures: int, small_mass: bool) -> torch.Tensor:
    if x.dim() != 4 or params.dim() != 4 or x.shape[0] != params.shape[0] or x.shape[2:] != params.shape[2:]:
        raise ValueError(f"x must be (B, C, H, W) and params (B, P, H, W) with matching B, H, W; "
                         f"got {tuple(x.shape)} and {tuple(params.shape)}")
    logits, means, log_scales, coeffs = unpack_params(params, num_mixtures, x.shape[1])
    xs = (x.to(torch.float64) / 127.5 - 1.0).unsqueeze(2)            # (B, C, 1, H, W)
    mu = coupled_means(xs, means, coeffs)
    ls = torch.clamp(log_scales, min=LOG_SCALE_MIN)
    inv_s = torch.exp(-ls)
    centered = xs - mu
    lo, hi = (centered - HALF_BIN) * inv_s, (centered + HALF_BIN) * inv_s
    lower, upper = (x == 0).unsqueeze(2).expand_as(lo), (x == 255).unsqueeze(2).expand_as(lo)
    if small_mass:
        comp = log_bin_mass_small_mass_branch(lo, hi, centered * inv_s, ls, LOG_BIN_WIDTH, lower, upper)
    else:
        comp = log_bin_mass(lo, hi, 2.0 * HALF_BIN * inv_s, lower, upper)
    joint = comp.sum(dim=1) + torch.log_softmax(logits, dim=1)      # (B, K, H, W)
    return torch.logsumexp(joint, dim=1)                             # (B, H, W)


def logistic_mixture_log_prob_per_pixel(x, params, num_mixtures, small_mass: bool = False) -> torch.Tensor:
    """Per-pixel log P (nats), shape ``(B, H, W)`` (channels of a pixel are one joint variable)."""
    return _per_pixel(x, params, num_mixtures, small_mass).to(params.dtype)


def logistic_mixture_log_prob(x: torch.Tensor, params: torch.Tensor, num_mixtures: int) -> torch.Tensor:
    """Exact log-likelihood, ``(B,)`` nats per image (variant 2: exact log-space bin masses)."""
    return _per_pixel(x, params, num_mixtures, False).sum(dim=(1, 2)).to(params.dtype)


def logistic_mixture_log_prob_small_mass(x: torch.Tensor, params: torch.Tensor, num_mixtures: int) -> torch.Tensor:
    """PixelCNN++ log-likelihood, ``(B,)`` nats per image (variant 1: small-mass branch)."""
    return _per_pixel(x, params, num_mixtures, True).sum(dim=(1, 2)).to(params.dtype)
