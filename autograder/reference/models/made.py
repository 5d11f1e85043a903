"""MADE (Germain et al. 2015): an MLP whose weight masks make output d depend on
earlier variables only."""
from __future__ import annotations

import torch
import torch.nn as nn

from autograder.reference.masks import made_masks
from autograder.reference.models.layers import MaskedLinear


class MADE(nn.Module):
    """MADE over D variables with K values each.

    Input x (B, D) float (values 0..K-1); output logits (B, D, K) (K = 1 for binary
    data with a single logit when ``num_values == 2 and single_logit``).
    """

    def __init__(self, num_vars: int, hidden_sizes=(512, 512), num_values: int = 2, order=None,
                 degrees: str = "deterministic", seed: int = 0, single_logit: bool = False):
        super().__init__()
        self.num_vars, self.num_values = num_vars, num_values
        self.out_per_var = 1 if (single_logit and num_values == 2) else num_values
        order = torch.arange(num_vars) if order is None else torch.as_tensor(order)
        masks = made_masks(order, list(hidden_sizes), degrees=degrees, seed=seed)
        sizes = [num_vars, *hidden_sizes]
        layers = []
        for l, size in enumerate(hidden_sizes):
            layers += [MaskedLinear(sizes[l], size, masks[l]), nn.ReLU()]
        # K outputs per variable: variable-major rows (d*K + k) repeat the output mask row d
        out_mask = masks[-1].repeat_interleave(self.out_per_var, dim=0)
        layers.append(MaskedLinear(sizes[-1], num_vars * self.out_per_var, out_mask))
        self.net = nn.Sequential(*layers)

    def forward(self, x):  # (B, D) -> (B, D, K)
        x = x.float() / max(1, self.num_values - 1)
        return self.net(x).view(x.shape[0], self.num_vars, self.out_per_var)
