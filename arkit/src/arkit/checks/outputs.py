"""Map a model's raw output to per-variable outputs ``(B, D, F)``.

``F`` is the number of output features per variable (logits, mixture
parameters, ...). The check needs this mapping to know which output belongs
to which variable; pass your own ``to_vars`` when the default cannot tell.
"""
from __future__ import annotations

from typing import Sequence

import torch


def default_to_vars(out, var_shape: Sequence[int]) -> torch.Tensor:
    """Reshape ``out`` to ``(B, D, F)`` for the common layouts.

    Accepted (``V`` = var_shape, e.g. ``(C, H, W)`` or ``(D,)``):
    ``(B, *V)`` -> F = 1; ``(B, F, *V)`` (e.g. logits ``(B, K, C, H, W)``);
    ``(B, *V, F)`` (e.g. MADE logits ``(B, D, K)``); for one-channel images
    also ``(B, F, H, W)``; for colour images also ``(B, C, F, H, W)``.
    Raises ``ValueError`` naming the shape when none applies.
    """
    if isinstance(out, (tuple, list)):
        raise ValueError("the model returned a tuple/list; pass to_vars=... that picks the logits "
                         "and returns a tensor shaped (B, D, F)")
    var_shape = tuple(int(s) for s in var_shape)
    shape = tuple(out.shape)
    batch, num_vars = shape[0], 1
    for s in var_shape:
        num_vars *= s
    if shape[1:] == var_shape:
        return out.reshape(batch, num_vars, 1)
    if len(shape) == len(var_shape) + 2 and shape[2:] == var_shape:
        return out.reshape(batch, shape[1], num_vars).transpose(1, 2)
    if len(shape) == len(var_shape) + 2 and shape[1:-1] == var_shape:
        return out.reshape(batch, num_vars, shape[-1])
    if len(var_shape) == 3:
        channels, height, width = var_shape
        if channels == 1 and len(shape) == 4 and shape[2:] == (height, width):
            return out.reshape(batch, shape[1], num_vars).transpose(1, 2)
        if len(shape) == 5 and shape[1] == channels and shape[3:] == (height, width):
            return out.transpose(1, 2).reshape(batch, shape[2], num_vars).transpose(1, 2)
    raise ValueError(
        f"cannot tell which output belongs to which variable: output shape {shape} for inputs "
        f"shaped (B, {', '.join(map(str, var_shape))}). Pass to_vars=lambda out: ... returning "
        f"a tensor shaped (B, {num_vars}, F) with variable d in row d (x[b].flatten() order).")
