"""Figures of the sequence-models notes (hw2 notebook 1), drawn with the kit's reference code.

* ``nade_cost``: work of one NADE forward pass, counted by ``arkit.checks.WorkCounter``, for the
  running-sum pass and the textbook formula, against D;
* ``row_lstm_field``: what one pixel sees (non-zero gradients) in a raster RNN and in a Row LSTM.
"""
from __future__ import annotations

import numpy as np

FIGURES = ("nade_cost", "row_lstm_field")


def _nade_work(num_vars: int, hidden: int = 16, batch: int = 4) -> tuple[int, int]:
    """(running-sum work, textbook-formula work) of one forward pass, in counted work units."""
    import torch

    from arkit.checks.cost_scaling import count_work
    from autograder.reference.models.nade import nade_logits

    gen = torch.Generator().manual_seed(0)
    W, V = torch.randn(hidden, num_vars, generator=gen), torch.randn(num_vars, hidden, generator=gen)
    c, b = torch.zeros(hidden), torch.zeros(num_vars)
    x = torch.ones(batch, num_vars)

    def running(x):
        contrib = x[:, :, None] * W.T
        return (torch.sigmoid(c + torch.cumsum(contrib, 1) - contrib) * V).sum(-1) + b

    return count_work(running, x)[1].work, count_work(nade_logits, W, c, V, b, x)[1].work


def fig_nade_cost(plt):
    sizes = [25, 50, 100, 200, 400, 800]
    works = np.array([_nade_work(d) for d in sizes], dtype=float)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.loglog(sizes, works[:, 0], "o-", label="running sums: O(DH)")
    ax.loglog(sizes, works[:, 1], "s-", label="textbook formula: O(D$^2$H)")
    ax.set_xlabel("D (pixels)")
    ax.set_ylabel("counted work (FLOPs + element ops)")
    ax.set_title("One NADE forward pass, H = 16, 4 images")
    ax.legend()
    return fig


def _field(model, size: int, pixel, samples: int = 8) -> np.ndarray:
    import torch

    torch.manual_seed(0)
    x = torch.randint(0, 2, (samples, 1, size, size)).double().requires_grad_(True)
    model(x)[:, 0, pixel[0], pixel[1]].abs().sum().backward()
    return (x.grad.abs().sum(0)[0] > 0).numpy()


def fig_row_lstm_field(plt):
    import torch

    from autograder.reference.models.rnn import PixelRNN, RowLSTM

    size, pixel = 13, (8, 6)
    torch.manual_seed(0)
    models = [("RNN over pixels (raster order)", PixelRNN(16).double()), ("Row LSTM (1 layer, k = 3)", RowLSTM(16).double())]
    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    for ax, (title, model) in zip(axes, models):
        seen = _field(model, size, pixel)
        img = np.ones((size, size, 3))
        allowed = np.zeros((size, size), dtype=bool)
        allowed[:pixel[0]] = True
        allowed[pixel[0], :pixel[1]] = True
        img[allowed & seen] = (0.25, 0.45, 0.8)
        img[allowed & ~seen] = (1.0, 0.85, 0.3)
        img[pixel] = (0.85, 0.15, 0.15)
        ax.imshow(img, interpolation="nearest")
        ax.set_xticks(np.arange(-0.5, size), minor=True)
        ax.set_yticks(np.arange(-0.5, size), minor=True)
        ax.grid(which="minor", color="0.8", lw=0.5)
        ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        ax.set_title(f"{title}\n{int((allowed & seen).sum())} of {int(allowed.sum())} allowed pixels seen", fontsize=10)
    fig.suptitle("What the red pixel sees: blue = used, yellow = allowed but never seen", fontsize=10)
    return fig
