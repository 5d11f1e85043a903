"""PixelCNN (van den Oord et al. 2016): masked convolutions, type 'A' first then 'B'.

With ``color_channels=3`` every layer (also the 1x1 ones) uses R|G|B channel
groups so that G sees R and B sees R, G of the same pixel. The conditional
variant adds a learned per-class bias to every hidden layer.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from autograder.reference.models.layers import MaskedConv2d


class PixelCNN(nn.Module):
    """Input x (B, C, H, W) float values 0..K-1 -> logits (B, K, C, H, W).

    The deepul HW1 shape: ``PixelCNN(hidden=64, kernel_size=7, num_b_layers=5, num_1x1=2)``.
    """

    def __init__(self, in_channels: int = 1, num_values: int = 2, hidden: int = 64,
                 kernel_size: int = 7, num_b_layers: int = 5, num_1x1: int = 2):
        super().__init__()
        c = in_channels
        self.channels, self.num_values = c, num_values
        self.first = MaskedConv2d(c, hidden, kernel_size, "A", c)
        self.blocks = nn.ModuleList(MaskedConv2d(hidden, hidden, kernel_size, "B", c)
                                    for _ in range(num_b_layers))
        self.heads = nn.ModuleList(MaskedConv2d(hidden, hidden, 1, "B", c)
                                   for _ in range(max(0, num_1x1 - 1)))
        self.out = MaskedConv2d(hidden, c * num_values, 1, "B", c)

    def hidden_bias(self, h, y):  # conditional models add a class bias here
        return h

    def forward(self, x, y=None):
        b, c, hh, ww = x.shape
        h = torch.relu(self.hidden_bias(self.first(x.float() / max(1, self.num_values - 1) - 0.5), y))
        for layer in [*self.blocks, *self.heads]:
            h = torch.relu(self.hidden_bias(layer(h), y))
        out = self.out(h).view(b, c, self.num_values, hh, ww)   # groups: colour-major
        return out.transpose(1, 2)                               # (B, K, C, H, W)


class ConditionalPixelCNN(PixelCNN):
    """Class-conditional PixelCNN: ``model(x, y)`` with y int64 (B,) in 0..num_classes-1."""

    def __init__(self, num_classes: int, **kwargs):
        super().__init__(**kwargs)
        hidden = self.first.out_channels
        self.class_bias = nn.Embedding(num_classes, hidden)

    def hidden_bias(self, h, y):
        return h + self.class_bias(y)[:, :, None, None]
