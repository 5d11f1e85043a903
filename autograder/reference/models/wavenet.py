"""Reference WaveNet (instructor-only): a causal dilated convolution stack over D discrete
variables, with a cached one-step generator (fast generation, Paine et al. 2016).

Shapes: ``x`` (B, D) integer values 0..K-1 (float or int dtype; images are flattened in raster
order first) -> logits (B, D, K): position t's logits are the distribution of x_t given x_<t.
The input is shifted right: position t reads x_{t-1}, position 0 reads a learned start vector.
Each layer is a gated convolution of kernel 2 and dilation d (tanh * sigmoid, residual), left
padded with zeros; dilations 1, 2, 4, ... cover the whole sequence.

Cached generation (:meth:`WaveNet.step`) follows the step contract of
:func:`arkit.checks.check_step_consistency`: ``step(x_prev, t, cache) -> (logits_t, cache)``.
The cache holds, for every layer, a ring buffer of its last ``d`` inputs (B, d, C): slot
``t % d`` holds the input of time t-d (zeros before the sequence starts, like the zero padding),
is read, then overwritten by the input of time t. Work per step is constant in D.
"""
from __future__ import annotations


import torch
import torch.nn as nn
import torch.nn.functional as F


def dilations_for(num_vars: int) -> tuple[int, ...]:
    """1, 2, 4, ... until the receptive field (sum + 1) covers ``num_vars`` positions."""
    out, field = [], 1
    while field < num_vars:
        out.append(2 ** len(out))
        field += out[-1]
    return tuple(out) or (1,)


class WaveNet(nn.Module):
    """Gated dilated causal convolutions; see the module docstring for shapes and the cache."""

    def __init__(self, num_vars: int, num_values: int = 2, channels: int = 32,
                 dilations: tuple[int, ...] | None = None, seed: int = 0):
        super().__init__()
        state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        self.num_vars, self.num_values, self.channels = num_vars, num_values, channels
        self.dilations = tuple(dilations) if dilations is not None else dilations_for(num_vars)
        self.embed = nn.Embedding(num_values, channels)
        self.start = nn.Parameter(torch.randn(channels))
        self.convs = nn.ModuleList(nn.Conv1d(channels, 2 * channels, 2, dilation=d)
                                   for d in self.dilations)
        self.res = nn.ModuleList(nn.Conv1d(channels, channels, 1) for _ in self.dilations)
        self.out = nn.Sequential(nn.ReLU(), nn.Conv1d(channels, channels, 1), nn.ReLU(),
                                 nn.Conv1d(channels, num_values, 1))
        torch.random.set_rng_state(state)

    # ------------------------------------------------------------------ parallel
    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T): position t holds the embedding of x_{t-1}; position 0 the start vector."""
        b = x.shape[0]
        tokens = self.embed(x.long().reshape(b, -1))                      # (B, T, C)
        seq = torch.cat([self.start.expand(b, 1, -1), tokens[:, :-1]], 1)
        return seq.transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, T) with T <= anything (causal, no positions) -> logits (B, T, K)."""
        h = self.inputs(x)
        for d, conv, res in zip(self.dilations, self.convs, self.res):
            a, g = conv(F.pad(h, (d, 0))).chunk(2, 1)
            h = h + res(torch.tanh(a) * torch.sigmoid(g))
        return self.out(h).transpose(1, 2)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """(B,) log p(x) in nats."""
        logp = F.log_softmax(self.forward(x), -1)
        return logp.gather(-1, x.long().reshape(x.shape[0], -1, 1)).squeeze(-1).sum(-1)

    # ------------------------------------------------------------------ cached
    def empty_cache(self, batch: int) -> list[torch.Tensor]:
        """One zero ring buffer (B, d, C) per layer."""
        p = self.start
        return [torch.zeros(batch, d, self.channels, dtype=p.dtype, device=p.device)
                for d in self.dilations]

    def step(self, x_prev: torch.Tensor, t: int, cache):
        """x_prev (B,) value of x_{t-1} (ignored at t = 0) -> (logits of x_t (B, K), cache)."""
        b = x_prev.shape[0]
        cache = self.empty_cache(b) if cache is None else cache
        h = self.start.expand(b, -1) if t == 0 else self.embed(x_prev.long())
        for d, conv, res, buf in zip(self.dilations, self.convs, self.res, cache):
            slot = t % d
            past = buf[:, slot].clone()                                     # input of time t-d
            buf[:, slot] = h
            w = conv.weight                                                 # (2C, C, 2)
            a, g = (past @ w[:, :, 0].T + h @ w[:, :, 1].T + conv.bias).chunk(2, -1)
            h = h + F.linear(torch.tanh(a) * torch.sigmoid(g), res.weight[:, :, 0], res.bias)
        return self.out(h.unsqueeze(-1)).squeeze(-1), cache

    def flops_per_step(self) -> int:
        """Multiply-adds x 2 of one cached step for one example (for reports)."""
        c, k = self.channels, self.num_values
        return 2 * (len(self.dilations) * (2 * c * 2 * c + c * c) + c * c + c * k)


def receptive_field(model: WaveNet) -> int:
    """Number of past inputs position t can see (including its own shifted input)."""
    return 1 + sum(model.dilations)


__all__ = ["WaveNet", "dilations_for", "receptive_field"]
