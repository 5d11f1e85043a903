"""Reference samplers (instructor-only) under the uniform-draws contract of
:func:`arkit.checks.check_sampler_equivalence`.

Both take ``u`` (B, D) uniforms in [0, 1) and return samples (B, D) int64, drawing variable t
(in the identity order) with :func:`arkit.checks.sample_with_uniforms` from its logits and
``u[:, t]``. They differ only in cost:

* :func:`sample_naive` re-runs the parallel network on the prefix x_<=t at every step
  (O(D) network evaluations of growing length: O(D^2) total work for a convolution stack);
* :func:`sample_fast` calls a cached ``step_fn(x_prev, t, cache)`` once per step.
"""
from __future__ import annotations

from typing import Callable

import torch

from arkit.checks.sampler_equivalence import sample_with_uniforms


@torch.no_grad()
def sample_naive(parallel_fn: Callable[[torch.Tensor], torch.Tensor], u: torch.Tensor) -> torch.Tensor:
    """``parallel_fn(x (B, T)) -> logits (B, T, K)`` on prefixes; returns (B, D) int64."""
    b, d = u.shape
    x = torch.zeros(b, d, dtype=torch.long, device=u.device)
    for t in range(d):
        logits = parallel_fn(x[:, : t + 1])[:, t]
        x[:, t] = sample_with_uniforms(logits, u[:, t])
    return x


@torch.no_grad()
def sample_fast(step_fn, u: torch.Tensor) -> torch.Tensor:
    """``step_fn(x_prev (B,), t, cache) -> (logits (B, K), cache)``; returns (B, D) int64."""
    b, d = u.shape
    x = torch.zeros(b, d, dtype=torch.long, device=u.device)
    prev, cache = torch.zeros(b, dtype=torch.long, device=u.device), None
    for t in range(d):
        logits, cache = step_fn(prev, t, cache)
        x[:, t] = prev = sample_with_uniforms(logits, u[:, t])
    return x
