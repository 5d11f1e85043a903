"""Test fixture: the reference solution of notebook 03_pixelcnn, taken from its jupytext source,
plus small models and wrong variants built from it.

Only the cells that define functions and classes are executed (no data, no training), in a
namespace holding the setup cell's imports.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from solution_cells import SOLUTIONS, load_cells

SOURCE = SOLUTIONS / "03_pixelcnn.py"
CELLS = ("pixelcnn_mask", "pixelcnn_conv", "pixelcnn_conv_expose", "pixelcnn_model", "pixelcnn_sample",
         "pixelcnn_receptive", "pixelcnn_blindspot", "pixelcnn_gated")


def load_solution() -> dict:
    """Namespace with pixelcnn_mask, MaskedConv2d, masked_conv_probe, PixelCNN, sample_pixelcnn,
    receptive_field, blind_spot_mask, GatedLayer, GatedPixelCNN, shift_down."""
    return load_cells("03_pixelcnn", CELLS)


def seeded(build, seed: int = 0):
    """``build()`` under a fixed torch seed without touching the global RNG state; eval mode."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return build().eval()


def tiny_pixelcnn(ns: dict, in_channels=1, num_values=2, hidden=6, num_classes=0, seed=0):
    """Untrained 3x3 PixelCNN (1 type A + 2 type B layers): enough for AR and liveness checks."""
    return seeded(lambda: ns["PixelCNN"](in_channels, num_values, hidden, 2, 3, num_classes), seed)


def complete_fn(ns: dict, model, sampler=None):
    """The notebook's ``complete_mnist`` wrapper around a sampler, for any image size."""
    sampler = sampler or ns["sample_pixelcnn"]

    def complete(x, start_row, seed):
        gen = torch.Generator().manual_seed(int(seed))
        return sampler(model, len(x), tuple(x.shape[1:]), 2, x=x, start_row=int(start_row), generator=gen)
    return complete


# ---------------------------------------------------------------- wrong variants
def mask_variant(ns: dict, how: str):
    """``pixelcnn_mask`` wrong in one named way."""
    good = ns["pixelcnn_mask"]

    def wrong(k, t, cin, cout, cc=1):
        if how == "centre_A_open":
            return good(k, "B", cin, cout, cc)
        if how == "centre_B_closed":
            return good(k, "A", cin, cout, cc)
        if how == "future_row":
            m = good(k, t, cin, cout, cc)
            m[:, :, k // 2 + 1:, :] = 1
            return m
        if how == "interleaved":
            m = good(k, t, cin, cout, cc)
            g_out, g_in = torch.arange(cout) % cc, torch.arange(cin) % cc
            rel = g_in[None] < g_out[:, None] if t == "A" else g_in[None] <= g_out[:, None]
            m[:, :, k // 2, k // 2] = rel.float()
            return m
        if how == "transposed":
            return good(k, t, cin, cout, cc).transpose(0, 1)
        if how == "reversed":                  # built as (in, out) and transposed back: B -> G -> R
            return good(k, t, cout, cin, cc).transpose(0, 1)
        raise ValueError(how)
    return wrong


def conv_probe_variant(ns: dict, how: str):
    """``masked_conv_probe`` running a ``MaskedConv2d`` wrong in one named way."""
    Good = ns["MaskedConv2d"]

    class Wrong(Good):
        def __init__(self, t, cin, cout, k, color_channels=1, **kw):
            super().__init__(t, cin, cout, k, color_channels, **kw)
            if how == "mask_parameter":
                mask = self.mask
                del self._buffers["mask"]
                self.mask = nn.Parameter(mask)
            if how == "no_padding":
                self.padding = (0, 0)

        def forward(self, x):
            if how == "overwrite_weights":
                with torch.no_grad():
                    self.weight.mul_(self.mask)
                return F.conv2d(x, self.weight, self.bias, padding=self.padding)
            if how == "mask_ignored":
                return F.conv2d(x, self.weight, self.bias, padding=self.padding)
            return super().forward(x)

    probe = ns["masked_conv_probe"]
    return lambda *args: _with_class(ns, "MaskedConv2d", Wrong, probe, *args)


def _with_class(ns, name, cls, fn, *args):
    old = ns[name]
    ns[name] = cls
    try:
        return fn(*args)
    finally:
        ns[name] = old


class StackPixelCNN(nn.Module):
    """A PixelCNN with chosen mask types per layer (e.g. all 'A', or 'B' first): wrong variants."""

    def __init__(self, ns, types=("A", "B", "B"), in_channels=1, num_values=2, hidden=12, color_channels=None,
                 reverse_colours=False, hidden_color_channels=None):
        super().__init__()
        mc = ns["MaskedConv2d"]
        cc = in_channels if color_channels is None else color_channels
        hcc = cc if hidden_color_channels is None else hidden_color_channels   # groups of the layers after the first
        chans = [in_channels] + [hidden] * len(types)
        self.layers = nn.ModuleList(mc(t, a, b, 3, color_channels=cc if n == 0 else hcc)
                                    for n, (t, a, b) in enumerate(zip(types, chans, chans[1:])))
        self.out = mc("B", hidden, in_channels * num_values, 1, color_channels=cc)
        self.c, self.k, self.reverse = in_channels, num_values, reverse_colours

    def forward(self, x):
        h = x.float()
        if self.reverse:
            h = h.flip(1)                     # model generates B -> G -> R
        for layer in self.layers:
            h = F.relu(layer(h))
        out = self.out(h)
        b, _, hh, ww = out.shape
        out = out.view(b, self.c, self.k, hh, ww)
        if self.reverse:
            out = out.flip(1)
        return out.transpose(1, 2)


class UnshiftedGated(nn.Module):
    """Gated PixelCNN whose vertical stack feeds the horizontal stack without the shift down."""

    def __init__(self, ns):
        super().__init__()
        self.model = seeded(lambda: ns["GatedPixelCNN"](2, 6, 2, 3))
        self.ns = ns

    def forward(self, x):
        old = self.ns["shift_down"]
        self.ns["shift_down"] = lambda t: t
        try:
            return self.model(x)
        finally:
            self.ns["shift_down"] = old


class ClassIgnored(nn.Module):
    """Conditional model that accepts y and ignores it."""

    def __init__(self, ns):
        super().__init__()
        self.model = tiny_pixelcnn(ns)

    def forward(self, x, y):
        return self.model(x)


class LeakyConditioning(nn.Module):
    """Conditional model whose 'class' bias is computed from the whole image: it leaks the future."""

    def __init__(self, ns):
        super().__init__()
        self.model = tiny_pixelcnn(ns, num_classes=5)

    def forward(self, x, y):
        out = self.model(x, y)
        return out + x.float().mean(dim=(1, 2, 3)).view(-1, 1, 1, 1, 1)
