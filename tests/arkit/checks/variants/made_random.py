"""MADE with hidden degrees drawn at random, as in the original paper (Germain et al. 2015).

Input degrees are the generation steps 1..D; hidden layer l draws each unit's degree
uniformly from {min degree of layer l-1, ..., D-1}; hidden -> hidden masks use >=,
hidden -> output masks use > (the output of the variable generated k-th sees units of
degree < k). Nothing keeps the smallest degree alive, so some seeds leave early outputs
with no path to any input: a correct MADE whose first conditionals are unconditional.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def random_degree_masks(order, hidden_sizes, seed=0):
    """``made_masks`` contract with paper-style random degrees; masks (fan_out, fan_in) float."""
    order = [int(v) for v in (order.tolist() if hasattr(order, "tolist") else order)]
    num = len(order)
    gen = torch.Generator().manual_seed(seed)
    step = torch.zeros(num, dtype=torch.long)
    for k, var in enumerate(order):
        step[var] = k + 1
    layers = [step]
    low = 1
    for width in hidden_sizes:
        hi = max(num - 1, low)
        deg = torch.randint(low, hi + 1, (int(width),), generator=gen)
        layers.append(deg)
        low = int(deg.min())
    masks = [(b.unsqueeze(1) >= a.unsqueeze(0)).float() for a, b in zip(layers[:-1], layers[1:])]
    masks.append((step.unsqueeze(1) > layers[-1].unsqueeze(0)).float())
    return masks


def seeded(seed):
    """A ``made_masks`` function fixed to one seed (what a student's notebook would hold)."""
    return lambda order, hidden_sizes: random_degree_masks(order, hidden_sizes, seed)


class RandomDegreeMade(nn.Module):
    """x (B, D) values 0..K-1 -> logits (B, D, K); one-hot input, random degrees, ReLU MLP."""

    def __init__(self, num_vars, order, width, num_values=2, layers=2, seed=0):
        super().__init__()
        gen_state = torch.random.get_rng_state()
        torch.manual_seed(1000 + seed)
        self.k = num_values
        masks = random_degree_masks(order, [width] * layers, seed)
        masks[0] = masks[0].repeat_interleave(num_values, 1)
        masks[-1] = masks[-1].repeat_interleave(num_values, 0)
        self.lins = nn.ModuleList(nn.Linear(m.shape[1], m.shape[0]) for m in masks)
        for i, m in enumerate(masks):
            self.register_buffer(f"m{i}", m)
        torch.random.set_rng_state(gen_state)

    def forward(self, x):
        h = F.one_hot(x.long(), self.k).float().flatten(1)
        for i, lin in enumerate(self.lins):
            h = F.linear(h, lin.weight * getattr(self, f"m{i}"), lin.bias)
            if i < len(self.lins) - 1:
                h = F.relu(h)
        return h.view(x.shape[0], -1, self.k)
