"""Figures of the notes page on multiscale sampling and Fisher scores (``14_multiscale_fisher.md``).

Drawn with the trusted reference (:mod:`autograder.reference.models.multiscale`): the group map,
and the network evaluations per image counted by the grader's own sampling loop.
"""
from __future__ import annotations

FIGURES = ("multiscale_groups",)


def _evaluations(side: int) -> int:
    """Forward calls of the reference network while the trusted loop samples one side x side image."""
    import torch

    from autograder.assignments.hw2.multiscale import run_group_sampler
    from autograder.reference.models.multiscale import GroupNet, multiscale_groups

    def step(x, known, logits, u):
        groups = multiscale_groups(*x.shape[-2:])
        new = groups == groups[~known].min()
        return torch.where(new, (u >= 1 - torch.sigmoid(logits.double())).long(), x), known | new

    net = GroupNet(4, seed=0).eval()
    calls = [0]
    handle = net.register_forward_pre_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    try:
        run_group_sampler(step, net, torch.rand(1, 1, side, side, dtype=torch.float64,
                                                generator=torch.Generator().manual_seed(0)))
    finally:
        handle.remove()
    return calls[0]


def fig_multiscale_groups(plt):
    """Left: the group of every pixel of a 16x16 image. Middle: what is known after groups 0..g.
    Right: network evaluations per image against N, raster (N) and multiscale (counted)."""
    import numpy as np

    from autograder.reference.models.multiscale import multiscale_groups

    groups = multiscale_groups(16, 16).numpy()
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    im = axes[0].imshow(groups, cmap="viridis")
    axes[0].set_title("group of each pixel (16x16)")
    fig.colorbar(im, ax=axes[0], fraction=0.046)
    axes[1].imshow(np.where(groups <= 2, groups + 1, 0), cmap="Greens", vmin=0, vmax=4)
    axes[1].set_title("known after groups 0, 1, 2 (16 pixels)")
    for ax in axes[:2]:
        ax.set_xticks([])
        ax.set_yticks([])
    sides = [4, 8, 16, 32, 64]
    n = [s * s for s in sides]
    axes[2].loglog(n, n, "o-", label="raster: one evaluation per pixel")
    axes[2].loglog(n, [_evaluations(s) for s in sides], "s-", label="multiscale: one per group (counted)")
    axes[2].set_xlabel("pixels N")
    axes[2].set_ylabel("network evaluations per image")
    axes[2].legend()
    axes[2].set_title("sampling cost")
    fig.tight_layout()
    return fig
