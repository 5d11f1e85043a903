"""Dependency heatmap for one output pixel (or, for flat variables, all outputs).

Colours: white = may not see and does not; light grey = may see but does not;
blue = sees (allowed); red = sees but must not (offending); orange = blind spot.
The output pixel is outlined in black. Built on ``matplotlib.figure.Figure``
(no pyplot global state), so it is safe in tests and notebooks alike.
"""
from __future__ import annotations

import numpy as np
import torch
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from arkit.checks.orders import ranks

COLOURS = ["#ffffff", "#d9d9d9", "#3b6fb6", "#d62728", "#ff9f1c"]
LABELS = ["not allowed, unused", "allowed, unused", "used (allowed)", "used but NOT allowed", "blind spot"]
_CMAP = ListedColormap(COLOURS)


def categories(dep_row: torch.Tensor, out_var: int, order: torch.Tensor) -> np.ndarray:
    """Integer category (0..3, see ``LABELS``) of every input for one output; shape (D,)."""
    rank = ranks(order)
    allowed = (rank < rank[out_var]).numpy()
    dep = dep_row.numpy().astype(bool)
    cat = np.where(allowed, 1, 0)
    cat = np.where(dep & allowed, 2, cat)
    return np.where(dep & ~allowed, 3, cat)


def dependency_heatmap(dep: torch.Tensor, rows: torch.Tensor, var_shape, order: torch.Tensor,
                       pixel: tuple[int, int] | None = None, blind_cells=(), title: str = "",
                       offending=()) -> Figure:
    """Figure of the dependencies of output ``pixel`` (images) or of all outputs (flat).

    Args:
        dep: bool (R, D) dependency rows for output variables ``rows`` (R,).
        var_shape: ``(C, H, W)`` for images, else anything flat.
        pixel: (row, col) of the output pixel to draw (images only).
        blind_cells: (row, col) pixels to mark as blind spot.
        offending: (output, input) flat index pairs to mark red although ``dep`` misses
            them (dependencies found only by the black-box cut tests).
    """
    var_shape = tuple(var_shape)
    if len(var_shape) == 3:
        return _image_figure(dep, rows, var_shape, order, pixel, blind_cells, title,
                             offending)
    return _flat_figure(dep, rows, order, title)


def _legend(fig, used):
    handles = [Patch(color=COLOURS[k], label=LABELS[k], ec="#888888") for k in sorted(used)]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=7, frameon=False)


def _image_figure(dep, rows, var_shape, order, pixel, blind_cells, title, offending):
    c_all, h, w = var_shape
    i, j = pixel
    out_vars = [c * h * w + i * w + j for c in range(c_all)]
    row_of = {int(d): r for r, d in enumerate(rows.tolist())}
    fig = Figure(figsize=(2.4 * c_all + 1.4, 2.4 * c_all + 1.4))
    used = set()
    names = ["R", "G", "B"] if c_all == 3 else [str(c) for c in range(c_all)]
    for oc, d in enumerate(out_vars):
        cat = categories(dep[row_of[d]], d, order) if d in row_of else np.zeros(dep.shape[1], int)
        cat[[inp for out, inp in offending if out == d and inp is not None]] = 3
        cat = cat.reshape(c_all, h, w)
        for r, col in blind_cells:
            cat[:, r, col] = np.where(cat[:, r, col] == 1, 4, cat[:, r, col])
        for ic in range(c_all):
            ax = fig.add_subplot(c_all, c_all, oc * c_all + ic + 1)
            ax.imshow(cat[ic], cmap=_CMAP, vmin=-0.5, vmax=4.5, interpolation="nearest")
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="black", lw=1.5))
            ax.set_xticks([])
            ax.set_yticks([])
            if c_all > 1:
                ax.set_title(f"out {names[oc]} <- in {names[ic]}", fontsize=8)
            used |= set(np.unique(cat[ic]).tolist())
    fig.suptitle(title or f"dependencies of output pixel ({i},{j})", fontsize=10)
    _legend(fig, used)
    fig.subplots_adjust(bottom=0.2 if c_all == 1 else 0.1, top=0.86 if c_all == 1 else 0.9)
    return fig


def _flat_figure(dep, rows, order, title):
    rank = ranks(order)
    num = dep.shape[1]
    grid = np.zeros((num, num), dtype=int)  # grid[rank of output, rank of input]
    for r, d in enumerate(rows.tolist()):
        grid[int(rank[d])] = categories(dep[r], d, order)[order.numpy()]
    fig = Figure(figsize=(4.6, 5.0))
    ax = fig.add_subplot(1, 1, 1)
    ax.imshow(grid, cmap=_CMAP, vmin=-0.5, vmax=4.5, interpolation="nearest")
    ax.set_xlabel("input, by generation step")
    ax.set_ylabel("output, by generation step")
    fig.suptitle(title or "dependencies (rows: outputs, columns: inputs)", fontsize=10)
    _legend(fig, set(np.unique(grid).tolist()))
    fig.subplots_adjust(bottom=0.2)
    return fig
