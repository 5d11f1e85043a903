"""An image model with causal masked self-attention over pixels (no convolution).

x (B, 1, H, W) values 0..1 -> logits (B, 2, 1, H, W). Pixels form a raster sequence;
the input is shifted right by one position (a learned start vector first), and each
position attends to positions <= itself of the shifted sequence, so pixel t sees
pixels < t. Learned absolute position embeddings: it runs only at its own size.
"""
from __future__ import annotations

import torch
import torch.nn as nn


class CausalAttentionImage(nn.Module):
    def __init__(self, height, width, dim=16, heads=2, layers=2, seed=0):
        super().__init__()
        state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        n = height * width
        self.embed = nn.Embedding(2, dim)
        self.start = nn.Parameter(torch.randn(1, 1, dim))
        self.pos = nn.Parameter(0.1 * torch.randn(1, n, dim))
        self.blocks = nn.ModuleList(nn.MultiheadAttention(dim, heads, batch_first=True) for _ in range(layers))
        self.mlps = nn.ModuleList(nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.GELU())
                                  for _ in range(layers))
        self.out = nn.Linear(dim, 2)
        self.register_buffer("causal", torch.triu(torch.ones(n, n, dtype=torch.bool), 1))
        self.shape = (height, width)
        torch.random.set_rng_state(state)

    def forward(self, x):
        b = x.shape[0]
        tokens = self.embed(x.long().reshape(b, -1))                        # (B, N, E)
        seq = torch.cat([self.start.expand(b, 1, -1), tokens[:, :-1]], 1) + self.pos
        for attn, mlp in zip(self.blocks, self.mlps):
            seq = seq + attn(seq, seq, seq, attn_mask=self.causal, need_weights=False)[0]
            seq = seq + mlp(seq)
        logits = self.out(seq)                                               # (B, N, 2)
        return logits.transpose(1, 2).reshape(b, 2, 1, *self.shape)
