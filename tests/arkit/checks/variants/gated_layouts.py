"""Gated PixelCNNs written in other layouts than the reference, and two blind designs.

Every model maps x (B, 1, H, W) values 0..1 -> logits (B, 2, 1, H, W). Pieces that
vary (all correct unless named ``blind``):

* vertical conv: ``"split"`` (kernel (n+1, k) over rows i-n..i, top padding only) or
  ``"masked"`` (k x k kernel whose rows below the centre are zeroed by a mask);
* down-shift of the vertical features before they reach the horizontal stack:
  ``"pad"`` (zero row on top, drop the last), ``"roll"`` (torch.roll, zero the first
  row), ``"conv"`` (a fixed 2x1 conv whose top tap is 1, i.e. row i gets row i-1);
* horizontal conv: ``"asym"`` (kernel (1, n+1) padded on the left) or ``"masked"``
  (1 x k kernel, taps right of the centre zeroed; the first layer also zeroes the centre).

Blind designs (must fail): ``"staircase"`` -- the vertical stack itself is shifted
down in every layer, so the row just above is reached only by the first layer; and
``"centre_only"`` -- the vertical kernel covers the rows above, the current row
reaches the vertical stack only through a 1x1 (centre-column) tap; ``"left_only"`` -- the
vertical kernel covers only the columns at and left of the centre, so nothing above and to the
right of a pixel is ever seen (a blind quadrant, not a wedge).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def shift(v, how):
    if how == "pad":
        return F.pad(v, (0, 0, 1, 0))[:, :, :-1]
    if how == "roll":
        out = torch.roll(v, 1, dims=2).clone()
        out[:, :, 0] = 0
        return out
    if how == "conv":
        c = v.shape[1]
        w = torch.zeros(c, 1, 2, 1, dtype=v.dtype)
        w[:, 0, 0, 0] = 1.0                      # output row i reads padded row i = input row i-1
        return F.conv2d(F.pad(v, (0, 0, 1, 0)), w, groups=c)        # row i = padded row i = row i-1
    raise ValueError(how)


class Layer(nn.Module):
    def __init__(self, cin, hid, k, first, vertical, hshift, horizontal):
        super().__init__()
        n = k // 2
        self.n, self.k, self.first = n, k, first
        self.vertical, self.hshift, self.horizontal = vertical, hshift, horizontal
        if vertical == "split":
            self.v = nn.Conv2d(cin, 2 * hid, (n + 1, k))
        elif vertical in ("masked", "staircase"):
            self.v = nn.Conv2d(cin, 2 * hid, k)
            m = torch.ones(1, 1, k, k)
            m[..., n + 1:, :] = 0                           # rows below the centre
            if vertical == "staircase":
                m[..., n, :] = 0                            # rows above only: a shift in every layer
            self.register_buffer("vmask", m)
        elif vertical == "left_only":
            self.v = nn.Conv2d(cin, 2 * hid, k)
            m = torch.ones(1, 1, k, k)
            m[..., n + 1:, :] = 0                           # rows below the centre
            m[..., :, n + 1:] = 0                           # and every column right of the centre
            self.register_buffer("vmask", m)
        elif vertical == "centre_only":
            self.v = nn.Conv2d(cin, 2 * hid, k)
            m = torch.ones(1, 1, k, k)
            m[..., n:, :] = 0
            m[..., n, n] = 1                                # current row: the centre tap only
            self.register_buffer("vmask", m)
        kh = n + 1 if horizontal == "asym" else k
        self.h = nn.Conv2d(cin, 2 * hid, (1, kh))
        hm = torch.ones(1, 1, 1, kh)
        if horizontal == "masked":
            hm[..., n + 1:] = 0
        if first:
            hm[..., (n if horizontal == "masked" else kh - 1)] = 0
        self.register_buffer("hmask", hm)
        self.link = nn.Conv2d(2 * hid, 2 * hid, 1)
        self.res = nn.Conv2d(hid, hid, 1)

    def forward(self, v, h):
        n, k = self.n, self.k
        if self.vertical == "split":
            vf = self.v(F.pad(v, (n, n, n, 0)))
        else:
            vf = F.conv2d(v, self.v.weight * self.vmask, self.v.bias, padding=n)
        pad = (n, 0) if self.horizontal == "asym" else (n, n)
        hf = F.conv2d(F.pad(h, (*pad, 0, 0)), self.h.weight * self.hmask, self.h.bias)
        if self.vertical == "staircase":
            hf = hf + self.link(vf)                           # already strictly above
        else:
            hf = hf + self.link(shift(vf, self.hshift))
        a, b = vf.chunk(2, 1)
        v_new = torch.tanh(a) * torch.sigmoid(b)
        a, b = hf.chunk(2, 1)
        h_new = self.res(torch.tanh(a) * torch.sigmoid(b))
        return v_new, (h_new if self.first else h + h_new)


class LayoutGated(nn.Module):
    def __init__(self, layers=4, k=3, hid=6, vertical="split", hshift="pad", horizontal="asym", seed=0):
        super().__init__()
        state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        self.layers = nn.ModuleList(Layer(1 if i == 0 else hid, hid, k, i == 0, vertical, hshift, horizontal)
                                    for i in range(layers))
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(hid, 2, 1))
        torch.random.set_rng_state(state)

    def forward(self, x):
        v = h = x.float() * 2 - 1
        for layer in self.layers:
            v, h = layer(v, h)
        return self.head(h).unsqueeze(2)


LAYOUTS = {
    "split_pad_asym": dict(vertical="split", hshift="pad", horizontal="asym"),
    "masked_roll_masked": dict(vertical="masked", hshift="roll", horizontal="masked"),
    "masked_conv_asym": dict(vertical="masked", hshift="conv", horizontal="asym"),
    "split_conv_masked": dict(vertical="split", hshift="conv", horizontal="masked"),
}
BLIND = {
    "staircase": dict(vertical="staircase", horizontal="asym"),
    "centre_only": dict(vertical="centre_only", horizontal="asym"),
    "left_only": dict(vertical="left_only", horizontal="asym"),
}
