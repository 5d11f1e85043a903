"""made_masks(order, hidden_sizes) implementations: WRONG in one way each, or RIGHT."""
from __future__ import annotations

import numpy as np
import torch


def _rank(order):
    order = torch.as_tensor(order, dtype=torch.long)
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel())
    return rank


def _masks(m_in, hidden_degrees, strict_out=True, m_out=None):
    m_out = m_in if m_out is None else m_out
    layers = [m_in, *hidden_degrees]
    masks = [(layers[l + 1][:, None] >= layers[l][None, :]).float() for l in range(len(hidden_degrees))]
    last = layers[-1][None, :]
    masks.append((m_out[:, None] > last).float() if strict_out else (m_out[:, None] >= last).float())
    return masks


def _cycle(order, hidden_sizes):
    num = len(order)
    return [torch.arange(h) % max(1, num - 1) + 1 for h in hidden_sizes]


# ---------------------------------------------------------------- RIGHT
def deterministic(order, hidden_sizes):
    """Degrees cycle 1..D-1 (the reference's default)."""
    return _masks(_rank(order) + 1, _cycle(order, hidden_sizes))


def random_degrees(order, hidden_sizes, seed=0):
    """Germain et al.: degrees uniform in [min of previous layer, D-1] (numpy RNG)."""
    rng = np.random.RandomState(seed)
    num, low, hidden = len(order), 1, []
    for h in hidden_sizes:
        m = torch.as_tensor(rng.randint(min(low, max(1, num - 1)), max(1, num - 1) + 1, size=h))
        low = int(m.min())
        hidden.append(m)
    return _masks(_rank(order) + 1, hidden)


def evenly_spread(order, hidden_sizes):
    """A different valid assignment: degrees spread by linspace (floor) over 1..D-1."""
    num = len(order)
    hidden = [torch.linspace(1, max(1, num - 1), h).floor().long() for h in hidden_sizes]
    return _masks(_rank(order) + 1, hidden)


def zero_based_loops(order, hidden_sizes):
    """Karpathy-style 0-based degrees (input k-1 .. ), masks built with Python loops."""
    num = len(order)
    order = [int(v) for v in order]
    m_in = [0] * num
    for k, d in enumerate(order):
        m_in[d] = k
    degrees = [m_in] + [[i % max(1, num - 1) for i in range(h)] for h in hidden_sizes]
    masks = []
    for l, h in enumerate(hidden_sizes):
        mk = torch.zeros(h, len(degrees[l]))
        for i in range(h):
            for j in range(len(degrees[l])):
                mk[i, j] = float(degrees[l + 1][i] >= degrees[l][j])
        masks.append(mk)
    out = torch.zeros(num, len(degrees[-1]))
    for d in range(num):
        for j in range(len(degrees[-1])):
            out[d, j] = float(m_in[d] > degrees[-1][j])
    return masks + [out]


# ---------------------------------------------------------------- WRONG
def self_dependence(order, hidden_sizes):
    """'>=' instead of '>' into the output: every output sees itself."""
    return _masks(_rank(order) + 1, _cycle(order, hidden_sizes), strict_out=False)


def identity_order(order, hidden_sizes):
    """Ignores ``order`` and uses 0, 1, ..., D-1."""
    return deterministic(list(range(len(order))), hidden_sizes)


def inverse_order(order, hidden_sizes):
    """Uses order[d] as the step of variable d (the inverse permutation)."""
    return deterministic(_rank(order).tolist(), hidden_sizes)


def off_by_one_degrees(order, hidden_sizes):
    """Input degrees start at 0 (rank) but output degrees at 1 (rank + 1)."""
    rank = _rank(order)
    return _masks(rank, _cycle(order, hidden_sizes), m_out=rank + 1)


def transposed(order, hidden_sizes):
    """Masks returned as (fan_in, fan_out)."""
    return [m.T.contiguous() for m in deterministic(order, hidden_sizes)]


def dead_outputs(order, hidden_sizes):
    """Lower bound = MAX of the previous layer's degrees: degrees saturate at D-1, so
    almost every output is connected to nothing."""
    num, low, hidden = len(order), 1, []
    rank = _rank(order)
    for h in hidden_sizes:
        m = torch.full((h,), max(1, num - 1)) if low > 1 else torch.arange(h) % max(1, num - 1) + 1
        low = int(m.max())
        hidden.append(torch.maximum(m, torch.full_like(m, low)))
    return _masks(rank + 1, hidden)


def bool_masks(order, hidden_sizes):
    """Returns bool masks instead of float 0/1."""
    return [m.bool() for m in deterministic(order, hidden_sizes)]


RIGHT = {"deterministic": deterministic, "random_degrees": random_degrees,
         "evenly_spread": evenly_spread, "zero_based_loops": zero_based_loops}
WRONG = {  # name -> (implementation, substring the failure message must contain)
    "self_dependence": (self_dependence, "depends on its own input"),
    "identity_order": (identity_order, "ordering ignored"),
    "inverse_order": (inverse_order, "wrong way round"),
    "off_by_one_degrees": (off_by_one_degrees, "depends on itself"),
    "transposed": (transposed, "transposed"),
    "dead_outputs": (dead_outputs, "dead outputs"),
    "bool_masks": (bool_masks, "float 0/1"),
}
