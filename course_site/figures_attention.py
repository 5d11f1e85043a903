"""Figures of the masked-attention notes (hw2 notebook 3), drawn with the kit's reference code.

* ``attention_mask``: the causal mask of a shifted sequence (diagonal included) next to the
  attention weights of the reference transformer (``KVTransformer``, random weights) through it;
* ``kv_cost``: work of sampling D tokens with the reference transformer, re-running the prefix
  (``sample_naive``) vs the KV cache (``sample_fast``), counted by ``arkit.checks.WorkCounter``.
"""
from __future__ import annotations

import numpy as np

FIGURES = ("attention_mask", "kv_cost")


def fig_attention_mask(plt):
    import torch

    from autograder.reference.models.kv_attention import KVTransformer, additive_causal_mask

    n = 12
    model = KVTransformer(n, 2, dim=16, heads=1, layers=1, seed=0).eval()
    x = torch.randint(0, 2, (1, n), generator=torch.Generator().manual_seed(0))
    block = model.blocks[0]
    with torch.no_grad():
        tokens = model.embed(x)
        seq = torch.cat([model.start.expand(1, 1, -1), tokens[:, :-1]], 1) + model.pos[:n]
        q, k, _ = block.qkv(block.ln1(seq)).chunk(3, -1)
        scores = q @ k.transpose(-1, -2) / np.sqrt(q.shape[-1]) + additive_causal_mask(n)
        weights = torch.softmax(scores, -1)[0].numpy()
    mask = np.isfinite(additive_causal_mask(n).numpy())
    fig, axes = plt.subplots(1, 2, figsize=(8.5, 4))
    axes[0].imshow(mask, cmap="Blues", vmin=0, vmax=1.4)
    axes[0].set_title("causal mask: query i attends keys j <= i\n(key j carries token j - 1: inputs shifted)",
                      fontsize=10)
    im = axes[1].imshow(weights, cmap="viridis")
    axes[1].set_title("attention weights (random weights):\nrows sum to 1, zero above the diagonal", fontsize=10)
    fig.colorbar(im, ax=axes[1], fraction=0.046)
    for ax in axes:
        ax.set_xlabel("key position j")
        ax.set_ylabel("query position i")
    return fig


def _sampling_work(d: int, dim: int = 16, batch: int = 2) -> tuple[int, int]:
    """(naive work, cached work) of sampling d tokens, in counted work units."""
    import torch

    from arkit.checks.cost_scaling import count_work
    from autograder.reference.models.kv_attention import KVTransformer
    from autograder.reference.sampling import sample_fast, sample_naive

    model = KVTransformer(d, 2, dim=dim, heads=2, layers=2, seed=0).eval()
    u = torch.rand(batch, d, generator=torch.Generator().manual_seed(d), dtype=torch.float64)
    naive = count_work(sample_naive, model, u)[1].work
    cached = count_work(sample_fast, model.step, u)[1].work
    return naive, cached


def fig_kv_cost(plt):
    sizes = [25, 50, 100, 200]
    works = np.array([_sampling_work(d) for d in sizes], dtype=float)
    slope = lambda w: np.log(w[-1] / w[-2]) / np.log(sizes[-1] / sizes[-2])  # noqa: E731
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.loglog(sizes, works[:, 0], "s-", label=f"re-run the prefix: ~D^{slope(works[:, 0]):.1f}")
    ax.loglog(sizes, works[:, 1], "o-", label=f"KV cache: ~D^{slope(works[:, 1]):.1f}")
    ax.set_xlabel("D (tokens sampled)")
    ax.set_ylabel("counted work (FLOPs + element ops)")
    ax.set_title("Sampling a 2-layer transformer (E = 16), batch 2")
    ax.legend()
    return fig
