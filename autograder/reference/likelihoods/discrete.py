"""Trusted categorical and Bernoulli log-likelihoods, elementwise, in nats."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def categorical_log_prob(x: torch.Tensor, logits: torch.Tensor, class_dim: int = 1) -> torch.Tensor:
    """``log softmax(logits)[x]`` in nats, shape of ``x``.

    Args:
        x: int64 values in ``0..V-1``, shape ``(B, *var_shape)``.
        logits: ``x.shape`` with one extra axis of size V inserted at ``class_dim``
            (default 1, the ``F.cross_entropy`` layout ``(B, V, *var_shape)``).
    """
    dim = class_dim % logits.dim()
    expected = list(x.shape)
    expected.insert(dim, logits.shape[dim])
    if list(logits.shape) != expected:
        raise ValueError(f"logits shape {tuple(logits.shape)} does not match x {tuple(x.shape)} "
                         f"with the class axis at {class_dim}")
    if x.min() < 0 or x.max() >= logits.shape[dim]:
        raise ValueError(f"x has values outside 0..{logits.shape[dim] - 1}")
    logp = torch.log_softmax(logits.to(torch.float64), dim=dim)
    return logp.gather(dim, x.long().unsqueeze(dim)).squeeze(dim)


def bernoulli_log_prob(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """``x log sigmoid(l) + (1 - x) log sigmoid(-l)`` in nats, shape of ``x`` (values 0/1)."""
    if logits.shape != x.shape:
        raise ValueError(f"logits shape {tuple(logits.shape)} must equal x shape {tuple(x.shape)}")
    if x.min() < 0 or x.max() > 1:
        raise ValueError("x must be binary (0/1) for a Bernoulli likelihood")
    l64, x64 = logits.to(torch.float64), x.to(torch.float64)
    return x64 * F.logsigmoid(l64) + (1.0 - x64) * F.logsigmoid(-l64)
