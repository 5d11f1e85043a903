"""Threshold check: held-out NLL of a trained model, computed by the grader.

The number is never taken from student code: the model only supplies
*distribution parameters* for held-out inputs (``param_fn(x_batch)`` ->
logits / mixture parameters) and the trusted likelihoods in
:mod:`autograder.reference.likelihoods` turn them into log-probabilities.
Results are in **nats/dim** (messages show bits/dim too).

Partial credit: score 1 at or below the calibrated ``threshold``, falling
linearly to 0 at ``loose_bound`` (from the calibration file); ``passed`` means
full credit.
"""
from __future__ import annotations

import math
import os
from typing import Any, Callable, Mapping

import numpy as np
import torch

from arkit.checks.result import CheckResult
from arkit.units import format_nll
from autograder.reference.likelihoods import (
    bernoulli_log_prob, categorical_log_prob, dmol_log_prob, logistic_mixture_log_prob,
)

LIKELIHOODS = ("categorical", "bernoulli", "dmol", "pixelcnnpp")


class ParamError(ValueError):
    """The model's parameters cannot be evaluated (wrong shape, dtype, NaN, ...)."""


def _tensor(out: Any, what: str, start: int) -> torch.Tensor:
    if not isinstance(out, torch.Tensor):
        raise ParamError(f"{what} must be a torch.Tensor, got {type(out).__name__} (batch starting at {start})")
    if not torch.is_floating_point(out):
        raise ParamError(f"{what} must be floating point, got {out.dtype} (batch starting at {start})")
    if not bool(torch.isfinite(out).all()):
        nan = int(torch.isnan(out).sum())
        raise ParamError(f"{what} contain {nan} NaN and {int((~torch.isfinite(out)).sum()) - nan} inf values "
                         f"for the held-out batch starting at example {start}: training diverged or the "
                         "model produces invalid outputs (lower the learning rate, clip gradients)")
    return out.detach().cpu()


def batch_log_prob(params: Any, x: torch.Tensor, likelihood: str, *, num_values: int | None = None,
                   num_mixtures: int | None = None, class_dim: int = 1, start: int = 0) -> torch.Tensor:
    """Validate one batch of parameters and return per-example log P(x) in nats, float64 ``(B,)``.

    Parameter formats (``B`` = batch, ``x`` in the dataset's shape):

    * ``categorical``: logits, ``x.shape`` with a class axis of size V at ``class_dim``
      (default 1: ``(B, V, *var_shape)``, the ``F.cross_entropy`` layout);
    * ``bernoulli``: logits with the shape of ``x``;
    * ``dmol``: a tuple ``(logits, means, log_scales)``, each ``(B, K)`` or ``(K,)``; x ``(B,)``;
      needs ``num_values``;
    * ``pixelcnnpp``: ``(B, P, H, W)`` PixelCNN++ layout, ``K`` inferred from ``P`` unless given.
    """
    xl = x.long()
    b = x.shape[0]
    if likelihood == "dmol":
        if not isinstance(params, (tuple, list)) or len(params) != 3:
            raise ParamError("for a dmol likelihood param_fn must return (logits, means, log_scales)")
        ps = [_tensor(p, n, start) for p, n in zip(params, ("logits", "means", "log_scales"))]
        if num_values is None:
            raise ParamError("dmol needs num_values (the dataset's number of values)")
        for p, n in zip(ps, ("logits", "means", "log_scales")):
            if p.dim() not in (1, 2) or (p.dim() == 2 and p.shape[0] != b) or p.shape[-1] != ps[0].shape[-1]:
                raise ParamError(f"{n} must have shape (K,) or ({b}, K), got {tuple(p.shape)}")
        return dmol_log_prob(xl, *[p.to(torch.float64) for p in ps], num_values).to(torch.float64)
    p = _tensor(params, "the model's parameters", start)
    if likelihood == "bernoulli":
        if p.shape != x.shape:
            raise ParamError(f"Bernoulli logits must have the shape of x {tuple(x.shape)}, got {tuple(p.shape)}")
        lp = bernoulli_log_prob(xl, p)
    elif likelihood == "categorical":
        dim = class_dim % p.dim() if p.dim() == x.dim() + 1 else None
        expected = list(x.shape)
        if dim is not None:
            expected.insert(dim, p.shape[dim])
        if dim is None or list(p.shape) != expected or (num_values is not None and p.shape[dim] != num_values):
            v = num_values if num_values is not None else "V"
            raise ParamError(f"categorical logits must have shape {tuple(x.shape)} with a class axis of size {v} "
                             f"at position {class_dim}, got {tuple(p.shape)}")
        if int(xl.max()) >= p.shape[dim]:
            raise ParamError(f"x has value {int(xl.max())} but the logits have only {p.shape[dim]} classes")
        lp = categorical_log_prob(xl, p, class_dim=dim)
    elif likelihood == "pixelcnnpp":
        if p.dim() != 4 or x.dim() != 4 or p.shape[0] != b or p.shape[2:] != x.shape[2:]:
            raise ParamError(f"PixelCNN++ parameters must be (B, P, H, W) matching x {tuple(x.shape)}, "
                             f"got {tuple(p.shape)}")
        per = 3 if x.shape[1] == 1 else 10
        k = num_mixtures if num_mixtures is not None else p.shape[1] // per
        if p.shape[1] != per * k:
            raise ParamError(f"PixelCNN++ parameters for C={x.shape[1]}, K={k} need {per * k} channels, "
                             f"got {p.shape[1]}")
        return logistic_mixture_log_prob(xl, p.to(torch.float64), k).to(torch.float64)
    else:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
    return lp.reshape(b, -1).sum(dim=1)


def evaluate_nll(param_fn: Callable, x, likelihood: str, batch_size: int = 256, *, y=None,
                 num_values: int | None = None, num_mixtures: int | None = None,
                 class_dim: int = 1) -> float:
    """Average NLL in **nats/dim** of held-out ``x`` under the parameters ``param_fn`` gives.

    Args:
        param_fn: ``param_fn(x_batch)`` (or ``param_fn(x_batch, y_batch)`` when ``y`` is
            given) -> parameters; ``x_batch`` is a CPU torch tensor in the dataset's dtype.
        x: ``(N, *var_shape)`` numpy array or tensor of integer values.
        likelihood: one of :data:`LIKELIHOODS` (see :func:`batch_log_prob` for formats).
        y: optional labels ``(N,)`` for class-conditional models.

    Dims per example = ``prod(var_shape)`` (1 for 1D data). Raises :class:`ParamError`.
    """
    xt = torch.as_tensor(np.asarray(x)) if not isinstance(x, torch.Tensor) else x
    yt = None if y is None else torch.as_tensor(np.asarray(y)).long()
    n = xt.shape[0]
    if n == 0:
        raise ValueError("no held-out examples to evaluate")
    dims = int(np.prod(xt.shape[1:])) if xt.dim() > 1 else 1
    total = 0.0
    with torch.no_grad():
        for start in range(0, n, batch_size):
            xb = xt[start:start + batch_size]
            out = param_fn(xb.clone()) if yt is None else param_fn(xb.clone(), yt[start:start + batch_size])
            lp = batch_log_prob(out, xb, likelihood, num_values=num_values, num_mixtures=num_mixtures,
                                class_dim=class_dim, start=start)
            total += float(lp.sum())
    return -total / (n * dims)


def credit(measured: float, threshold: float, loose_bound: float) -> float:
    """1 at or below ``threshold``, linear down to 0 at ``loose_bound``, 0 above (NaN -> 0)."""
    if not math.isfinite(measured):
        return 0.0
    if measured <= threshold:
        return 1.0
    if loose_bound <= threshold or measured >= loose_bound:
        return 0.0
    return (loose_bound - measured) / (loose_bound - threshold)


def uniform_nats_per_dim(likelihood: str, num_values: int | None) -> float | None:
    """NLL of the uniform distribution in nats/dim (``ln V``), or ``None`` if unknown."""
    if likelihood == "bernoulli":
        return math.log(2.0)
    if likelihood == "pixelcnnpp":
        return math.log(256.0)
    if likelihood in ("categorical", "dmol") and num_values:
        return math.log(float(num_values))
    return None


def cap_loose_bound(threshold: float, loose_bound: float, uniform: float | None) -> float:
    """Keep partial credit away from untrained models.

    The calibration file's generic ``loose_bound = 1.5 * threshold`` can exceed
    the uniform model's NLL on high-entropy data (a uniform histogram over 20
    values would earn ~80%). Cap it halfway between the threshold and ``ln V``.
    """
    if uniform is not None and uniform > threshold:
        return min(loose_bound, threshold + 0.5 * (uniform - threshold))
    return loose_bound


def check_threshold(param_fn: Callable, assignment: str, dataset: str, question: str, likelihood: str,
                    profile: str | None = None, *, split=None, entry: Mapping | None = None,
                    max_examples: int | None = None, batch_size: int = 256, conditional: bool = False,
                    num_values: int | None = None, num_mixtures: int | None = None,
                    class_dim: int = 1) -> CheckResult:
    """Held-out NLL of a trained model against the calibrated threshold.

    Args:
        param_fn: the model's parameter function (see :func:`evaluate_nll`).
        assignment, dataset, question: select the calibration entry
            ``autograder/calibration/<assignment>.json`` -> question -> dataset -> profile.
        likelihood: ``categorical`` | ``bernoulli`` | ``dmol`` | ``pixelcnnpp``.
        profile: ``ci`` | ``cpu`` | ``gpu``; default :func:`arkit.profiles.active_profile`.
        split: held-out split (``.x``, ``.y``, ``.info``); default ``load_heldout(dataset)``.
        entry: a calibration entry (``threshold``, ``loose_bound``) overriding the file.
        max_examples: evaluate only the first ``max_examples`` held-out examples
            (calibration must use the same number).
        conditional: call ``param_fn(x, y)`` with the split's labels.
        num_values: defaults to ``split.info.num_values`` where available.

    ``details``: ``nats_per_dim``, ``bits_per_dim``, ``threshold``, ``loose_bound``,
    ``profile``, ``examples``. When no threshold exists yet and ``ARKIT_CALIBRATION_OUT``
    is set (a calibration run), the result passes and only reports the measurement.
    """
    from arkit.profiles import active_profile

    name = f"{question}.{dataset}.threshold"
    profile = profile or active_profile()
    if split is None:
        from autograder.heldout import load_heldout
        split = load_heldout(dataset)
    x, y = split.x, getattr(split, "y", None)
    if max_examples is not None:
        x = x[:max_examples]
        y = None if y is None else y[:max_examples]
    if conditional and y is None:
        return CheckResult.fail(name, f"internal: {dataset} has no labels for a conditional model")
    if num_values is None and likelihood in ("dmol", "categorical") and getattr(split, "info", None) is not None:
        num_values = int(np.max(np.atleast_1d(split.info.num_values)))
    try:
        nll = evaluate_nll(param_fn, x, likelihood, batch_size, y=y if conditional else None,
                           num_values=num_values, num_mixtures=num_mixtures, class_dim=class_dim)
    except ParamError as exc:
        return CheckResult.fail(name, f"cannot evaluate your model on held-out {dataset}: {exc}")
    except NotImplementedError:
        raise
    except Exception as exc:  # the model may raise anything
        return CheckResult.fail(name, f"your model raised {type(exc).__name__} on held-out {dataset}: {exc}")
    details = {"nats_per_dim": nll, "bits_per_dim": nll / math.log(2.0), "profile": profile,
               "examples": int(len(x)), "dataset": dataset}
    if entry is None:
        from autograder.calibration.store import CalibrationMissing, threshold_entry
        try:
            entry = threshold_entry(assignment, question, dataset, profile)
        except CalibrationMissing as exc:
            if os.environ.get("ARKIT_CALIBRATION_OUT"):
                return CheckResult.ok(name, f"calibration run: held-out NLL {format_nll(nll)}", **details)
            return CheckResult.fail(name, f"internal: {exc}", **details)
    thr, loose = float(entry["threshold"]), float(entry["loose_bound"])
    loose = cap_loose_bound(thr, loose, uniform_nats_per_dim(likelihood, num_values))
    details.update(threshold=thr, loose_bound=loose, provisional=bool(entry.get("provisional", False)))
    score = credit(nll, thr, loose)
    text = (f"held-out NLL on {len(x)} {dataset} examples: {format_nll(nll)}; full credit at or below "
            f"{format_nll(thr)}, partial credit down to {format_nll(loose)} ({profile} profile)")
    if score >= 1.0:
        return CheckResult(name, True, 1.0, text, details)
    if score > 0:
        cause, hint = "above the full-credit level (partial credit)", "train longer or check your model"
    else:
        cause, hint = ("above the level that earns any credit: the model is far from the target",
                       "check that your model learns (its training loss should fall well below the first epochs')")
    return CheckResult(name, False, score, f"{text}: {cause}.", details, hint=hint)
