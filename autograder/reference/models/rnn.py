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


class PixelRNN(torch.nn.Module):
    """A GRU over the pixels of (1, H, W) binary images in raster order, on :func:`rnn_inputs`;
    returns Bernoulli logits (B, 1, H, W)."""

    def __init__(self, hidden: int = 16, coords: bool = False):
        super().__init__()
        self.coords = coords
        self.rnn = torch.nn.GRU(4 if coords else 2, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states, _ = self.rnn(rnn_inputs(x, self.coords).to(self.head.weight.dtype))
        return self.head(states).view(x.shape)


class RowLSTM(torch.nn.Module):
    """One Row LSTM layer (van den Oord et al. 2016) over (1, H, W) binary images: input-to-state a
    3x3 convolution masked to the row above and the pixels left in the current row (type A),
    state-to-state a 1 x k convolution of the previous row's state; Bernoulli logits (B, 1, H, W)."""

    def __init__(self, hidden: int = 16, k: int = 3):
        super().__init__()
        self.hidden = hidden
        self.input_to_state = torch.nn.Conv2d(1, 4 * hidden, 3, padding=1)
        mask = torch.ones(3, 3)
        mask[1, 1:] = 0
        mask[2] = 0
        self.register_buffer("mask", mask)
        self.state_to_state = torch.nn.Conv1d(hidden, 4 * hidden, k, padding=k // 2)
        self.head = torch.nn.Conv2d(hidden, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, _, H, W = x.shape
        conv = self.input_to_state
        inp = torch.nn.functional.conv2d(x.to(conv.weight.dtype), conv.weight * self.mask, conv.bias, padding=1)
        state = inp.new_zeros(B, self.hidden, W)
        cell = torch.zeros_like(state)
        rows = []
        for i in range(H):
            o, f, g_in, g = (inp[:, :, i] + self.state_to_state(state)).chunk(4, dim=1)
            cell = torch.sigmoid(f) * cell + torch.sigmoid(g_in) * torch.tanh(g)
            state = torch.sigmoid(o) * torch.tanh(cell)
            rows.append(state)
        return self.head(torch.stack(rows, dim=2))
