"""Gated PixelCNN (van den Oord et al. 2016, "Conditional Image Generation with
PixelCNN Decoders"): a vertical stack sees the rows above, a horizontal stack
the pixels to the left; no blind spot.

Vertical conv: kernel (n+1, k), n = k//2, padded so that row i sees rows
i-n..i; it reaches the horizontal stack only after a shift down by one row::

    vertical (row i)      horizontal (row i)
    x x x x x             . . . . .
    x x x x x   --shift-> x x o . .    (o = current pixel, seen from layer 2 on)
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def shift_down(v):
    """Shift a feature map down by one row (zero first row): row i gets row i-1."""
    return F.pad(v, (0, 0, 1, 0))[:, :, :-1, :]


class GatedLayer(nn.Module):
    """One gated layer: tanh(a) * sigmoid(b) in both stacks; type 'A' excludes the centre."""

    def __init__(self, c_in: int, hidden: int, kernel_size: int, first: bool):
        super().__init__()
        n = kernel_size // 2
        self.n, self.first = n, first
        self.v_conv = nn.Conv2d(c_in, 2 * hidden, (n + 1, kernel_size))
        self.h_conv = nn.Conv2d(c_in, 2 * hidden, (1, n + 1))
        self.v_to_h = nn.Conv2d(2 * hidden, 2 * hidden, 1)
        self.h_out = nn.Conv2d(hidden, hidden, 1)
        if first:  # type 'A': the horizontal kernel must not see the current pixel
            mask = torch.ones(1, 1, 1, n + 1)
            mask[..., -1] = 0
            self.register_buffer("h_mask", mask)

    def forward(self, v, h):
        n = self.n
        v_feat = self.v_conv(F.pad(v, (n, n, n, 0)))                      # rows i-n..i
        w = self.h_conv.weight * self.h_mask if self.first else self.h_conv.weight
        h_feat = F.conv2d(F.pad(h, (n, 0, 0, 0)), w, self.h_conv.bias)  # cols j-n..j
        h_feat = h_feat + self.v_to_h(shift_down(v_feat))
        v_new = torch.tanh(v_feat.chunk(2, 1)[0]) * torch.sigmoid(v_feat.chunk(2, 1)[1])
        h_gate = torch.tanh(h_feat.chunk(2, 1)[0]) * torch.sigmoid(h_feat.chunk(2, 1)[1])
        h_new = self.h_out(h_gate)
        return v_new, (h_new if self.first else h + h_new)


class GatedPixelCNN(nn.Module):
    """Input x (B, 1, H, W) float values 0..K-1 -> logits (B, K, 1, H, W)."""

    def __init__(self, num_values: int = 2, hidden: int = 32, kernel_size: int = 3,
                 num_layers: int = 4):
        super().__init__()
        self.num_values = num_values
        self.layers = nn.ModuleList(GatedLayer(1 if l == 0 else hidden, hidden, kernel_size, l == 0)
                                    for l in range(num_layers))
        self.out = nn.Sequential(nn.ReLU(), nn.Conv2d(hidden, hidden, 1), nn.ReLU(),
                                 nn.Conv2d(hidden, num_values, 1))

    def forward(self, x):
        x = x.float() / max(1, self.num_values - 1) - 0.5
        v, h = x, x
        for layer in self.layers:
            v, h = layer(v, h)
        return self.out(h).unsqueeze(2)                                   # (B, K, 1, H, W)
