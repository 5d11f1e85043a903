"""The input features of an RNN over pixels in raster order (hw2 notebook 1), for grading.

Feature t of an image x (1, H, W) read in raster order (t = W i + j):
``[x_{t-1} (0 at t = 0), 1 if t == 0 else 0]`` and, with coordinates, ``[i / (H-1), j / (W-1)]``
of the pixel being predicted. Shifting by one is what makes the RNN autoregressive.
"""
from __future__ import annotations

import torch


def rnn_inputs(x: torch.Tensor, coords: bool = False, coords_shift: int = 0, value_shift: int = 1) -> torch.Tensor:
    """Features (B, D, 2 or 4) float64 for x (B, 1, H, W) 0/1.

    ``value_shift=0`` gives the unshifted input (each step reads the pixel it predicts) and
    ``coords_shift=-1`` the coordinates of the previous pixel: the wrong variants the grader names.
    """
    B, _, H, W = x.shape
    D = H * W
    v = x.reshape(B, D).double()
    prev = torch.zeros(B, D, dtype=torch.float64)
    prev[:, value_shift:] = v[:, :D - value_shift]
    start = torch.zeros(B, D, dtype=torch.float64)
    start[:, 0] = 1.0
    feats = [prev, start]
    if coords:
        t = (torch.arange(D) + coords_shift).clamp(0, D - 1)
        feats += [(t // W).double().div(max(H - 1, 1)).expand(B, -1), (t % W).double().div(max(W - 1, 1)).expand(B, -1)]
    return torch.stack(feats, -1)
