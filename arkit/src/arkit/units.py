"""Unit conversions for log-likelihoods.

Conventions used everywhere in the kit:

* A *loss* is a negative log-likelihood (NLL). Natural log gives **nats**,
  log base 2 gives **bits**. ``1 nat = 1 / ln 2 bits ~= 1.4427 bits``.
* *Per dimension* means divided by the number of modelled scalar variables
  (e.g. 28*28 = 784 for a grayscale MNIST image, 3*H*W for colour images).
* The anchor course (CS294-158 SP20) reports "test loss" in **nats/dim**;
  papers usually report **bits/dim** for images and **nats per image** for
  binarized MNIST (e.g. MADE 86.64, PixelCNN 81.30 nats).

    bits/dim = nats/dim / ln(2)
    nats/dim = total NLL in nats / number of dimensions
"""
from __future__ import annotations

import math

LN2 = math.log(2.0)


def nats_to_bits(nats):
    """Convert a value (float, numpy array or tensor) from nats to bits: ``x / ln 2``."""
    return nats / LN2


def bits_to_nats(bits):
    """Convert a value (float, numpy array or tensor) from bits to nats: ``x * ln 2``."""
    return bits * LN2


def per_dim(total, num_dims: int):
    """Divide a total NLL (any unit) by the number of dimensions it covers."""
    if num_dims <= 0:
        raise ValueError(f"num_dims must be positive, got {num_dims}")
    return total / num_dims


def nats_per_dim_to_bits_per_dim(nats_per_dim):
    """nats/dim -> bits/dim (the same formula as :func:`nats_to_bits`)."""
    return nats_to_bits(nats_per_dim)


def format_nll(nats_per_dim: float) -> str:
    """Human string with both units, e.g. ``'0.0421 nats/dim (0.0607 bits/dim)'``."""
    return f"{nats_per_dim:.4f} nats/dim ({nats_to_bits(nats_per_dim):.4f} bits/dim)"
