"""Test fixture: the reference solution of notebook 02_made, taken from its jupytext source.

Only the cells that define functions and classes are executed (no data, no training), in a
namespace holding the setup cell's imports, plus a hand-built MADE and fake digits for the inpainting tests.
"""
from __future__ import annotations

import torch

from solution_cells import SOLUTIONS, load_cells

SOURCE = SOLUTIONS / "02_made.py"
CELLS = ("made_masks", "made_masked_linear", "made_masked_linear_expose", "made_model", "made_model_expose",
         "made_inpaint")


def load_solution() -> dict:
    """Namespace with made_masks, MaskedLinear, masked_linear_probe, MADE, made_ar_probe, made_inpaint, ..."""
    return load_cells("02_made", CELLS)


def inpainting_model(ns: dict, seed: int = 0) -> torch.nn.Module:
    """A small untrained MADE over 28x28 binary pixels, biased towards ink fraction ~0.15."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = ns["MADE"](784, 2, [32], one_hot=False)
    with torch.no_grad():
        out = model.layers[-1]
        out.weight.mul_(3.0)
        out.bias.view(784, 2)[:, 1] = -1.7
        out.bias.view(784, 2)[:, 0] = 0.0
    return model.eval()


def fake_digits(n: int = 4, seed: int = 0) -> torch.Tensor:
    """uint8 (n, 1, 28, 28) binary blobs standing in for held-out MNIST digits."""
    gen = torch.Generator().manual_seed(seed)
    x = (torch.rand(n, 1, 28, 28, generator=gen) < 0.15).to(torch.uint8)
    x[:, :, 8:20, 10:18] = 1
    return x
