"""Figures the notebooks and the grader's feedback share (matplotlib only)."""
from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib.pyplot as plt

    return plt


def to_numpy(images) -> np.ndarray:
    """Tensor or array -> numpy array on the CPU."""
    if hasattr(images, "detach"):
        images = images.detach().cpu().numpy()
    return np.asarray(images)


def image_grid(images, nrow: int = 8, num_values: int | None = None, pad: int = 1) -> np.ndarray:
    """Tile images (N, C, H, W) or (N, H, W) into one float image in [0, 1].

    ``num_values`` is the number of levels per channel (2 for binary, 4 for the
    colour sets, 256 for 8-bit); by default the maximum value + 1.
    Returns (rows*(H+pad)-pad, cols*(W+pad)-pad, C) with C in {1, 3}.
    """
    x = to_numpy(images).astype(np.float64)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4:
        raise ValueError(f"expected images shaped (N, C, H, W) or (N, H, W), got {x.shape}")
    n, c, h, w = x.shape
    levels = num_values or int(x.max()) + 1 if x.size else 2
    x = x / max(levels - 1, 1)
    ncol = min(nrow, max(n, 1))
    nrows = int(np.ceil(n / ncol)) if n else 1
    grid = np.ones((nrows * (h + pad) - pad, ncol * (w + pad) - pad, c))
    for k in range(n):
        r, q = divmod(k, ncol)
        grid[r * (h + pad): r * (h + pad) + h, q * (w + pad): q * (w + pad) + w] = x[k].transpose(1, 2, 0)
    return np.clip(grid, 0.0, 1.0)


def show_samples(images, nrow: int = 8, title: str | None = None, num_values: int | None = None, ax=None):
    """Draw an image grid; returns the matplotlib Figure."""
    plt = _plt()
    grid = image_grid(images, nrow=nrow, num_values=num_values)
    if ax is None:
        fig, ax = plt.subplots(figsize=(min(12, 1.2 * grid.shape[1] / 10 + 2), min(12, 1.2 * grid.shape[0] / 10 + 2)))
    else:
        fig = ax.figure
    ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def plot_losses(train, test, title: str = "", unit: str = "nats/dim", ax=None):
    """Training curve per iteration and test curve per epoch (including epoch 0).

    ``train`` has one value per iteration; ``test`` has ``epochs + 1`` values.
    Returns the Figure.
    """
    plt = _plt()
    train = np.asarray(train, dtype=float)
    test = np.asarray(test, dtype=float)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4))
    else:
        fig = ax.figure
    ax.plot(np.arange(len(train)), train, label="train", lw=1)
    if len(test):
        steps = len(train) / max(len(test) - 1, 1)
        ax.plot(np.arange(len(test)) * steps, test, "o-", label="test")
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"loss ({unit})")
    if title:
        ax.set_title(title)
    ax.legend()
    return fig


def plot_distribution(probs, data=None, title: str = "", ax=None):
    """Bar chart of a 1D model distribution ``probs`` (K,), over an empirical histogram of ``data``."""
    plt = _plt()
    probs = to_numpy(probs).astype(float)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
    else:
        fig = ax.figure
    k = np.arange(len(probs))
    if data is not None:
        counts = np.bincount(to_numpy(data).astype(int), minlength=len(probs))[: len(probs)]
        ax.bar(k, counts / max(counts.sum(), 1), color="0.8", label="data")
    ax.plot(k, probs, "o-", color="C3", ms=3, label="model")
    ax.set_xlabel("x")
    ax.set_ylabel("probability")
    if title:
        ax.set_title(title)
    ax.legend()
    return fig


def plot_joint(true_density, model_density, titles=("true", "model")):
    """Two heatmaps side by side for 2D joint distributions (arrays (H, W) summing to 1)."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    for ax, dens, t in zip(axes, (true_density, model_density), titles):
        ax.imshow(to_numpy(dens), cmap="magma", interpolation="nearest")
        ax.set_title(t)
        ax.set_axis_off()
    return fig


def figure_to_png_bytes(fig, dpi: int = 100) -> bytes:
    """Render a Figure to PNG bytes (for HTML feedback) and close it."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()
