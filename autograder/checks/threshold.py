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
from typing import Any, Callable, Mapping

import numpy as np
import torch

from arkit.checks.result import CheckResult
from arkit.units import format_nll
from autograder.checks.ar_audit import ARAuditError
from autograder.reference.likelihoods import (
    bernoulli_log_prob, categorical_log_prob, dmol_log_prob, logistic_mixture_log_prob,
)

LIKELIHOODS = ("categorical", "bernoulli", "dmol", "pixelcnnpp")


class ParamError(ValueError):
    """The model's parameters cannot be evaluated (wrong shape, dtype, NaN, ...)."""


def _first(mask: torch.Tensor, start: int) -> str:
    """Where the first True of ``mask`` (batch first) is, in the student's terms."""
    idx = [int(i) for i in torch.nonzero(mask)[0].tolist()]
    return f"held-out example {start + idx[0]}" + (f", index {tuple(idx[1:])}" if len(idx) > 1 else "")


def _tensor(out: Any, what: str, start: int, allow_neg_inf: bool = False) -> torch.Tensor:
    """``out`` as a CPU tensor, or a :class:`ParamError` naming what is wrong and where.

    ``-inf`` is allowed where it means "probability 0" (logits) when ``allow_neg_inf``;
    whether an observed value got probability 0 is checked on the log-likelihood.
    """
    if not isinstance(out, torch.Tensor):
        raise ParamError(f"{what} must be a torch.Tensor, got {type(out).__name__} (batch starting at {start})")
    if not torch.is_floating_point(out):
        raise ParamError(f"{what} must be floating point, got {out.dtype} (batch starting at {start})")
    out = out.detach().cpu()
    nan, pinf, ninf = torch.isnan(out), torch.isposinf(out), torch.isneginf(out)
    if bool(nan.any()):
        raise ParamError(f"{what} contain {int(nan.sum())} NaN values (first at {_first(nan, start)}): training "
                         "diverged or the model computes an invalid value (lower the learning rate, clip gradients, "
                         "look for log(0) or 0/0)")
    if bool(pinf.any()):
        raise ParamError(f"{what} contain {int(pinf.sum())} +inf values (first at {_first(pinf, start)}): an "
                         "overflow (exp of a large number?); parameters must be finite")
    if bool(ninf.any()) and not allow_neg_inf:
        raise ParamError(f"{what} contain {int(ninf.sum())} -inf values (first at {_first(ninf, start)}): "
                         "these parameters must be finite (only logits may be -inf)")
    return out


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
        ps = [_tensor(p, n, start, allow_neg_inf=(n == "logits"))
              for p, n in zip(params, ("logits", "means", "log_scales"))]
        if num_values is None:
            raise ParamError("dmol needs num_values (the dataset's number of values)")
        for p, n in zip(ps, ("logits", "means", "log_scales")):
            if p.dim() not in (1, 2) or (p.dim() == 2 and p.shape[0] != b) or p.shape[-1] != ps[0].shape[-1]:
                raise ParamError(f"{n} must have shape (K,) or ({b}, K), got {tuple(p.shape)}")
        return _finite_lp(dmol_log_prob(xl, *[p.to(torch.float64) for p in ps], num_values).to(torch.float64),
                          start)
    p = _tensor(params, "the model's parameters", start, allow_neg_inf=likelihood in ("bernoulli", "categorical"))
    if likelihood == "bernoulli":
        if p.shape != x.shape:
            raise ParamError(f"Bernoulli logits must have the shape of x {tuple(x.shape)}, got {tuple(p.shape)}")
        lp = bernoulli_log_prob(xl, p)
        if bool(torch.isneginf(p).any()):      # -inf: p(x=1) = 0, exact for x = 0 (0 * -inf is NaN above)
            l64 = p.to(torch.float64)
            lp = torch.where(xl.bool(), torch.nn.functional.logsigmoid(l64), torch.nn.functional.logsigmoid(-l64))
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
        return _finite_lp(logistic_mixture_log_prob(xl, p.to(torch.float64), k).to(torch.float64), start)
    else:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
    return _finite_lp(lp.reshape(b, -1).to(torch.float64), start).sum(dim=1)


def _finite_lp(lp: torch.Tensor, start: int) -> torch.Tensor:
    """``lp`` (batch first, log-probabilities in nats) unchanged if finite, else a :class:`ParamError`
    naming the first held-out example (and variable) that got probability 0 or NaN."""
    if bool(torch.isfinite(lp).all()):
        return lp
    bad = ~torch.isfinite(lp)
    where = _first(bad, start)
    if bool(torch.isnan(lp).any()):
        raise ParamError(f"the log-likelihood is NaN at {where}: every logit of one distribution is -inf, or "
                         "the parameters are invalid")
    raise ParamError(f"your model gives probability 0 to {int(bad.sum())} held-out value(s) (first at {where}): "
                     "-inf logits (or a vanishing mixture) at values that occur. A model must give every value "
                     "a nonzero probability: do not set logits to -inf")


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


# --------------------------------------------------------------------------- plausibility
ENTROPY_SLACK_SD = 5.0      # sampling-noise allowance below the entropy, in standard errors
REVIEW_FRACTION = 0.3       # flag an NLL more than this fraction below the best calibrated seed ...
REVIEW_SD = 6.0             # ... or this many of its seed standard deviations, whichever is larger


def _true_pmf(dataset: str, true_pmf=None) -> np.ndarray | None:
    if true_pmf is None:
        try:
            from arkit.data import true_density
            true_pmf = true_density(dataset)
        except Exception:  # no closed form (images) or not a registered dataset
            return None
    return np.asarray(true_pmf, dtype=np.float64)


def true_log_probs(dataset: str, x, true_pmf=None) -> np.ndarray | None:
    """log p(x) in nats per example under the data's true pmf, float64 ``(N,)``; None if unknown."""
    pmf = _true_pmf(dataset, true_pmf)
    if pmf is None:
        return None
    xa = np.asarray(x).astype(np.int64)
    with np.errstate(divide="ignore"):
        if pmf.ndim == 1 and xa.ndim == 1:
            return np.log(pmf[xa])
        if pmf.ndim == 2 and xa.ndim == 2 and xa.shape[1] == 2:
            return np.log(pmf[xa[:, 0], xa[:, 1]])
    return None


def plausibility_failure(nll: float, dataset: str, x, true_pmf=None) -> str | None:
    """Why a held-out NLL (nats/dim) is impossible for a normalized model, or None.

    * below 0: discrete probabilities cannot exceed 1;
    * below the data's true entropy H (nats/dim) by more than :data:`ENTROPY_SLACK_SD`
      standard errors of the true model's own NLL on these examples: no model that does not
      see the values it scores can expect to beat the true distribution (cross-entropy >= H).
    """
    if nll < -1e-9:
        return ("A negative NLL is impossible for discrete data (probabilities cannot exceed 1): "
                "the parameters do not define a normalized distribution, or the model sees the values it scores.")
    lp = true_log_probs(dataset, x, true_pmf)
    if lp is None or not np.all(np.isfinite(lp)):
        return None
    dims = int(np.prod(np.asarray(x).shape[1:])) if np.asarray(x).ndim > 1 else 1
    pmf = _true_pmf(dataset, true_pmf)
    p = pmf[pmf > 0]
    entropy = float(-(p * np.log(p)).sum()) / dims
    slack = ENTROPY_SLACK_SD * float(np.std(lp)) / math.sqrt(len(lp)) / dims
    if nll < entropy - slack:
        return (f"This is below the entropy of the data ({entropy:.4f} nats/dim), the lowest NLL a normalized "
                f"model can expect (allowing {slack:.4f} for sampling noise on {len(lp)} examples): impossible "
                "unless the model sees the values it scores. 0 points.")
    return None


def review_reason(nll: float, entry: Mapping) -> str | None:
    """A reason in words when ``nll`` is far below the calibrated reference, else None.

    Reference: the best (lowest) NLL the calibration measured (``entry["measured"]``, one
    value per seed; the threshold when none). Flagged below ``best - max(REVIEW_FRACTION * best,
    REVIEW_SD * std)``. This catches e.g. a model that memorized the public test images;
    it keeps its credit until an instructor looks.
    """
    measured = [float(v) for v in (entry.get("measured") or []) if v is not None]
    best = min(measured) if measured else float(entry["threshold"])
    sd = float(np.std(measured)) if len(measured) > 1 else 0.0
    limit = best - max(REVIEW_FRACTION * best, REVIEW_SD * sd)
    if nll < limit:
        return (f"too good to be true: {format_nll(nll)} is far below the reference solution's best "
                f"{format_nll(best)} -- held for instructor review")
    return None


def check_threshold(param_fn: Callable, assignment: str, dataset: str, question: str, likelihood: str,
                    profile: str | None = None, *, split=None, entry: Mapping | None = None,
                    max_examples: int | None = None, batch_size: int = 256, conditional: bool = False,
                    num_values: int | None = None, num_mixtures: int | None = None,
                    class_dim: int = 1, true_pmf=None) -> CheckResult:
    """Held-out NLL of a trained model against the calibrated threshold, with a plausibility floor.

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
        true_pmf: the data's true pmf (``(K,)`` for 1D values, ``(H, W)`` for (row, col) pairs);
            default :func:`arkit.data.true_density` of ``dataset`` where it exists.

    Plausibility (see :func:`plausibility`): an NLL below 0 or below the true entropy of
    the data (minus sampling noise) is impossible for a normalized model that does not
    see the values it scores: 0 points, ``details["cause"] = "impossible"``. An NLL far
    below the calibrated reference keeps its credit but is flagged
    ``details["review"]`` (a reason in words) for the instructor.

    ``details``: ``nats_per_dim``, ``bits_per_dim``, ``threshold``, ``loose_bound``,
    ``profile``, ``examples``, ``dataset``. When no threshold exists yet the result fails with
    ``details["cause"] == "calibration_missing"`` and still carries the measurement (what a
    calibration run reads); the verdict never depends on the environment.
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
    except ARAuditError as exc:
        return CheckResult.fail(name, f"held-out {dataset}: {exc}", cause="audit", dataset=dataset)
    except NotImplementedError:
        raise
    except Exception as exc:  # the model may raise anything
        return CheckResult.fail(name, f"your model raised {type(exc).__name__} on held-out {dataset}: {exc}")
    details = {"nats_per_dim": nll, "bits_per_dim": nll / math.log(2.0), "profile": profile,
               "examples": int(len(x)), "dataset": dataset}
    impossible = plausibility_failure(nll, dataset, x, true_pmf)
    if impossible:
        return CheckResult.fail(name, f"held-out NLL on {len(x)} {dataset} examples: {format_nll(nll)}. "
                                      f"{impossible}", cause="impossible", **details)
    if entry is None:
        from autograder.calibration.store import CalibrationMissing, threshold_entry
        try:
            entry = threshold_entry(assignment, question, dataset, profile)
        except CalibrationMissing as exc:  # a grader_error; calibration reads details["nats_per_dim"]
            return CheckResult.fail(name, f"internal: {exc}", cause="calibration_missing", **details)
    thr, loose = float(entry["threshold"]), float(entry["loose_bound"])
    loose = cap_loose_bound(thr, loose, uniform_nats_per_dim(likelihood, num_values))
    details.update(threshold=thr, loose_bound=loose, provisional=bool(entry.get("provisional", False)))
    score = credit(nll, thr, loose)
    text = (f"held-out NLL on {len(x)} {dataset} examples: {format_nll(nll)}; full credit at or below "
            f"{format_nll(thr)}, partial credit down to {format_nll(loose)} ({profile} profile)")
    review = review_reason(nll, entry)
    if review:                      # instructor-facing (grades.csv, status "review"); not in the message
        details["review"] = review
    if score >= 1.0:
        return CheckResult(name, True, 1.0, text, details)
    if score > 0:
        cause, hint = "above the full-credit level (partial credit)", "train longer or check your model"
    else:
        cause, hint = ("above the level that earns any credit: the model is far from the target",
                       "check that your model learns (its training loss should fall well below the first epochs')")
    return CheckResult(name, False, score, f"{text}: {cause}.", details, hint=hint)
