"""Whole MADE models: WRONG in one way each, or RIGHT but written differently.

Factories ``f(num_vars, order) -> nn.Module``; models map x (B, D) -> logits (B, D, K).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from mutants import made_masks as mm

HIDDEN = [24, 24]


class MadeNet(nn.Module):
    """A MADE built from any ``made_masks`` implementation (float input)."""

    def __init__(self, masks_fn, num_vars, order, num_values=2, hidden=HIDDEN):
        super().__init__()
        torch.manual_seed(0)
        masks = mm_masks(masks_fn, order, hidden)
        sizes = [num_vars, *hidden, num_vars * num_values]
        self.k = num_values
        self.weights = nn.ParameterList(nn.Parameter(torch.randn(sizes[i + 1], sizes[i]) / sizes[i] ** 0.5)
                                        for i in range(len(sizes) - 1))
        masks[-1] = masks[-1].repeat_interleave(num_values, 0)
        for i, m in enumerate(masks):
            self.register_buffer(f"mask{i}", m)

    def forward(self, x):
        h = x.float()
        n = len(self.weights)
        for i, w in enumerate(self.weights):
            h = F.linear(h, w * getattr(self, f"mask{i}"))
            h = torch.relu(h + 0.1) if i < n - 1 else h
        return h.view(x.shape[0], -1, self.k)


def mm_masks(fn, order, hidden):
    return [torch.as_tensor(m).float() for m in fn(list(map(int, order)), hidden)]


class EmbeddingMade(nn.Module):
    """Integer input (B, D) int64 -> nn.Embedding -> masked MLP (mask repeated per embedding dim)."""

    def __init__(self, num_vars, order, num_values=2, dim=3):
        super().__init__()
        torch.manual_seed(0)
        masks = mm_masks(mm.deterministic, order, HIDDEN)
        self.emb = nn.Embedding(num_values, dim)
        self.dim, self.k = dim, num_values
        masks[0] = masks[0].repeat_interleave(dim, 1)
        masks[-1] = masks[-1].repeat_interleave(num_values, 0)
        sizes = [num_vars * dim, *HIDDEN, num_vars * num_values]
        self.layers = nn.ModuleList(nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1))
        self.masks = masks

    def forward(self, x):
        h = self.emb(x.long()).flatten(1)                     # (B, D*dim)
        for i, (layer, m) in enumerate(zip(self.layers, self.masks)):
            h = F.linear(h, layer.weight * m, layer.bias)
            h = torch.relu(h) if i < len(self.layers) - 1 else h
        return h.view(x.shape[0], -1, self.k)


class IntegerOnlyMade(EmbeddingMade):
    """Like :class:`EmbeddingMade` but fails on float input (no ``.long()``): int64 only."""

    def forward(self, x):
        if x.is_floating_point():
            raise RuntimeError("Expected tensor for argument #1 'indices' to have scalar type Long")
        return super().forward(x)


class NoGradientPath(MadeNet):
    """A correct MADE whose input is rounded through ``torch.round`` (zero gradient
    everywhere): only black-box perturbations can see its dependencies."""

    def __init__(self, num_vars, order):
        super().__init__(mm.deterministic, num_vars, order)

    def forward(self, x):
        return super().forward(torch.round(x.float()))


class DetachLeak(MadeNet):
    """Correct MADE plus a term that reads the LAST variable through ``detach()``."""

    def __init__(self, num_vars, order, **kw):
        super().__init__(mm.deterministic, num_vars, order, **kw)
        self.last = int(order[-1])

    def forward(self, x):
        out = super().forward(x)
        return out + 0.5 * x.detach().float()[:, self.last].view(-1, 1, 1)


class NoGradLeak(MadeNet):
    """Correct MADE plus a future-reading term computed under ``torch.no_grad()``."""

    def __init__(self, num_vars, order, **kw):
        super().__init__(mm.deterministic, num_vars, order, **kw)
        self.order = torch.as_tensor(order)

    def forward(self, x):
        out = super().forward(x)
        with torch.no_grad():
            nxt = x.float()[:, self.order.roll(-1)]           # value of the NEXT variable
            leak = torch.zeros_like(x, dtype=torch.float)
            leak[:, self.order] = nxt
        return out + leak.unsqueeze(-1)


RIGHT = {
    "deterministic": lambda d, o: MadeNet(mm.deterministic, d, o),
    "random_degrees": lambda d, o: MadeNet(mm.random_degrees, d, o),
    "evenly_spread": lambda d, o: MadeNet(mm.evenly_spread, d, o, num_values=3),
    "embedding_input": lambda d, o: EmbeddingMade(d, o),
    "integer_only_input": lambda d, o: IntegerOnlyMade(d, o),
    "no_gradient_path": lambda d, o: NoGradientPath(d, o),
}
WRONG = {  # name -> (factory, substring the failure message must contain)
    "self_dependence": (lambda d, o: MadeNet(mm.self_dependence, d, o), "depends on itself"),
    "identity_order": (lambda d, o: MadeNet(mm.identity_order, d, o), "ignores the order"),
    "dead_outputs": (lambda d, o: MadeNet(mm.dead_outputs, d, o), "dead outputs"),
    "detach_leak": (lambda d, o: DetachLeak(d, o), "hides a dependency from autograd"),
    "no_grad_leak": (lambda d, o: NoGradLeak(d, o), "hides a dependency from autograd"),
}
