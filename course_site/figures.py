"""Figures of the course site, drawn at build time by the kit's own code.

``autograder site`` calls :func:`generate` with the staging folder; each
``fig_*`` function below writes one PNG that the notes include as
``/figures/<name>.png``. Sources, in order of preference:

* masks and receptive fields: the trusted reference (``autograder.reference``:
  the mask contract functions and the PixelCNN / Gated PixelCNN models);
* data: ``arkit.data.load_dataset`` and ``arkit.plotting.image_grid``; while a
  dataset cannot be loaded, a stand-in is drawn and its panel says so.

Everything is seeded, so the PNGs are the same on every build.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

FIGURES = ("made_masks", "pixelcnn_masks", "blind_spot", "orders", "datasets", "logistic_mixture", "histogram_2d")


# ---- the kit's own code -------------------------------------------------------

def _made_masks(order, hidden_sizes):
    """Reference MADE masks (fan_out, fan_in) as numpy arrays (order[k] = variable generated k-th)."""
    from autograder.reference.masks import made_masks

    return [m.numpy() for m in made_masks(list(order), list(hidden_sizes))]


def _pixelcnn_mask(k, mask_type, cin, cout, colors=1):
    """Reference PixelCNN mask (cout, cin, k, k) as a numpy array."""
    from autograder.reference.masks import pixelcnn_mask

    return pixelcnn_mask(k, mask_type, cin, cout, color_channels=colors).numpy()


def _receptive_field(model, size: int, samples: int = 16) -> np.ndarray:
    """Inputs with a non-zero gradient of the centre pixel's logits, over random binary images.

    Returns a (size, size) 0/1 array: 1 where some of the ``samples`` inputs
    (seeded) reach the output at the centre.
    """
    import torch

    torch.manual_seed(0)
    x = torch.randint(0, 2, (samples, 1, size, size)).float().requires_grad_(True)
    logits = model(x)                                        # (B, K, 1, H, W)
    logits[:, :, 0, size // 2, size // 2].abs().sum().backward()
    return (x.grad.abs().sum(0)[0] > 0).numpy().astype(float)


def _reference_fields(size: int, layers: int):
    import torch

    from autograder.reference.models.gated_pixelcnn import GatedPixelCNN
    from autograder.reference.models.pixelcnn import PixelCNN

    torch.manual_seed(0)
    pixelcnn = PixelCNN(hidden=16, kernel_size=3, num_b_layers=layers - 1, num_1x1=1)
    gated = GatedPixelCNN(hidden=16, kernel_size=3, num_layers=layers)
    return [(f"PixelCNN (1 A + {layers - 1} B layers, 3x3)", _receptive_field(pixelcnn, size)),
            (f"Gated PixelCNN ({layers} layers, 3x3)", _receptive_field(gated, size))]


# ---- figures ------------------------------------------------------------------

def fig_made_masks(plt):
    order, hidden = [2, 0, 3, 1], [6, 6]
    masks = _made_masks(order, hidden)
    conn = masks[0].T
    for m in masks[1:]:
        conn = conn @ m.T
    fig, axes = plt.subplots(1, len(masks) + 1, figsize=(11, 3.6))
    titles = [f"M{i} ({m.shape[0]}x{m.shape[1]})" for i, m in enumerate(masks)] + ["paths input -> output"]
    for ax, m, title in zip(axes, masks + [conn.T > 0], titles):
        ax.imshow(m, cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[-1].set_xlabel("input variable d")
    axes[-1].set_ylabel("output variable d")
    axes[-1].set_xticks(range(4))
    axes[-1].set_yticks(range(4))
    fig.suptitle(f"MADE masks for order {order}, hidden sizes {hidden} (black = connection kept)", fontsize=11)
    return fig


def fig_pixelcnn_masks(plt):
    fig, axes = plt.subplots(1, 4, figsize=(11, 3))
    for ax, kind in zip(axes[:2], "AB"):
        m = _pixelcnn_mask(5, kind, 1, 1)[0, 0]
        ax.imshow(m, cmap="Greys", vmin=-0.2, vmax=1.2)
        ax.add_patch(plt.Rectangle((1.5, 1.5), 1, 1, fill=False, ec="C3", lw=2))
        ax.set_title(f"5x5 mask, type {kind}")
        ax.set_xticks([])
        ax.set_yticks([])
    for ax, kind in zip(axes[2:], "AB"):
        centre = _pixelcnn_mask(3, kind, 3, 3, colors=3)[:, :, 1, 1]
        ax.imshow(centre, cmap="Greys", vmin=-0.2, vmax=1.2)
        ax.set_xticks(range(3), ["R", "G", "B"])
        ax.set_yticks(range(3), ["R", "G", "B"])
        ax.set_xlabel("input channel")
        ax.set_ylabel("output channel")
        ax.set_title(f"colour centre, type {kind}")
    return fig


def fig_blind_spot(plt):
    size, layers = 11, 4
    fields = _reference_fields(size, layers)
    c = size // 2
    allowed = np.zeros((size, size))
    allowed[:c] = 1
    allowed[c, :c] = 1
    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    for ax, (title, seen) in zip(axes, fields):
        img = np.ones((size, size, 3))
        img[(allowed == 1) & (seen == 1)] = (0.25, 0.45, 0.8)    # seen context
        img[(allowed == 1) & (seen == 0)] = (1.0, 0.85, 0.3)     # allowed but unseen
        img[c, c] = (0.85, 0.15, 0.15)                           # the pixel being predicted
        ax.imshow(img, interpolation="nearest")
        ax.set_xticks(np.arange(-0.5, size), minor=True)
        ax.set_yticks(np.arange(-0.5, size), minor=True)
        ax.grid(which="minor", color="0.8", lw=0.5)
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        rows, cols = np.nonzero(seen)
        box = np.zeros_like(seen)
        box[rows.min():c + 1, cols.min():cols.max() + 1] = 1
        blind = int(((allowed == 1) & (seen == 0) & (box == 1)).sum())
        ax.set_title(f"{title}\nblind spot inside the field: {blind} pixels", fontsize=10)
    fig.suptitle("Receptive field of the red pixel: blue = used, yellow = allowed but never seen", fontsize=10)
    return fig


def fig_orders(plt):
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
    h = w = 5
    ax = axes[0]
    ax.imshow(np.arange(h * w).reshape(h, w), cmap="Blues", alpha=0.6)
    for i in range(h):
        for j in range(w):
            ax.text(j, i, str(i * w + j), ha="center", va="center", fontsize=10)
    ax.set_title("raster order: d = i*W + j")
    ax.set_axis_off()
    ax = axes[1]
    colors = ("#d62728", "#2ca02c", "#1f77b4")
    for i in range(3):
        for j in range(3):
            for c in range(3):
                k = (i * 3 + j) * 3 + c
                ax.add_patch(plt.Rectangle((j + c / 3, 2 - i), 1 / 3, 1, color=colors[c], alpha=0.35))
                ax.text(j + c / 3 + 1 / 6, 2 - i + 0.5, str(k), ha="center", va="center", fontsize=8)
        for j in range(3):
            ax.add_patch(plt.Rectangle((j, 2 - i), 1, 1, fill=False, ec="k", lw=1.5))
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 3)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title("generation step with colour: R -> G -> B", fontsize=10)
    return fig


def _dataset(name, n, rng):
    try:
        from arkit.data import load_dataset

        x = load_dataset(name, "valid").x  # the smaller split: same pictures, faster build
        return x[rng.choice(len(x), size=n, replace=False)], ""
    except Exception as exc:  # dataset not available in this checkout: draw a stand-in
        shape = {"shapes": (1, 20, 20), "shapes_color": (3, 20, 20)}.get(name, (1, 28, 28))
        levels = {"mnist_binary": 2, "shapes": 2, "shapes_color": 4, "mnist_color": 4}.get(name, 2)
        return rng.integers(0, levels, size=(n, *shape)), f" (stand-in: {type(exc).__name__})"


def fig_datasets(plt):
    from arkit.plotting import image_grid

    rng = np.random.default_rng(0)
    sets = [("shapes", 2), ("mnist_binary", 2), ("shapes_color", 4), ("mnist_color", 4)]
    fig, axes = plt.subplots(1, len(sets), figsize=(12, 3.4))
    for ax, (name, levels) in zip(axes, sets):
        x, note = _dataset(name, 16, rng)
        grid = image_grid(x, nrow=4, num_values=levels)
        ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_title(name + note, fontsize=10)
        ax.set_axis_off()
    return fig


def fig_histogram_2d(plt):
    try:
        from arkit.data import load_dataset

        x = load_dataset("picture2d_small", "train").x
        note = "picture2d_small"
    except Exception as exc:
        rng = np.random.default_rng(1)
        x = np.clip(rng.normal(12, 4, size=(10000, 2)).round(), 0, 24).astype(int)
        note = f"stand-in Gaussian ({type(exc).__name__})"
    counts = np.zeros((25, 25))
    np.add.at(counts, (x[:, 0], x[:, 1]), 1)
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
    axes[0].imshow(counts / counts.sum(), cmap="magma", interpolation="nearest")
    axes[0].set_title(f"p(x1, x2): {note}", fontsize=10)
    axes[0].set_axis_off()
    marg = counts.sum(1) / counts.sum()
    axes[1].bar(np.arange(25), marg, color="C0")
    axes[1].set_title("p(x1) = sum over x2")
    axes[1].set_xlabel("x1 (row)")
    return fig


def fig_logistic_mixture(plt):
    import torch

    logits = torch.tensor([0.0, 0.5, -0.5])
    means = torch.tensor([30.0, 128.0, 250.0])
    scales = torch.tensor([6.0, 20.0, 3.0])
    k = torch.arange(256.0)[:, None]
    upper = torch.where(k == 255, torch.tensor(1.0), torch.sigmoid((k + 0.5 - means) / scales))
    lower = torch.where(k == 0, torch.tensor(0.0), torch.sigmoid((k - 0.5 - means) / scales))
    probs = ((upper - lower) * torch.softmax(logits, 0)).sum(1).numpy()
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.bar(np.arange(256), probs, width=1.0, color="C0")
    ax.set_xlabel("pixel value x")
    ax.set_ylabel("P(x)")
    ax.set_title(f"3 logistics discretized to 256 bins; edge bin 255 holds {probs[255]:.3f} (sum = {probs.sum():.4f})",
                 fontsize=10)
    return fig


def _all_figures():
    """``(name, fig_function)`` for :data:`FIGURES` here, then for the ``FIGURES`` of every sibling
    ``figures_<topic>.py`` (one file per topic, e.g. ``figures_wavenet.py``), in file-name order."""
    import importlib.util

    found = [(name, globals()[f"fig_{name}"]) for name in FIGURES]
    for path in sorted(Path(__file__).resolve().parent.glob("figures_*.py")):
        spec = importlib.util.spec_from_file_location(f"course_site_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found += [(name, getattr(module, f"fig_{name}")) for name in getattr(module, "FIGURES", ())]
    return found


def generate(out_dir: Path) -> list[Path]:
    """Write every figure as ``out_dir/<name>.png`` (100 dpi); return the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in _all_figures():
        fig = draw(plt)
        path = out_dir / f"{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=100, metadata={"Software": None})
        plt.close(fig)
        written.append(path)
    return written


if __name__ == "__main__":
    import sys

    for p in generate(Path(sys.argv[1] if len(sys.argv) > 1 else "figures")):
        print(p)
