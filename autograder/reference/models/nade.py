"""NADE (Larochelle & Murray 2011) logits by the textbook formula, for grading.

``h_d = sigmoid(c + W[:, :d] x[:d])``, ``logit_d = b_d + V[d] . h_d`` for binary x.
Written the slow way on purpose (O(D^2 H)): it is the definition a student's O(DH)
running-sum forward pass must reproduce, and it is easy to read.
"""
from __future__ import annotations

import torch


def nade_logits(W: torch.Tensor, c: torch.Tensor, V: torch.Tensor, b: torch.Tensor, x: torch.Tensor,
                shift: int = 0) -> torch.Tensor:
    """Bernoulli logits (B, D) of NADE with W (H, D), c (H,), V (D, H), b (D,) for x (B, D) 0/1.

    ``shift`` builds the wrong variants the grader names: ``shift=1`` lets output d see
    x[:d + 1] (the running sum updated before the output: the output sees its own pixel),
    ``shift=-1`` sees x[:d - 1] only (one step behind). Computed in float64.
    """
    W, c, V, b = (t.double() for t in (W, c, V, b))
    x = x.reshape(x.shape[0], -1).double()
    out = []
    for d in range(W.shape[1]):
        k = min(max(d + shift, 0), W.shape[1])
        h = torch.sigmoid(c + x[:, :k] @ W[:, :k].T)
        out.append(h @ V[d] + b[d])
    return torch.stack(out, 1)
