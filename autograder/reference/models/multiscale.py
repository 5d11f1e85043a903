"""Trusted pieces of hw2 notebook 4 (parallel multiscale sampling, Fisher scores), instructor-only.

* :func:`multiscale_groups` -- the group order of Reed et al. (2017) as the notebook defines it:
  the group of pixel (i, j) is given by the coarsest power-of-two grid it lies on.
* :class:`GroupNet` -- a small conv net ``(B, 2, H, W) -> (B, 1, H, W)`` Bernoulli logits from
  ``[x * known, known]``: the network the grader hands to the student's sampling step and whose
  forward calls it counts (any size H, W).
* :class:`FisherPixelCNN` -- the tiny PixelCNN of the notebook's Fisher-score part, same
  parameters in the same order (``model.parameters()``), so the grader can rebuild a student's
  trained model from its flat parameter vector and compute reference scores.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def multiscale_groups(height: int, width: int) -> torch.Tensor:
    """Group of each pixel, int64 ``(height, width)``, values ``0..G-1``.

    ``L = floor(log2(max(height, width)))``; pixel (i, j) lies on the grid of stride ``2^l`` iff
    ``2^l`` divides both i and j; its group is ``L - l`` for the largest such ``l <= L``. So group 0
    is the stride-``2^L`` grid ((0, 0) alone on a 16x16 image; (0,0), (0,16), (16,0), (16,16) on
    20x20), and ``G = L + 1`` groups in all: the pixels known after groups 0..g are the stride-
    ``2^(L-g)`` grid (1, 4, 16, ... pixels on a 16x16 image).
    """
    L = int(math.floor(math.log2(max(int(height), int(width)))))
    i = torch.arange(int(height)).view(-1, 1)
    j = torch.arange(int(width)).view(1, -1)
    level = torch.zeros(int(height), int(width), dtype=torch.long)     # largest l with 2^l | i and j
    for l in range(1, L + 1):
        level = torch.where((i % 2 ** l == 0) & (j % 2 ** l == 0), torch.full_like(level, l), level)
    return L - level


def group_ranks(var_shape) -> torch.Tensor:
    """``multiscale_groups`` of an image shape ``(1, H, W)`` flattened: int64 ``(H*W,)`` (the group
    order ``check_autoregressive`` and the audit take)."""
    _, h, w = (int(s) for s in var_shape)
    return multiscale_groups(h, w).reshape(-1)


class GroupNet(nn.Module):
    """``[x * known, known]`` (B, 2, H, W) -> Bernoulli logits (B, 1, H, W); dilated 3x3 convs (1, 2, 4, 8), ELU."""

    def __init__(self, channels: int = 8, seed: int = 0):
        super().__init__()
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.convs = nn.ModuleList([nn.Conv2d(2 if d == 1 else channels, channels, 3, padding=d, dilation=d)
                                        for d in (1, 2, 4, 8)])
            self.out = nn.Conv2d(channels, 1, 1)

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        h = inp.float()
        for conv in self.convs:
            h = F.elu(conv(h))
        return self.out(h)


def network_input(x: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """``[x * known, known]`` float (B, 2, H, W) from x (B, 1, H, W) and known (H, W) or (B, 1, H, W)."""
    known = known.to(torch.float32).expand(x.shape[0], 1, *x.shape[-2:])
    return torch.cat([x.float() * known, known], 1)


# ------------------------------------------------------------------ the Fisher-score PixelCNN
def causal_mask(kernel_size: int, mask_type: str, in_channels: int, out_channels: int) -> torch.Tensor:
    """Raster mask (out, in, k, k) for one colour channel: rows above and the left of the centre row;
    the centre tap only for type 'B'."""
    k = kernel_size
    m = torch.zeros(out_channels, in_channels, k, k)
    m[:, :, : k // 2] = 1
    m[:, :, k // 2, : k // 2 + (mask_type == "B")] = 1
    return m


class MaskedConv(nn.Conv2d):
    def __init__(self, mask_type: str, cin: int, cout: int, k: int):
        super().__init__(cin, cout, k, padding=k // 2)
        self.register_buffer("mask", causal_mask(k, mask_type, cin, cout))

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class FisherPixelCNN(nn.Module):
    """Tiny binary PixelCNN: MaskedConv A 1->C (5x5), ReLU, MaskedConv B C->C (3x3), ReLU, 1x1 C->1.

    ``forward(x)`` (B, 1, H, W) -> Bernoulli logits (B, 1, H, W); ``log_prob(x)`` (B,) in nats.
    """

    def __init__(self, channels: int = 8):
        super().__init__()
        self.conv_a = MaskedConv("A", 1, channels, 5)
        self.conv_b = MaskedConv("B", channels, channels, 3)
        self.out = nn.Conv2d(channels, 1, 1)

    def forward(self, x):
        h = F.relu(self.conv_a(x.float()))
        h = F.relu(self.conv_b(h))
        return self.out(h)

    def log_prob(self, x):
        logits = self(x)
        return -F.binary_cross_entropy_with_logits(logits, x.float(), reduction="none").flatten(1).sum(1)


def fisher_model(theta: torch.Tensor, channels: int = 8) -> FisherPixelCNN:
    """A :class:`FisherPixelCNN` holding the flat parameters ``theta`` (P,); ``ValueError`` on a wrong P."""
    model = FisherPixelCNN(channels)
    theta = torch.as_tensor(theta).detach().reshape(-1).float()
    p = sum(q.numel() for q in model.parameters())
    if theta.numel() != p:
        raise ValueError(f"{theta.numel()} parameters, but FisherPixelCNN({channels}) has {p}")
    torch.nn.utils.vector_to_parameters(theta, model.parameters())
    return model.eval()
