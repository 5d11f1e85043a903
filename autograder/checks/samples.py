"""Checks on generated samples: format, and an optional quality signal.

* :func:`check_samples` -- shape, integer dtype, value range, finite, not all identical;
* :func:`samples_nll` / :func:`check_sample_quality` -- average NLL (nats/dim) of the
  samples under a *reference* model's parameters (``param_fn``), computed with the
  trusted likelihoods: samples a good model would produce are likely under a good
  reference model; noise is not.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
import torch

from arkit.checks.result import CheckResult
from arkit.units import format_nll
from autograder.checks.threshold import ParamError, evaluate_nll


def check_samples(samples, shape: Sequence[int], num_values: int, count: int | None = None,
                  require_distinct: bool = True, name: str = "samples") -> CheckResult:
    """Samples must be ``(N, *shape)`` integers in ``0..num_values-1`` (float tensors must hold integers).

    Args:
        samples: numpy array or tensor.
        shape: shape of one sample, e.g. ``(1, 28, 28)``.
        count: required N (None: any N >= 1).
        require_distinct: fail when N >= 2 and every sample is identical (a sampler
            that ignores its randomness, or returns the argmax).
    """
    try:
        t = torch.as_tensor(np.asarray(samples) if not isinstance(samples, torch.Tensor) else samples).detach().cpu()
    except Exception as exc:  # anything that is not array-like
        return CheckResult.fail(name, f"samples must be a tensor or array, got {type(samples).__name__} ({exc})")
    want = tuple(shape)
    if t.dim() != len(want) + 1 or tuple(t.shape[1:]) != want or t.shape[0] == 0:
        return CheckResult.fail(name, f"samples must have shape (N, {', '.join(map(str, want))}), got {tuple(t.shape)}")
    if count is not None and t.shape[0] != count:
        return CheckResult.fail(name, f"expected {count} samples, got {t.shape[0]}")
    if t.is_floating_point():
        if not bool(torch.isfinite(t).all()):
            return CheckResult.fail(name, "samples contain NaN or inf")
        if not bool((t == t.round()).all()):
            return CheckResult.fail(name, "samples must be integer values (draw from the categorical/mixture, "
                                          "do not return probabilities or means)")
    elif t.dtype == torch.bool or not (t.dtype.is_signed or t.dtype == torch.uint8):
        return CheckResult.fail(name, f"samples must have an integer dtype, got {t.dtype}")
    lo, hi = float(t.min()), float(t.max())
    if lo < 0 or hi > num_values - 1:
        return CheckResult.fail(name, f"sample values must lie in 0..{num_values - 1}, found {lo:g}..{hi:g}")
    if require_distinct and t.shape[0] >= 2 and bool((t == t[:1]).all()):
        return CheckResult.fail(name, f"all {t.shape[0]} samples are identical: sample from the distribution "
                                      "(torch.multinomial / torch.distributions), do not take the argmax")
    return CheckResult.ok(name, f"{t.shape[0]} samples of shape {want} with values in 0..{num_values - 1}",
                          count=int(t.shape[0]))


def samples_nll(samples, param_fn: Callable, likelihood: str, batch_size: int = 256, **kwargs) -> float:
    """Average NLL of ``samples`` in **nats/dim** under a reference model's ``param_fn``."""
    x = torch.as_tensor(np.asarray(samples) if not isinstance(samples, torch.Tensor) else samples).long()
    return evaluate_nll(param_fn, x, likelihood, batch_size, **kwargs)


def check_sample_quality(samples, reference_param_fn: Callable, likelihood: str, max_nats_per_dim: float,
                         name: str = "samples.quality", **kwargs) -> CheckResult:
    """Pass iff the samples' NLL under the reference model is at most ``max_nats_per_dim``.

    ``kwargs`` go to :func:`evaluate_nll` (``num_values``, ``num_mixtures``, ``class_dim``, ``y``).
    """
    try:
        nll = samples_nll(samples, reference_param_fn, likelihood, **kwargs)
    except ParamError as exc:
        return CheckResult.fail(name, f"internal: reference model failed on the samples: {exc}")
    details = {"nats_per_dim": nll, "bits_per_dim": nll / math.log(2.0), "max_nats_per_dim": max_nats_per_dim}
    text = (f"your samples have NLL {format_nll(nll)} under a reference model "
            f"(at most {format_nll(max_nats_per_dim)} expected)")
    if nll <= max_nats_per_dim:
        return CheckResult(name, True, 1.0, text, details)
    return CheckResult(name, False, 0.0, text + ": they do not look like the training data "
                       "(sampling order, conditioning on earlier values, or temperature?)", details)
