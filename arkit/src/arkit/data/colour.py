"""Procedural colouring: turn grayscale images into 3-channel, 4-level images.

Each image gets one foreground colour from ``FOREGROUND`` (every RGB colour
with levels 0..3 whose brightest channel is 3: 37 colours) and one background
colour from ``BACKGROUND`` (levels 0..1 per channel: 8 dark colours), so the
foreground always differs from the background by at least 2 levels in some
channel. A pixel of gray level ``g`` (0..255) becomes, per channel,
``round((bg * (255 - g) + fg * g) / 255)`` computed in integers.
"""
from __future__ import annotations

import itertools

import numpy as np

LEVELS = 4
FOREGROUND = np.array([c for c in itertools.product(range(LEVELS), repeat=3) if max(c) == LEVELS - 1],
                      dtype=np.int64)                                   # (37, 3)
BACKGROUND = np.array(list(itertools.product(range(2), repeat=3)), dtype=np.int64)  # (8, 3)


def random_colours(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` (foreground, background) colour pairs: two int64 arrays ``(n, 3)`` in 0..3."""
    fg = FOREGROUND[rng.integers(0, len(FOREGROUND), size=n)]
    bg = BACKGROUND[rng.integers(0, len(BACKGROUND), size=n)]
    return fg, bg


def colourize(gray: np.ndarray, fg: np.ndarray, bg: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """Colour grayscale images.

    Args:
        gray: uint8 ``(N, H, W)`` levels 0..255 (0 = background, 255 = foreground).
        fg, bg: int ``(N, 3)`` colours with levels 0..3.

    Returns:
        uint8 ``(N, 3, H, W)`` with levels 0..3 (channels R, G, B).
    """
    n, h, w = gray.shape
    out = np.empty((n, 3, h, w), dtype=np.uint8)
    for lo in range(0, n, chunk):
        g = gray[lo:lo + chunk, None].astype(np.uint16)                  # (B, 1, H, W)
        f = fg[lo:lo + chunk, :, None, None].astype(np.uint16)           # (B, 3, 1, 1)
        b = bg[lo:lo + chunk, :, None, None].astype(np.uint16)
        out[lo:lo + chunk] = (b * (255 - g) + f * g + 127) // 255
    return out
