"""Gradient dependencies (:mod:`arkit.checks.dependency`): the batched backward gives exactly
the pattern an independent implementation gives (``torch.func.jacrev``, one input at a time),
whatever the chunking, and its cost is counted, not timed."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from arkit.checks import dependency as dep_mod
from arkit.checks.dependency import (REL_TOL, auto_chunk, gradient_dependency, gradient_dependency_and_seen,
                                     moved_mask)
from arkit.checks.probe import ModelProbe
from autograder.reference.models import MADE, KVTransformer


class TinyAttention(nn.Module):
    """x (B, D) in {0, 1} -> logits (B, D, 1): shifted input, causal attention (SDPA or an explicit
    softmax with an additive -inf mask), an MLP."""

    def __init__(self, d, embed=8, style="manual"):
        super().__init__()
        torch.manual_seed(1)
        self.d, self.style = d, style
        self.value, self.start = nn.Linear(1, embed), nn.Parameter(torch.randn(embed))
        self.pos = nn.Parameter(torch.randn(d, embed))
        self.qkv, self.mlp = nn.Linear(embed, 3 * embed), nn.Sequential(nn.Linear(embed, embed), nn.GELU())
        self.head = nn.Linear(embed, 1)

    def forward(self, x):
        b = x.shape[0]
        v = self.value(x.reshape(b, self.d, 1).float())
        z = torch.cat([self.start.expand(b, 1, -1), v[:, :-1]], 1) + self.pos
        q, k, v = self.qkv(z).chunk(3, -1)
        if self.style == "sdpa":
            a = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            mask = torch.full((self.d, self.d), float("-inf")).triu(1)
            a = ((q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1]) + mask).softmax(-1) @ v
        return self.head(self.mlp(z + a))


def jacrev_union(model, x):
    """Bool (D, D): union over the inputs of jacrev's nonzero pattern (outputs weighted as the check does)."""
    gen = torch.Generator().manual_seed(1234)
    out = model(x[:1].float())
    weights = torch.randn(out.shape[-1], generator=gen) + 2.0
    f = lambda v: (model(v.view(1, -1)) * weights).sum(-1)[0]  # noqa: E731  (D,) from (D,)
    return torch.stack([torch.func.jacrev(f)(xi.float()) != 0 for xi in x]).any(0)


@pytest.mark.parametrize("make", [
    lambda: MADE(12, [16, 16], num_values=2, degrees="random", seed=3),
    lambda: MADE(10, [24], num_values=3),
    lambda: TinyAttention(9, style="manual"),
    lambda: TinyAttention(9, style="sdpa"),
], ids=["made-random-degrees", "made-3-values", "attention-additive-mask", "attention-sdpa"])
def test_pattern_equals_jacrev_union_over_inputs(make):
    """Is `seen` (any nonzero gradient) exactly jacrev's pattern, unioned over the test inputs?"""
    model = make().eval()
    d = model.num_vars if isinstance(model, MADE) else model.d
    probe = ModelProbe(model, (d,), 2)
    x, _ = probe.sample(3, seed=5)
    dep, seen = gradient_dependency_and_seen(probe, x)
    assert torch.equal(seen, jacrev_union(model, x))
    assert not bool((dep & ~seen).any())                       # REL_TOL only removes pairs


@pytest.mark.parametrize("chunk", [1, 5, None])
def test_chunking_does_not_change_the_result(chunk):
    """Rows one at a time, in odd chunks, or sized automatically: the same two matrices."""
    model = MADE(20, [32, 32], num_values=2, degrees="random", seed=0).eval()
    probe = ModelProbe(model, (20,), 2)
    x, _ = probe.sample(2, seed=0)
    ref = gradient_dependency_and_seen(probe, x, chunk=20)
    got = gradient_dependency_and_seen(probe, x, chunk=chunk)
    assert all(torch.equal(a, b) for a, b in zip(ref, got))


def test_union_finds_a_path_dead_for_one_input():
    """A path x_0 -> output 2 through a ReLU that is dead for the first input is still found."""
    class Gated(nn.Module):
        def forward(self, x):
            gate = torch.relu(x[:, 1:2] - 0.5)                    # dead when x_1 = 0
            out = torch.zeros(x.shape[0], 3, 1)
            return out + torch.stack([0 * x[:, 0], x[:, 0], gate[:, 0] * x[:, 0]], 1).unsqueeze(-1)

    probe = ModelProbe(Gated(), (3,), 2, input_dtype=torch.float32)
    dead = torch.tensor([[1.0, 0.0, 0.0]])
    alive = torch.tensor([[1.0, 1.0, 0.0]])
    assert not bool(gradient_dependency(probe, dead)[2, 0])
    assert bool(gradient_dependency(probe, torch.cat([dead, alive]))[2, 0])


def test_tiny_but_real_path_is_seen_not_a_leak():
    """|grad| below REL_TOL x the row's largest counts as float noise for the verdict, but is seen."""
    class Scaled(nn.Module):
        def forward(self, x):
            return torch.stack([x[:, 0], x[:, 0] + 1e-9 * x[:, 1]], 1).unsqueeze(-1)

    probe = ModelProbe(Scaled(), (2,), 2, input_dtype=torch.float32)
    x = torch.ones(1, 2)
    dep, seen = gradient_dependency_and_seen(probe, x)
    assert not bool(dep[1, 1]) and bool(seen[1, 1])
    assert torch.equal(gradient_dependency(probe, x, rel_tol=REL_TOL), dep)


def test_embedding_models_differentiate_at_the_embedding_output():
    """An int-input transformer (KV reference, shifted input): output t sees exactly x_<t."""
    model = KVTransformer(max_len=7, num_values=3, dim=8, heads=2, layers=1).eval()
    probe = ModelProbe(model, (7,), 3)
    x, _ = probe.sample(2, seed=0)
    seen = gradient_dependency(probe, x, rel_tol=0.0)
    assert torch.equal(seen, torch.ones(7, 7, dtype=torch.bool).tril(-1))


def test_batched_backwards_are_counted(monkeypatch):
    """Cost, counted: the 784 MADE rows take a few batched backwards (chunks sized from what the
    forward saved, :func:`auto_chunk`), an attention model that saves (B, H, D, D) scores more."""
    calls = []
    grad = torch.autograd.grad

    def counting(*args, **kw):
        calls.append(kw.get("is_grads_batched", False))
        return grad(*args, **kw)

    monkeypatch.setattr(dep_mod.torch.autograd, "grad", counting)
    made = MADE(784, [512, 512], num_values=2).eval()
    probe = ModelProbe(made, (784,), 2)
    gradient_dependency_and_seen(probe, probe.sample(2, 0)[0])
    assert all(calls) and 1 <= len(calls) <= 4, calls
    made_calls = len(calls)
    calls.clear()
    attn = TinyAttention(256, style="manual").eval()
    probe = ModelProbe(attn, (256,), 2)
    gradient_dependency_and_seen(probe, probe.sample(2, 0)[0])
    assert all(calls) and made_calls < len(calls) <= 256, calls


def test_auto_chunk_bounds_the_batched_backward():
    """The largest temporary stays at CHUNK_ELEMENTS, all of them at TOTAL_ELEMENTS, rows at MAX_CHUNK."""
    big, total = dep_mod.CHUNK_ELEMENTS, dep_mod.TOTAL_ELEMENTS
    assert auto_chunk((big // 10, big // 100), out_numel=10, num_rows=784) == 100
    assert auto_chunk((total // 50, 10), out_numel=0, num_rows=784) == 50
    assert auto_chunk((big, big), out_numel=1, num_rows=784) == 1
    assert auto_chunk((0, 0), out_numel=1, num_rows=10**6) == dep_mod.MAX_CHUNK
    assert auto_chunk((0, 0), out_numel=1, num_rows=7) == 7


def test_forward_chunk_fits_big_activations():
    """The cuts' forward calls take fewer samples when one sample's largest activation is big."""
    probe = ModelProbe(TinyAttention(256, style="manual").eval(), (256,), 2)
    before = probe.chunk
    gradient_dependency(probe, probe.sample(2, 0)[0])
    assert probe.chunk == max(1, dep_mod.CHUNK_ELEMENTS // (256 * 256)) < before
    made = ModelProbe(MADE(784, [512, 512], num_values=2).eval(), (784,), 2)
    before = made.chunk
    gradient_dependency(made, made.sample(2, 0)[0])
    assert made.chunk >= 784 > before                    # small activations: all 784 cuts in one call
    tiny = ModelProbe(MADE(4, [8], num_values=2).eval(), (4,), 2)
    gradient_dependency(tiny, tiny.sample(2, 0)[0])
    assert tiny.chunk == dep_mod.MAX_FORWARD_CHUNK       # capped


def test_changed_from_changes_exactly_the_marked_variables():
    """One draw of replacement values, broadcast: marked variables differ, the others are kept."""
    for num_values, shape in ((2, (6,)), (5, (1, 2, 3)), (None, (6,))):
        probe = ModelProbe(lambda v: v.reshape(v.shape[0], -1), shape, num_values, input_dtype=torch.float32)
        xb = probe.sample(1, 3)[0][0]
        where = torch.rand(4, 6, generator=torch.Generator().manual_seed(0)) < 0.5
        out = probe.changed_from(xb, where, seed=1)
        assert out.shape == (4, *shape) and out.dtype == torch.float32
        flat = out.reshape(4, -1)
        assert torch.equal(flat != xb.reshape(1, -1).float(), where)
        if num_values is not None:
            assert bool(((flat >= 0) & (flat < num_values) & (flat == flat.round())).all())


def test_moved_mask_tolerance():
    """An output moves when |new - old| > 1e-5 (1 + |old|) for some of its F values."""
    old = torch.tensor([[[1.0, 0.0], [100.0, 0.0]]], dtype=torch.float64)
    new = torch.tensor([[[1.0 + 1.9e-5, 0.0], [100.0 + 2e-3, 0.0]], [[1.0, 2e-5], [100.0, 0.0]]],
                       dtype=torch.float64)
    assert moved_mask(new, old).tolist() == [[False, True], [True, False]]
    assert torch.equal(old, torch.tensor([[[1.0, 0.0], [100.0, 0.0]]], dtype=torch.float64))  # not modified
