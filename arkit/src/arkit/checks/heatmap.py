"""Dependency heatmap for one output pixel (or, for flat variables, all outputs).

Colours: white = may not see and does not; light grey = may see but does not;
blue = sees (allowed); red = sees but must not (offending); orange = blind spot.
The output pixel is outlined in black (and named in the legend). Legend text is
``LEGEND_FONTSIZE`` points (~11 px at the feedback page's 80 dpi). Built on ``matplotlib.figure.Figure``
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
LABELS = ["may not see it, does not", "may see it, does not", "sees it (allowed)", "sees it but must NOT",
          "blind spot: may see it, cannot"]
_CMAP = ListedColormap(COLOURS)
LEGEND_FONTSIZE = 10


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


def _legend(fig, used, marked: str | None = None, ncol: int = 1):
    """Legend of the colours in ``used`` and, when given, of the outlined output pixel ``marked``."""
    handles = [Patch(facecolor=COLOURS[k], edgecolor="#888888", label=LABELS[k]) for k in sorted(used)]
    if marked:
        handles.append(Patch(facecolor="none", edgecolor="black", linewidth=1.5, label=marked))
    fig.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=LEGEND_FONTSIZE, frameon=False,
               handlelength=1.4, handleheight=1.2)


def _image_figure(dep, rows, var_shape, order, pixel, blind_cells, title, offending):
    c_all, h, w = var_shape
    i, j = pixel
    out_vars = [c * h * w + i * w + j for c in range(c_all)]
    row_of = {int(d): r for r, d in enumerate(rows.tolist())}
    # inches: title 0.45, panels 3.2 each (2.4 in colour), legend 0.25 per line + 0.2
    used_guess = 5
    legend_in = 0.2 + 0.25 * (used_guess + 1 if c_all == 1 else -(-(used_guess + 1) // 3))
    width = 3.6 if c_all == 1 else 2.4 * c_all + 1.4
    height = 0.45 + (3.2 if c_all == 1 else 2.4 * c_all + 0.6) + legend_in
    fig = Figure(figsize=(width, height))
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
                ax.set_title(f"out {names[oc]} <- in {names[ic]}", fontsize=LEGEND_FONTSIZE)
            used |= set(np.unique(cat[ic]).tolist())
    fig.suptitle(title or f"inputs seen by output pixel ({i},{j})", fontsize=LEGEND_FONTSIZE + 1)
    _legend(fig, used, f"output pixel ({i},{j})", ncol=1 if c_all == 1 else 3)
    lines = (len(used) + 1) if c_all == 1 else -(-(len(used) + 1) // 3)
    fig.set_figheight(height - legend_in + 0.2 + 0.25 * lines)
    fig.subplots_adjust(bottom=(0.15 + 0.24 * lines) / fig.get_figheight(),
                        top=1 - (0.45 if c_all == 1 else 0.75) / fig.get_figheight(),
                        left=0.04, right=0.96)
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
    fig.suptitle(title or "dependencies (rows: outputs, columns: inputs)", fontsize=LEGEND_FONTSIZE + 1)
    used = set(np.unique(grid).tolist())
    _legend(fig, used, ncol=2)
    fig.subplots_adjust(bottom=0.16 + 0.05 * -(-len(used) // 2))
    return fig
