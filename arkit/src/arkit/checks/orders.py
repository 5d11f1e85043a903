"""Generation orders and human names for variables.

A model over ``D`` variables takes ``x`` shaped ``(B, *var_shape)``; variable
``d`` is ``x[b].flatten()[d]`` (C-order, so for images ``d = c*H*W + i*W + j``).
An *order* is a permutation: ``order[k]`` is the variable generated k-th.
``rank[d]`` is the inverse: when variable ``d`` is generated.

A *group order* (Reed et al. 2017: variables sampled in parallel, e.g. the 4 interleaved
sub-lattices of an image) gives ranks with ties: ``group[d]`` in 0..G-1 is the group of
variable d; variables of one group must be conditionally independent given the earlier
groups. A permutation is the special case of one variable per group (then group = rank).
"""
from __future__ import annotations

from typing import Sequence

import torch

COLOUR_NAMES = {3: ("R", "G", "B")}


def identity_order(num_vars: int) -> torch.Tensor:
    """``tensor([0, 1, ..., D-1])`` (int64, shape (D,))."""
    return torch.arange(int(num_vars), dtype=torch.long)


def raster_order(channels: int, height: int, width: int) -> torch.Tensor:
    """Raster order with colour: pixels row-major, channels R -> G -> B within a pixel.

    Returns int64 (C*H*W,): ``order[k]`` is the flat index ``c*H*W + i*W + j``
    of the variable generated k-th.
    """
    c = torch.arange(channels).view(1, 1, channels)
    i = torch.arange(height).view(height, 1, 1)
    j = torch.arange(width).view(1, width, 1)
    return (c * height * width + i * width + j).reshape(-1)


def default_order(var_shape: Sequence[int]) -> torch.Tensor:
    """Raster-with-colour for image shapes (C, H, W), the identity otherwise."""
    var_shape = tuple(var_shape)
    if len(var_shape) == 3:
        return raster_order(*var_shape)
    num = 1
    for s in var_shape:
        num *= int(s)
    return identity_order(num)


def as_order(order, num_vars: int) -> torch.Tensor:
    """Validate ``order`` as a permutation of range(num_vars); int64 tensor (D,)."""
    order = torch.as_tensor(order, dtype=torch.long).reshape(-1).cpu()
    if order.numel() != num_vars or not torch.equal(order.sort().values, identity_order(num_vars)):
        raise ValueError(f"order must be a permutation of range({num_vars}); got {order.tolist()[:12]}...")
    return order


def as_order_and_groups(order, num_vars: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Read ``order`` as a permutation or a group order; returns ``(order, group)``.

    Accepted forms:

    * a permutation of range(D) (``order[k]`` = variable generated k-th) -> ``(order, None)``;
    * a list of groups (list of lists of variable indices, every variable exactly once, the
      groups in sampling order);
    * ranks with ties: a vector of length D whose values are 0..G-1, every value used, at
      least one tie (``group[d]`` = the group of variable d). A tie-free vector is read as a
      permutation; give ranks without ties as a list of one-variable groups.

    A group order whose groups are all single variables is returned as that permutation
    (``group`` None). Otherwise ``group`` is int64 (D,) and ``order`` the stable sort of the
    variables by group (a generation order consistent with the groups).
    """
    if isinstance(order, (list, tuple)) and order and all(
            isinstance(g, (list, tuple, range)) or (isinstance(g, torch.Tensor) and g.dim() == 1)
            for g in order):
        groups = [torch.as_tensor(list(g) if not isinstance(g, torch.Tensor) else g, dtype=torch.long).reshape(-1)
                  for g in order]
        if any(g.numel() == 0 for g in groups):
            raise ValueError("a group order must not contain an empty group")
        flat = torch.cat(groups)
        if flat.numel() != num_vars or not torch.equal(flat.sort().values, identity_order(num_vars)):
            raise ValueError(f"the groups must hold every variable of range({num_vars}) exactly once")
        group = torch.empty(num_vars, dtype=torch.long)
        for g, members in enumerate(groups):
            group[members] = g
    else:
        vec = torch.as_tensor(order, dtype=torch.long).reshape(-1).cpu()
        if vec.numel() == num_vars and torch.equal(vec.sort().values, identity_order(num_vars)):
            return vec, None
        if vec.numel() != num_vars or vec.min() < 0 or not torch.equal(
                torch.unique(vec), torch.arange(int(vec.max()) + 1)):
            raise ValueError(f"order must be a permutation of range({num_vars}), a list of groups, or "
                             f"group ranks 0..G-1 (length {num_vars}, every group used); got "
                             f"{vec.tolist()[:12]}...")
        group = vec
    perm = torch.sort(group, stable=True).indices
    if int(group.max()) + 1 == num_vars:          # one variable per group: a permutation
        return perm, None
    return perm, group


def ranks(order: torch.Tensor) -> torch.Tensor:
    """Inverse permutation: ``rank[d]`` = position of variable d in the order (int64 (D,))."""
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel(), dtype=torch.long)
    return rank


def allowed_matrix(order: torch.Tensor) -> torch.Tensor:
    """Bool (D_out, D_in): ``A[d, e]`` is True iff variable e is generated before d."""
    rank = ranks(order)
    return rank.view(1, -1) < rank.view(-1, 1)


def ordinal(k: int) -> str:
    """``1 -> '1st'``, ``2 -> '2nd'``, ``11 -> '11th'``."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


class VarNamer:
    """Names variables the way a student thinks of them.

    Images ``(C, H, W)``: ``"pixel (3,5) channel G"`` (no channel when C == 1).
    Anything else: ``"x_4 (generated 2nd)"`` (generation rank counted from 1).
    """

    def __init__(self, var_shape: Sequence[int], order: torch.Tensor, group: torch.Tensor | None = None):
        self.var_shape = tuple(int(s) for s in var_shape)
        self.order = order
        self.rank = ranks(order)
        self.group = group  # int64 (D,) for a group order (see :func:`as_order_and_groups`), else None
        self.is_image = len(self.var_shape) == 3

    def pixel(self, d: int) -> tuple[int, int, int]:
        """(channel, row, col) of flat index d for an image shape."""
        c, h, w = self.var_shape
        return d // (h * w), (d // w) % h, d % w

    def name(self, d: int) -> str:
        d = int(d)
        if self.is_image:
            c, i, j = self.pixel(d)
            channels = self.var_shape[0]
            if channels == 1:
                return f"pixel ({i},{j})"
            colour = COLOUR_NAMES.get(channels, None)
            return f"pixel ({i},{j}) channel {colour[c] if colour else c}"
        if self.group is not None:
            return f"x_{d}"
        return f"x_{d} (generated {ordinal(int(self.rank[d]) + 1)})"

    def pair(self, out: int, inp: int) -> str:
        """``"output pixel (3,5) channel G depends on input pixel (3,5) channel B"``."""
        what = "input " if self.is_image else ""
        if int(out) == int(inp):
            return f"output {self.name(out)} depends on itself (on its own input)"
        return f"output {self.name(out)} depends on {what}{self.name(inp)}"
