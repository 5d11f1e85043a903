"""Colour PixelCNNs (C = 3, K = 4): channels autoregressive (R -> G -> B within a pixel)
or independent given the past (every channel of pixel i sees only pixels before i).

Written with per-colour stacks rather than the reference's colour-group masks:
``ColourPixelCNN(independent=True)`` uses a type-'A' first layer over all input
channels (no centre tap at all) and per-channel heads; ``independent=False`` adds
the current pixel's earlier channels to channel c's head through a strictly lower
triangular 1x1 connection from the input. x (B, 3, H, W) -> logits (B, 4, 3, H, W).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def causal_mask(k, centre):
    m = torch.ones(k, k)
    m[k // 2, k // 2 + (1 if centre else 0):] = 0
    m[k // 2 + 1:] = 0
    return m


class ColourPixelCNN(nn.Module):
    def __init__(self, independent=True, hid=12, layers=3, k=3, seed=0):
        super().__init__()
        state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        self.independent = independent
        self.convs = nn.ModuleList(nn.Conv2d(3 if i == 0 else hid, hid, k, padding=k // 2) for i in range(layers))
        self.register_buffer("mA", causal_mask(k, False))
        self.register_buffer("mB", causal_mask(k, True))
        self.heads = nn.Conv2d(hid, 3 * 4, 1)
        self.same_pixel = nn.Parameter(torch.randn(3, 4, 3))                 # (out channel, K, in channel)
        self.register_buffer("lower", torch.tril(torch.ones(3, 3), -1))     # c sees c' < c
        torch.random.set_rng_state(state)

    def forward(self, x):
        xf = x.float() / 3.0 - 0.5
        h = xf
        for i, conv in enumerate(self.convs):
            h = F.relu(F.conv2d(h, conv.weight * (self.mA if i == 0 else self.mB), conv.bias, padding=conv.padding))
        b, _, hh, ww = x.shape
        logits = self.heads(h).view(b, 3, 4, hh, ww)                         # (B, C, K, H, W)
        if not self.independent:
            w = self.same_pixel * self.lower.unsqueeze(1)                   # (C, K, C')
            logits = logits + torch.einsum("ckd,bdhw->bckhw", w, xf)
        return logits.transpose(1, 2)                                        # (B, K, C, H, W)
