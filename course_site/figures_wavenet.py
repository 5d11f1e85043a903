"""Figures of the WaveNet notes (hw2 notebook 2), drawn with the kit's reference code.

* ``wavenet_field``: what pixel (14, 14) of a 28x28 image sees (non-zero gradients) through the
  reference WaveNet (``autograder.reference.models.wavenet``) with 3, 6 and 10 dilated layers;
* ``wavenet_cost``: work of naive and cached sampling (``autograder.reference.sampling``),
  counted by ``arkit.checks.WorkCounter`` (FLOPs + element ops, no clock), against D.
"""
from __future__ import annotations

import numpy as np

FIGURES = ("wavenet_field", "wavenet_cost")


def _field(dilations, t: int, side: int = 28) -> np.ndarray:
    """(side, side) bool: inputs whose value changes the logits of variable t (gradients, 2 inputs)."""
    import torch

    from autograder.reference.models.wavenet import WaveNet

    model = WaveNet(side * side, channels=8, dilations=dilations)
    x = torch.randint(0, 2, (2, side * side), generator=torch.Generator().manual_seed(0))
    tokens = model.embed(x).detach().requires_grad_(True)              # (B, T, C): gradient per input
    b = x.shape[0]
    seq = torch.cat([model.start.expand(b, 1, -1), tokens[:, :-1]], 1).transpose(1, 2)
    h = seq
    for d, conv, res in zip(model.dilations, model.convs, model.res):
        a, g = conv(torch.nn.functional.pad(h, (d, 0))).chunk(2, 1)
        h = h + res(torch.tanh(a) * torch.sigmoid(g))
    model.out(h)[:, :, t].sum().backward()
    return (tokens.grad.abs().sum((0, 2)) > 0).reshape(side, side).numpy()


def fig_wavenet_field(plt):
    side, (i, j) = 28, (14, 14)
    t = i * side + j
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
    for ax, dil in zip(axes, ((1, 2, 4), (1, 2, 4, 8, 16, 32), tuple(2 ** k for k in range(10)))):
        seen = _field(dil, t, side)
        img = np.ones((side, side, 3))
        before = np.arange(side * side).reshape(side, side) < t
        img[before & ~seen] = (1.0, 0.85, 0.3)                          # allowed, out of reach
        img[seen] = (0.25, 0.45, 0.8)                                    # seen
        img[i, j] = (0.85, 0.15, 0.15)
        ax.imshow(img, interpolation="nearest")
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(f"dilations 1..{dil[-1]} ({len(dil)} layers)\nreach {1 + sum(dil)} positions", fontsize=10)
    fig.suptitle("What the red pixel sees through a WaveNet on the flattened image: blue = seen, "
                 "yellow = earlier but out of reach", fontsize=10)
    return fig


def _work(how: str, num_vars: int) -> int:
    import torch

    from arkit.checks.cost_scaling import count_work
    from autograder.reference.models.wavenet import WaveNet
    from autograder.reference.sampling import sample_fast, sample_naive

    model = WaveNet(num_vars, channels=8).eval()
    u = torch.rand(1, num_vars, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    with torch.no_grad():
        if how == "cached":
            return count_work(sample_fast, model.step, u)[1].work
        return count_work(sample_naive, model, u)[1].work


def fig_wavenet_cost(plt):
    sizes = [16, 32, 64, 128]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for how, marker in (("naive", "s-"), ("cached", "o-")):
        work = np.array([_work(how, d) for d in sizes], dtype=float)
        e = np.log(work[-1] / work[-2]) / np.log(sizes[-1] / sizes[-2])
        ax.loglog(sizes, work, marker, label=f"{how}: total ~ D$^{{{e:.2f}}}$")
    ax.set_xlabel("D (variables generated)")
    ax.set_ylabel("counted work for one sample (FLOPs + element ops)")
    ax.set_title("Sampling a reference WaveNet (8 channels), dilations up to D", fontsize=10)
    ax.legend()
    return fig
