"""``check_nll_plausible``: is a reported negative log-likelihood possible at all?

For discrete data every probability is <= 1, so a normalized model's NLL is >= 0
nats/dim, and no model can go below the entropy of the data-generating distribution
on average (the held-out NLL estimates cross-entropy >= entropy). A value below 0
means the training loss had its sign flipped (the model *maximised* the NLL and the
curve shows -log P going down through zero), or the "probabilities" are not
normalized. Pure function of numbers: students run it on their training curves.
"""
from __future__ import annotations

import math

from arkit.checks.result import CheckResult

SLACK_NATS = 1e-6   # float rounding


def check_nll_plausible(nll_nats_per_dim: float, *, num_values: int | None = None,
                        lower_bound: float | None = None, name: str = "nll_plausible") -> CheckResult:
    """Check a measured NLL in **nats/dim** of a model of discrete data.

    Args:
        nll_nats_per_dim: the reported value (e.g. the last validation loss).
        num_values: values per variable, for the message (log K is the uniform model's NLL).
        lower_bound: a known lower bound in nats/dim (e.g. the entropy of the true
            distribution, ``arkit.data.true_density``); values below it fail.
    Fails (naming the cause) when the value is not finite, negative, or below ``lower_bound``.
    """
    value = float(nll_nats_per_dim)
    uniform = f"; the uniform model scores log {num_values} = {math.log(num_values):.3f}" if num_values else ""
    if not math.isfinite(value):
        return CheckResult.fail(name, f"the NLL is {value}: not a number (a log of 0 or a NaN in the loss)",
                                value=value)
    if value < -SLACK_NATS:
        return CheckResult.fail(
            name, f"the NLL is negative ({value:.4g} nats/dim), impossible for discrete data: every "
                  f"probability is <= 1, so -log P >= 0{uniform}. A loss that goes below zero and keeps "
                  f"falling means its sign is flipped (the training minimised log P, i.e. maximised the "
                  f"NLL), or the log-probabilities are not normalized",
            hint="minimise the negative log-likelihood: loss = -log_prob(x).mean() (per dimension)",
            value=value)
    if lower_bound is not None and value < lower_bound - SLACK_NATS:
        return CheckResult.fail(
            name, f"the NLL {value:.4g} nats/dim is below {lower_bound:.4g}, the entropy of the data: no "
                  f"normalized model that only sees the past can reach it (a leak of the current variable, "
                  f"or probabilities that do not sum to 1)", value=value, lower_bound=lower_bound)
    return CheckResult.ok(name, f"NLL {value:.4g} nats/dim is possible{uniform}", value=value)
