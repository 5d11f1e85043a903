"""Reference masked-attention model with a KV cache (instructor-only; iGPT-style).

Shapes: ``x`` (B, T) integer values 0..K-1, T <= ``max_len`` (images flattened in raster order)
-> logits (B, T, K). The input is shifted right (position 0 reads a learned start token, position
t the embedding of x_{t-1}) plus a learned absolute position embedding; pre-LayerNorm blocks of
causal multi-head self-attention (query t attends to keys 0..t, diagonal included, additive -inf
mask) and an MLP.

Cached generation (:meth:`KVTransformer.step`) follows the step contract of
:func:`arkit.checks.check_step_consistency`: ``step(x_prev, t, cache) -> (logits_t, cache)``. The
cache holds, per layer, preallocated keys and values (B, H, max_len, E/H); step t writes entry t
once and attends over entries 0..t. Work per step: O(E^2) for projections and MLP plus O(t E)
for attention, so O(D E^2 + D^2 E) in total instead of O(D^2 E^2 + D^3 E) for re-running the
network on every prefix.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def additive_causal_mask(n: int, device=None) -> torch.Tensor:
    """(n, n) float: 0 where query i may attend key j (j <= i), -inf above the diagonal."""
    return torch.full((n, n), float("-inf"), device=device).triu(1)


class Block(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def split(self, z: torch.Tensor) -> torch.Tensor:
        """(B, T, E) -> (B, H, T, E/H)."""
        b, t, e = z.shape
        return z.view(b, t, self.heads, e // self.heads).transpose(1, 2)

    def attend(self, q, k, v, mask=None):
        """q (B, H, Tq, Dh), k/v (B, H, Tk, Dh) -> (B, Tq, E)."""
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        if mask is not None:
            scores = scores + mask
        out = torch.softmax(scores, -1) @ v
        b, h, t, dh = out.shape
        return out.transpose(1, 2).reshape(b, t, h * dh)

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv(self.ln1(seq)).chunk(3, -1)
        mask = additive_causal_mask(seq.shape[1], seq.device)
        seq = seq + self.proj(self.attend(self.split(q), self.split(k), self.split(v), mask))
        return seq + self.mlp(self.ln2(seq))

    def step(self, h: torch.Tensor, t: int, keys: torch.Tensor, values: torch.Tensor):
        """h (B, 1, E) at time t; keys/values (B, H, max_len, Dh) written at t -> (B, 1, E)."""
        q, k, v = self.qkv(self.ln1(h)).chunk(3, -1)
        keys[:, :, t] = self.split(k)[:, :, 0]
        values[:, :, t] = self.split(v)[:, :, 0]
        h = h + self.proj(self.attend(self.split(q), keys[:, :, : t + 1], values[:, :, : t + 1]))
        return h + self.mlp(self.ln2(h))


class KVTransformer(nn.Module):
    """Causal masked-attention model; see the module docstring."""

    def __init__(self, max_len: int, num_values: int = 2, dim: int = 32, heads: int = 2,
                 layers: int = 2, seed: int = 0):
        super().__init__()
        state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        self.max_len, self.num_values, self.dim, self.heads = max_len, num_values, dim, heads
        self.embed = nn.Embedding(num_values, dim)
        self.start = nn.Parameter(torch.randn(dim))
        self.pos = nn.Parameter(0.5 * torch.randn(max_len, dim))
        self.blocks = nn.ModuleList(Block(dim, heads) for _ in range(layers))
        self.ln = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, num_values)
        torch.random.set_rng_state(state)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T), T <= max_len -> logits (B, T, K)."""
        b = x.shape[0]
        tokens = self.embed(x.long().reshape(b, -1))
        seq = torch.cat([self.start.expand(b, 1, -1), tokens[:, :-1]], 1) + self.pos[: tokens.shape[1]]
        for block in self.blocks:
            seq = block(seq)
        return self.out(self.ln(seq))

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """(B,) log p(x) in nats."""
        logp = F.log_softmax(self.forward(x), -1)
        return logp.gather(-1, x.long().reshape(x.shape[0], -1, 1)).squeeze(-1).sum(-1)

    def empty_cache(self, batch: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per layer: zero (keys, values), each (B, H, max_len, E/H)."""
        shape = (batch, self.heads, self.max_len, self.dim // self.heads)
        p = self.start
        return [(p.new_zeros(shape), p.new_zeros(shape)) for _ in self.blocks]

    def step(self, x_prev: torch.Tensor, t: int, cache):
        """x_prev (B,) value of x_{t-1} (ignored at t = 0) -> (logits of x_t (B, K), cache)."""
        b = x_prev.shape[0]
        cache = self.empty_cache(b) if cache is None else cache
        h = self.start.expand(b, -1) if t == 0 else self.embed(x_prev.long())
        h = (h + self.pos[t]).unsqueeze(1)
        for block, (keys, values) in zip(self.blocks, cache):
            h = block.step(h, t, keys, values)
        return self.out(self.ln(h))[:, 0], cache
