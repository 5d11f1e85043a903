"""Reference-based checks of the two graded likelihood contracts (instructor-only).

* :func:`check_dmol_log_prob` -- ``dmol_log_prob(x, logits, means, log_scales, num_values)``
* :func:`check_logistic_mixture_log_prob` -- ``logistic_mixture_log_prob(x, params, num_mixtures)``

Each runs an ordered list of probes (see ``dmol_probes`` / ``lmix_probes``):
random and adversarial parameters (edge values, log-scales -7..7 and below,
means far outside the range, K = 1..30, batch-shaped and shared parameters),
then normalization over the whole support and finite values/gradients. The
student's function is called with **float64** parameters; keep the input dtype.
Values are compared in **nats** against both trusted variants (exact log-space
bin masses, and the PixelCNN++ small-mass branch); see :data:`DMOL_TAIL_CONTRACT`.
The first failing probe gives the message; the score is the fraction of probes
passed; ``passed`` requires all of them.
"""
from __future__ import annotations

from typing import Callable

import torch

from arkit.checks.finite import check_finite_gradients
from arkit.checks.normalization import check_normalized
from arkit.checks.result import CheckResult
from autograder.checks import dmol_probes, lmix_probes
from autograder.checks.likelihood_probe import ATOL_PER_DIM, RTOL, TAIL_FLOOR_NATS, run_probes, single_thread

DMOL_TAIL_CONTRACT = f"""\
Tail contract for discretized logistic likelihoods (dmol_log_prob, logistic_mixture_log_prob):
* Values are natural-log probabilities (nats). Each returned value must match the
  exact bin mass, or the PixelCNN++ small-mass formula (log density at the bin centre
  + log bin width, used when the mass is below 1e-5), or lie between the two,
  within {ATOL_PER_DIM} nats per variable + {RTOL:g} relative.
* Where the true log-probability is below {TAIL_FLOOR_NATS:g} nats (probability < 2e-9),
  any finite value <= {TAIL_FLOOR_NATS:g} nats is accepted. So log(clamp(delta, min=1e-12))
  (which caps a bin at about -27.6 nats) is fine; a clamp at 1e-8 (-18.4 nats) is not,
  and -inf or NaN never is.
* The check calls your function with float64 tensors (keep the input dtype); computing
  in float32 inside is accepted too (the tolerance covers float32 rounding).
* Probabilities over the whole support must sum to 1 within 1e-3 (a 1e-12 clamp adds
  far less than that), and values and gradients must be finite for log-scales in
  [-7, 7] (below -7 for images, where they are clamped) and means far outside the range.
"""

NORMALIZATION_ATOL = 1e-3


def _call(fn, args):
    with torch.no_grad():
        out = fn(*args)
    return torch.as_tensor(out).detach().to(torch.float64).reshape(-1)


def _normalization(name: str, log_prob_rows: Callable[[], torch.Tensor], what: str) -> CheckResult:
    try:
        rows = log_prob_rows()
    except NotImplementedError:
        raise
    except Exception as exc:  # student code may raise anything
        return CheckResult.fail(name, f"normalization: your function raised {type(exc).__name__}: {exc}")
    return check_normalized(rows, dim=1, atol=NORMALIZATION_ATOL, name=name, what=what)


def _gradients(name: str, fn, inputs: dict, extra: tuple) -> CheckResult:
    try:
        return check_finite_gradients(fn, inputs, name=name, extra_args=extra)
    except NotImplementedError:
        raise
    except Exception as exc:  # student code may raise anything
        return CheckResult.fail(name, f"gradients: your function raised {type(exc).__name__}: {exc}")


def check_dmol_log_prob(student_fn: Callable, seed: int = 0) -> CheckResult:
    """Check ``student_fn`` against the ``dmol_log_prob`` contract (log P(x) in nats, shape (N,)).

    See the module docstring and :data:`DMOL_TAIL_CONTRACT` for the comparison rule.
    """
    with single_thread():
        return _check_dmol(student_fn, seed)


def _check_dmol(student_fn: Callable, seed: int) -> CheckResult:
    name = "dmol_log_prob"
    norm_sets = dmol_probes.dmol_normalization_inputs(seed)
    grad_inputs, grad_extra = dmol_probes.dmol_gradient_inputs(seed)
    extra = [
        _normalization(f"{name}.normalization", lambda: torch.stack([_call(student_fn, a) for a in norm_sets]),
                       "P(x) over x = 0..num_values-1"),
        _gradients(f"{name}.finite_gradients", student_fn, grad_inputs, grad_extra),
    ]
    return run_probes(student_fn, dmol_probes.dmol_probes(seed), dmol_probes.shape_hint, name, extra)


def _lmix_rows(student_fn, sets) -> torch.Tensor:
    rows = []
    for args_all, args_base in sets:
        lp = _call(student_fn, args_all)
        if args_base is not None:
            lp = lp - _call(student_fn, args_base)
        rows.append(lp)
    return torch.stack(rows)


def check_logistic_mixture_log_prob(student_fn: Callable, seed: int = 0) -> CheckResult:
    """Check ``student_fn`` against the ``logistic_mixture_log_prob`` contract ((B,) nats per image).

    Covers C = 1 and C = 3 (RGB coupling), per-image sums, edge bins at 0 and 255,
    the log-scale clamp at -7, mixture weights, normalization (C = 1: over 0..255;
    C = 3: over each channel given sampled (R, G) contexts) and finite gradients.
    """
    with single_thread():
        return _check_lmix(student_fn, seed)


def _check_lmix(student_fn: Callable, seed: int) -> CheckResult:
    name = "logistic_mixture_log_prob"
    grad_inputs, grad_extra = lmix_probes.lmix_gradient_inputs(seed)
    sets = lmix_probes.lmix_normalization_sets(seed)
    extra = [
        _normalization(f"{name}.normalization", lambda: _lmix_rows(student_fn, sets),
                       "P(value | context) over the 256 values of a channel"),
        _gradients(f"{name}.finite_gradients", student_fn, grad_inputs, grad_extra),
    ]
    return run_probes(student_fn, lmix_probes.lmix_probes(seed), lmix_probes.shape_hint, name, extra)
