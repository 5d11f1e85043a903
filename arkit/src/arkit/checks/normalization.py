"""Public check: probabilities over the whole support sum to 1.

Solution-free: give it log-probabilities of *every* value a variable can take
(for each of several parameter settings or contexts) and it checks that the
probabilities add up to 1. Typical causes of a failure:

* sum about 2 (or 0.5): the bins are twice (half) as wide as they should be;
* sum below 1: the edge bins do not reach -inf / +inf, or some values are missing;
* sum far from 1 and changing with the mixture logits: the mixture weights are
  not normalized (use ``log_softmax(logits)``).
"""
from __future__ import annotations

from typing import Callable

import torch

from arkit.checks.result import CheckResult


def _hint(total: float) -> str:
    if abs(total - 2.0) < 0.1:
        return " A sum near 2 usually means the bins are twice as wide as they should be."
    if abs(total - 0.5) < 0.05:
        return " A sum near 0.5 usually means the bins are half as wide as they should be."
    if total < 1.0:
        return (" A sum below 1 usually means probability mass is lost: the first bin must extend to -inf "
                "and the last to +inf.")
    return " If this is a mixture, normalize the weights with log_softmax(logits)."


def check_normalized(log_probs, dim: int = -1, atol: float = 1e-3, name: str = "normalization",
                     what: str = "P(x) over all values of x") -> CheckResult:
    """Pass iff ``exp(log_probs)`` sums to 1 (within ``atol``) along ``dim``.

    Args:
        log_probs: natural-log probabilities (nats), any shape; ``dim`` runs over
            the whole support; the other axes index parameter settings/contexts.
        atol: allowed ``|sum - 1|``.

    ``details['sums']`` holds every sum (float64).
    """
    lp = torch.as_tensor(log_probs).detach().to(torch.float64)
    if bool(torch.isnan(lp).any()) or bool(torch.isposinf(lp).any()):
        return CheckResult.fail(name, f"{what}: the log-probabilities contain NaN or +inf")
    sums = torch.logsumexp(lp, dim=dim).exp()
    err = (sums - 1.0).abs()
    details = {"sums": sums.flatten().tolist()}
    if bool((err <= atol).all()):
        return CheckResult.ok(name, f"{what} sums to 1 (max error {float(err.max()):.1e}) in "
                                    f"{sums.numel()} setting(s)", **details)
    worst = int(err.flatten().argmax())
    total = float(sums.flatten()[worst])
    return CheckResult.fail(name, f"{what} sums to {total:.6g} (setting {worst} of {sums.numel()}), "
                                  f"not 1.{_hint(total)}", **details)


def check_log_prob_normalized(log_prob_fn: Callable[[torch.Tensor], torch.Tensor], num_values: int,
                              atol: float = 1e-3, name: str = "normalization") -> CheckResult:
    """Evaluate ``log_prob_fn(x)`` for ``x = arange(num_values)`` (int64) and check it sums to 1.

    ``log_prob_fn`` returns natural-log probabilities, shape ``(num_values,)``.
    """
    x = torch.arange(num_values)
    with torch.no_grad():
        lp = log_prob_fn(x)
    if not isinstance(lp, torch.Tensor) or lp.shape != (num_values,):
        shape = tuple(lp.shape) if isinstance(lp, torch.Tensor) else type(lp).__name__
        return CheckResult.fail(name, f"log_prob_fn(arange({num_values})) must return shape ({num_values},), "
                                      f"got {shape}")
    return check_normalized(lp, dim=0, atol=atol, name=name)
