"""Mask-contract implementations wrong in one way each, written for the validity suite.

* ``one_row_below``: ``pixelcnn_mask`` that zeroes only the row directly below the
  centre (right for 3x3, leaks rows below for 5x5) AND lets each colour see itself
  at a type 'A' centre: the leak of future rows is the more severe violation.
* ``list_only_made_masks``: ``made_masks`` that looks variables up in a dict built
  from ``order``; with an int tensor order, the keys are 0-d tensors and
  ``pos[0]`` raises ``KeyError: 0``. Correct for lists.
"""
from __future__ import annotations

import torch


def one_row_below(k, mask_type, cin, cout, c=1):
    m = torch.ones(cout, cin, k, k)
    ctr = k // 2
    m[:, :, ctr + 1:ctr + 2] = 0                                  # only the first row below
    m[:, :, ctr, ctr + 1:] = 0
    gi = torch.arange(cin) * c // cin
    go = torch.arange(cout) * c // cout
    rel = gi.view(1, -1) <= go.view(-1, 1)                        # 'B' rule for both types
    if c == 1 and mask_type == "A":
        rel = torch.zeros_like(rel)
    m[:, :, ctr, ctr] = rel.float()
    return m


def list_only_made_masks(order, hidden_sizes):
    pos = {v: k for k, v in enumerate(order)}                     # step of each variable
    num = len(order)
    deg_in = torch.tensor([pos[d] + 1 for d in range(num)])
    layers, low = [deg_in], 1
    for w in hidden_sizes:
        deg = torch.tensor([low + (u % max(1, num - low)) for u in range(w)])
        layers.append(deg)
        low = int(deg.min())
    masks = [(b[:, None] >= a[None, :]).float() for a, b in zip(layers[:-1], layers[1:])]
    return masks + [(deg_in[:, None] > layers[-1][None, :]).float()]
