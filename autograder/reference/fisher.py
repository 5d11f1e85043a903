"""Reference per-example gradient features (Fisher scores), instructor-only.

``fisher_scores(model, x)`` -> (B, P) float64: row i is d log p(x_i) / d theta, log p in nats,
theta = the trainable parameters (``requires_grad``) of ``model.parameters()``, each flattened
(C-order) and concatenated in that order. Computed with one ``autograd.grad`` per example (the
plainest possible way: a trusted baseline, not a fast one).
"""
from __future__ import annotations

from typing import Callable

import torch


def default_log_prob(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``model.log_prob(x)``: (B,) log-likelihoods in nats."""
    return model.log_prob(x)


def trainable(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    return [p for p in model.parameters() if p.requires_grad]


def fisher_scores(model: torch.nn.Module, x: torch.Tensor,
                  log_prob: Callable[[torch.nn.Module, torch.Tensor], torch.Tensor] | None = None
                  ) -> torch.Tensor:
    """(B, P) float64 per-example scores d log p(x_i) / d theta (module docstring)."""
    log_prob = default_log_prob if log_prob is None else log_prob
    params = trainable(model)
    rows = []
    for i in range(x.shape[0]):
        with torch.enable_grad():
            lp = log_prob(model, x[i: i + 1]).sum()
            grads = torch.autograd.grad(lp, params, allow_unused=True)
        rows.append(torch.cat([(torch.zeros_like(p) if g is None else g).reshape(-1).double()
                               for p, g in zip(params, grads)]))
    return torch.stack(rows)
