"""Public checks: pure functions returning :class:`CheckResult`.

They need no reference solution, so students may run them. The grader uses
the same functions on the trusted side.

* :func:`check_autoregressive` -- gradient dependency + perturbation cuts + liveness
* :func:`check_made_masks`, :func:`check_pixelcnn_mask` -- mask-contract properties
* :func:`check_finite`, :func:`check_finite_gradients` -- no NaN/inf
* :func:`check_normalized`, :func:`check_log_prob_normalized` -- probabilities sum to 1
* :func:`check_nll_plausible` -- a reported NLL is possible (>= 0 nats/dim, >= a known entropy)
* :func:`check_step_consistency` -- a cached one-step model matches the parallel pass at every step
* :func:`check_sampler_equivalence` (+ :func:`sample_with_uniforms`) -- fast sampler == naive sampler
* :func:`check_cost_scaling` (+ :class:`WorkCounter`) -- work per variable, counted (no clock)
* :func:`check_causal_attention_mask` -- additive / multiplicative causal mask conventions
"""
from arkit.checks.autoregressive import check_autoregressive
from arkit.checks.finite import check_finite, check_finite_gradients
from arkit.checks.masks import check_made_masks, check_pixelcnn_mask
from arkit.checks.normalization import check_log_prob_normalized, check_normalized
from arkit.checks.plausibility import check_nll_plausible
from arkit.checks.orders import VarNamer, identity_order, raster_order
from arkit.checks.result import CheckResult, combine
from arkit.checks.attention_masks import check_causal_attention_mask
from arkit.checks.cost_scaling import WorkCounter, check_cost_scaling
from arkit.checks.sampler_equivalence import check_sampler_equivalence, sample_with_uniforms
from arkit.checks.step_consistency import check_step_consistency

__all__ = [
    "CheckResult", "combine",
    "check_autoregressive", "check_made_masks", "check_pixelcnn_mask",
    "check_finite", "check_finite_gradients", "check_normalized", "check_log_prob_normalized",
    "check_nll_plausible",
    "raster_order", "identity_order", "VarNamer",
    "check_step_consistency", "check_sampler_equivalence", "sample_with_uniforms",
    "check_cost_scaling", "WorkCounter", "check_causal_attention_mask",
]
