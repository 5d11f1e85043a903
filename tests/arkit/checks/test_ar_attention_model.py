"""A full causal self-attention image model through ``check_autoregressive`` (issue 13 item 5).

A decoder-only transformer over the pixels of a binary image in raster order (iGPT style):
the input is shifted right by one (a learned start token in front), learned position
embeddings, causal self-attention whose mask includes the diagonal, so output d sees
x_<d. It does not run on a smaller canvas (the position table is (D, E)), so the check
takes the full, non-convolutional path. Wrong variants: no shift with the diagonal in the
mask (each pixel sees itself), no mask (sees the future), a mask one step too wide.
"""
from __future__ import annotations

import math
import time

import pytest
import torch
from torch import nn

from arkit.checks import check_autoregressive


class CausalImageTransformer(nn.Module):
    """x (B, 1, H, W) in {0, 1} (float) -> Bernoulli logits (B, 1, H, W).

    ``bug``: None (correct), ``'no_shift'`` (input not shifted, diagonal still allowed),
    ``'no_mask'`` (full attention), ``'mask_plus_one'`` (position i also attends to i+1).
    ``style``: ``'sdpa'`` (boolean mask, ``scaled_dot_product_attention``) or ``'manual'``
    (additive -inf mask and an explicit softmax): both correct when ``bug`` is None.
    """

    def __init__(self, h, w, embed=16, heads=2, layers=2, bug=None, style="sdpa", seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.h, self.w, self.d, self.heads, self.bug, self.style = h, w, h * w, heads, bug, style
        self.value = nn.Linear(1, embed)
        self.start = nn.Parameter(torch.randn(embed))
        self.pos = nn.Parameter(0.5 * torch.randn(self.d, embed))
        self.qkv = nn.ModuleList(nn.Linear(embed, 3 * embed) for _ in range(layers))
        self.proj = nn.ModuleList(nn.Linear(embed, embed) for _ in range(layers))
        self.mlp = nn.ModuleList(nn.Sequential(nn.Linear(embed, 2 * embed), nn.GELU(), nn.Linear(2 * embed, embed))
                                 for _ in range(layers))
        self.norm1 = nn.ModuleList(nn.LayerNorm(embed) for _ in range(layers))
        self.norm2 = nn.ModuleList(nn.LayerNorm(embed) for _ in range(layers))
        self.head = nn.Linear(embed, 1)
        i = torch.arange(self.d)
        allowed = i.view(1, -1) <= i.view(-1, 1)                        # (query, key): key <= query
        if bug == "no_mask":
            allowed = torch.ones(self.d, self.d, dtype=torch.bool)
        if bug == "mask_plus_one":
            allowed = i.view(1, -1) <= i.view(-1, 1) + 1
        self.register_buffer("allowed", allowed)

    def forward(self, x):
        b = x.shape[0]
        v = self.value(x.reshape(b, self.d, 1).float())                   # (B, D, E)
        if self.bug != "no_shift":
            v = torch.cat([self.start.expand(b, 1, -1), v[:, :-1]], dim=1)
        z = v + self.pos
        for qkv, proj, mlp, n1, n2 in zip(self.qkv, self.proj, self.mlp, self.norm1, self.norm2):
            z = z + proj(self._attend(qkv(n1(z))))
            z = z + mlp(n2(z))
        return self.head(z).view(b, 1, self.h, self.w)

    def _attend(self, qkv):
        b, d, e3 = qkv.shape
        e = e3 // 3
        q, k, v = (t.reshape(b, d, self.heads, e // self.heads).transpose(1, 2) for t in qkv.split(e, dim=-1))
        if self.style == "sdpa":
            out = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=self.allowed)
        else:
            scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
            scores = scores + torch.zeros(d, d).masked_fill(~self.allowed, float("-inf"))
            out = scores.softmax(dim=-1) @ v
        return out.transpose(1, 2).reshape(b, d, e)


def run(model, h, w, **kw):
    return check_autoregressive(model, (1, h, w), figure=False, family="generic", **kw)


@pytest.mark.parametrize("style", ["sdpa", "manual"])
def test_causal_attention_model_passes_on_the_full_path(style):
    result = run(CausalImageTransformer(8, 8, style=style), 8, 8)
    assert result.passed, result.message
    assert result.details["path"] == "full"
    assert result.details["coverage"] == pytest.approx(1.0)     # attention sees the whole past


@pytest.mark.parametrize("bug, cause", [
    ("no_shift", "output pixel (0,0) depends on itself"),
    ("no_mask", "output pixel (0,0) depends on input pixel"),
    ("mask_plus_one", "output pixel (0,0) depends on input pixel (0,1)"),
])
def test_wrong_attention_models_fail_naming_the_pixel(bug, cause):
    result = run(CausalImageTransformer(8, 8, bug=bug), 8, 8)
    assert not result.passed
    assert cause in result.message, result.message


def test_wrong_attention_model_fails_at_10x10():
    wrong = run(CausalImageTransformer(10, 10, bug="no_shift"), 10, 10)
    assert not wrong.passed and "output pixel (0,0) depends on itself" in wrong.message


def test_causal_attention_model_at_28x28():
    """D = 784 on the full path (the time is printed, never asserted). One test input and
    the planned cuts: the gradient pass is D backward passes through O(D^2) attention, the
    cost that dominates (measured on the 2-core box: 4.7 s with 1 head; 2 heads 7.5-13 s; 2 heads
    with the defaults -- 2 inputs, 784 cuts -- 26 s)."""
    model = CausalImageTransformer(28, 28, embed=16, heads=1, layers=2)
    start = time.perf_counter()
    result = run(model, 28, 28, num_inputs=1, exhaustive=False)
    print(f"check_autoregressive attention D=784: {time.perf_counter() - start:.2f} s, "
          f"{result.details.get('forward_passes')} forward passes, {result.details.get('cuts')} cuts")
    assert result.passed, result.message
    assert result.details["path"] == "full"
