"""Fast path for convolutional models, and the choice of cut tests.

A fully convolutional model computes the same function of relative offsets at
every position (up to zero padding, which can only remove dependencies). So:

1. exact gradient dependencies of *every* output on a small canvas (default
   6x6): every relative offset up to 5 pixels, every channel, all positions;
2. exact gradient dependencies at full size for all channels of two output
   pixels: the centre and the bottom-middle one (the largest context, used for
   liveness, the blind spot and the heatmap);
3. black-box cuts at full size (:mod:`arkit.checks.perturbation`), planned by
   :func:`plan_cuts`: one cut at the start of every row, one cut inside every
   column (in rows spread over the image, cycling the channel), plus random cuts.

Guaranteed at full size, at every position, also against ``detach()``/``no_grad``
tricks and position-dependent code: no output depends on any input in a later
row (the row cuts). Within a row, every column boundary and every channel
boundary is cut at least once, and relative offsets are checked exactly on the
small canvas. Not guaranteed: a leak to the right *within one row* that a model
adds only at some positions of the full-size image (e.g. ``if i == 17 and j == 3``)
and that no cut straddles; pass ``exhaustive=True`` to cut at every step (D
forward passes) when that matters. Models that do not run on a smaller canvas
are not convolutional and get the full Jacobian and every cut.
"""
from __future__ import annotations

import torch

from arkit.checks.orders import default_order, ranks
from arkit.checks.probe import ModelProbe

SMALL_CANVAS = 6


def small_canvas_probe(probe: ModelProbe, size: int = SMALL_CANVAS) -> ModelProbe | None:
    """The same model on a (C, size, size) canvas, or None if it does not run there."""
    if len(probe.var_shape) != 3:
        return None
    c, h, w = probe.var_shape
    shape = (c, min(h, size), min(w, size))
    if shape == probe.var_shape:
        return None
    user_to_vars = probe.to_vars if probe._custom_to_vars else None
    try:
        small = ModelProbe(probe.model, shape, probe.num_values, user_to_vars, probe.input_dtype,
                           probe.num_classes, probe.device)
        x, y = small.sample(2, seed=1)
        out = small.outputs(x, y)
    except Exception:  # noqa: BLE001 - any failure means "not fully convolutional"
        return None
    return small if out.shape[:2] == (2, small.num_vars) else None


def analysed_pixel(var_shape) -> tuple[int, int]:
    """Output pixel for liveness, blind spot and heatmap: bottom row, middle column."""
    _, h, w = var_shape
    return h - 1, w // 2


def analysed_vars(var_shape) -> torch.Tensor:
    """All channels of the centre pixel and of :func:`analysed_pixel` (the centre pixel
    has rows below it, so a leak from below shows there)."""
    _, h, w = var_shape
    pixels = [(h // 2, w // 2), analysed_pixel(var_shape)]
    return torch.unique(torch.cat([pixel_vars(var_shape, p) for p in pixels]))


def pixel_vars(var_shape, pixel) -> torch.Tensor:
    """Flat indices of all channels of ``pixel`` (int64 (C,))."""
    c, h, w = var_shape
    return torch.tensor([cc * h * w + pixel[0] * w + pixel[1] for cc in range(c)])


def plan_cuts(var_shape, order: torch.Tensor, exhaustive: bool, extra: int = 4,
              seed: int = 0) -> list[int]:
    """Steps k at which to cut (see module doc). Exhaustive: every step 0..D-1."""
    num = order.numel()
    if exhaustive:
        return list(range(num))
    gen = torch.Generator().manual_seed(seed)
    cuts = {0, num - 1}
    var_shape = tuple(var_shape)
    if len(var_shape) == 3 and torch.equal(order, default_order(var_shape)):
        c, h, w = var_shape
        rank = ranks(order)
        cuts |= {i * w * c for i in range(h)}                        # row starts
        for j in range(w):                                          # every column, spread rows
            i = (h - 1 - j * max(1, h // 7)) % h
            cuts.add(int(rank[(j % c) * h * w + i * w + j]))
        for cc in range(1, c):                                      # every channel boundary
            cuts.add(int(rank[cc * h * w + (h // 2) * w + w // 2]))
    else:
        cuts |= set(torch.linspace(0, num - 1, min(num, 64)).long().tolist())
    cuts |= set(torch.randint(0, num, (extra,), generator=gen).tolist())
    return sorted(cuts)
