"""pixelcnn_mask(kernel_size, mask_type, in_channels, out_channels, color_channels=1)
implementations: WRONG in one way each, or RIGHT but written differently."""
from __future__ import annotations

import torch


def _groups(n, c):
    return torch.arange(n) * c // n


def _centre(mask_type, cin, cout, c, rel=None, groups=_groups):
    if c == 1:
        return torch.full((cout, cin), float(mask_type == "B"))
    g, h = groups(cout, c).view(-1, 1), groups(cin, c).view(1, -1)
    rel = rel or ((lambda h, g: h < g) if mask_type == "A" else (lambda h, g: h <= g))
    return rel(h, g).float()


# ---------------------------------------------------------------- RIGHT
def slicing(k, mask_type, cin, cout, c=1):
    """Ones, then zero the future with slices, then set the centre."""
    m, mid = torch.ones(cout, cin, k, k), k // 2
    m[:, :, mid + 1:] = 0
    m[:, :, mid, mid:] = 0
    m[:, :, mid, mid] = _centre(mask_type, cin, cout, c)
    return m


def loops(k, mask_type, cin, cout, c=1):
    """Everything with explicit Python loops (colour groups too)."""
    m, mid = torch.zeros(cout, cin, k, k), k // 2
    for o in range(cout):
        for i in range(cin):
            for r in range(k):
                for s in range(k):
                    if r < mid or (r == mid and s < mid):
                        m[o, i, r, s] = 1.0
                    elif r == mid and s == mid:
                        if c == 1:
                            m[o, i, r, s] = float(mask_type == "B")
                        else:
                            g, h = o * c // cout, i * c // cin
                            m[o, i, r, s] = float(h < g or (mask_type == "B" and h == g))
    return m


def with_tril(k, mask_type, cin, cout, c=1):
    """Raster order as a lower-triangular matrix over the k*k taps (torch.tril)."""
    taps = torch.tril(torch.ones(k * k, k * k), diagonal=-1)[k * k // 2]  # taps before the centre
    m = taps.view(1, 1, k, k).repeat(cout, cin, 1, 1)
    m[:, :, k // 2, k // 2] = _centre(mask_type, cin, cout, c)
    return m


# ---------------------------------------------------------------- WRONG
def future_row_unmasked(k, mask_type, cin, cout, c=1):
    m = slicing(k, mask_type, cin, cout, c)
    m[:, :, k // 2 + 1:] = 1
    return m


def right_unmasked(k, mask_type, cin, cout, c=1):
    m = slicing(k, mask_type, cin, cout, c)
    m[:, :, k // 2, k // 2 + 1:] = 1
    return m


def centre_wrong_a(k, mask_type, cin, cout, c=1):
    """Type 'A' treated like 'B' (centre on)."""
    return slicing(k, "B", cin, cout, c)


def centre_wrong_b(k, mask_type, cin, cout, c=1):
    """Type 'B' treated like 'A' (centre off)."""
    return slicing(k, "A", cin, cout, c)


def transposed(k, mask_type, cin, cout, c=1):
    """Shaped (in_channels, out_channels, k, k)."""
    return slicing(k, mask_type, cout, cin, c)


def interleaved(k, mask_type, cin, cout, c=1):
    """Colour of channel ch taken as ch % c instead of contiguous blocks."""
    m = slicing(k, mask_type, cin, cout, c)
    if c > 1:
        m[:, :, k // 2, k // 2] = _centre(mask_type, cin, cout, c, groups=lambda n, cc: torch.arange(n) % cc)
    return m


def reversed_groups(k, mask_type, cin, cout, c=1):
    """Colour order B -> G -> R at the centre."""
    m = slicing(k, mask_type, cin, cout, c)
    if c > 1:
        rel = (lambda h, g: h > g) if mask_type == "A" else (lambda h, g: h >= g)
        m[:, :, k // 2, k // 2] = _centre(mask_type, cin, cout, c, rel=rel)
    return m


def past_hidden(k, mask_type, cin, cout, c=1):
    """Only the row above is kept: the rest of the past is zeroed."""
    m = slicing(k, mask_type, cin, cout, c)
    m[:, :, : k // 2 - 1] = 0
    return m


RIGHT = {"slicing": slicing, "loops": loops, "with_tril": with_tril}
WRONG = {  # name -> (implementation, substring the failure message must contain)
    "future_row_unmasked": (future_row_unmasked, "future row not masked"),
    "right_unmasked": (right_unmasked, "right of the centre"),
    "centre_wrong_A": (centre_wrong_a, "centre tap of a type 'A' mask is 1"),
    "centre_wrong_B": (centre_wrong_b, "centre tap of a type 'B' mask is 0"),
    "transposed": (transposed, "transposed"),
    "colour_interleaved": (interleaved, "colour groups interleaved"),
    "colour_reversed": (reversed_groups, "colour groups reversed"),
    "past_hidden": (past_hidden, "past not fully visible"),
}
