"""Procedural 20x20 images of simple shapes, with class labels.

Each image holds one filled shape: 0 circle, 1 square, 2 triangle, 3 cross
(a plus sign), 4 ring. Centre, size and rotation are continuous random
numbers, so images rarely repeat. A pixel is on when its centre lies inside
the shape (no anti-aliasing).

* ``shapes``: uint8 ``(N, 1, 20, 20)``, 0/1.
* ``shapes_color``: uint8 ``(N, 3, 20, 20)``, levels 0..3: the shape in a random
  bright colour on a random dark background (:mod:`arkit.data.colour`).

Sizes: 4000 train, 1000 valid; the grader's held-out part has at most 1000
images, none equal to a train/valid image.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from arkit.data.colour import colourize, random_colours
from arkit.data.spec import DROP_DUPLICATES, DatasetSpec, part_rng
from arkit.data.split import DatasetInfo

SIZE = 20
CLASSES = ("circle", "square", "triangle", "cross", "ring")
SIZES = {"train": 4000, "valid": 1000, "heldout": 1000}
HELDOUT_OVERSAMPLE = 1.5  # the held-out part is drawn larger, then duplicates are dropped
SEEDS = {"shapes": 31, "shapes_color": 32}
_TRIANGLE_NORMALS = np.array([[np.cos(a), np.sin(a)] for a in np.deg2rad([270.0, 30.0, 150.0])])


def _inside(label: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Membership test in the shape's unit frame (radius-1 scale)."""
    if label == 0:
        return u * u + v * v <= 1.0
    if label == 1:
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8
    if label == 2:
        proj = u[..., None] * _TRIANGLE_NORMALS[:, 0] + v[..., None] * _TRIANGLE_NORMALS[:, 1]
        return proj.max(axis=-1) <= 0.55
    if label == 3:
        au, av = np.abs(u), np.abs(v)
        return ((au <= 0.3) & (av <= 1.0)) | ((av <= 0.3) & (au <= 1.0))
    r2 = u * u + v * v
    return (r2 <= 1.0) & (r2 >= 0.55 ** 2)


def render_shapes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` random shapes.

    Returns:
        masks: uint8 ``(n, 20, 20)`` 0/1; labels: int64 ``(n,)`` indices into ``CLASSES``.
    """
    labels = rng.integers(0, len(CLASSES), size=n)
    scale = rng.uniform(3.0, 7.0, size=n)                  # pixels; the shape spans about 2*scale
    margin = 1.15 * scale + 0.3
    cy = margin + rng.random(n) * (SIZE - 2 * margin)
    cx = margin + rng.random(n) * (SIZE - 2 * margin)
    angle = rng.uniform(0.0, 2 * np.pi, size=n)
    grid = np.arange(SIZE, dtype=np.float64) + 0.5
    dy = (grid[None, :, None] - cy[:, None, None]) / scale[:, None, None]   # (n, 20, 1)
    dx = (grid[None, None, :] - cx[:, None, None]) / scale[:, None, None]   # (n, 1, 20)
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    u = cos * dx + sin * dy                                  # rotate by -angle: (n, 20, 20)
    v = -sin * dx + cos * dy
    masks = np.zeros((n, SIZE, SIZE), dtype=np.uint8)
    for label in range(len(CLASSES)):
        sel = labels == label
        masks[sel] = _inside(label, u[sel], v[sel])
    return masks, labels.astype(np.int64)


def _count(part: str) -> int:
    return int(SIZES[part] * HELDOUT_OVERSAMPLE) if part == "heldout" else SIZES[part]


def _build(color: bool, part: str, seed: int, data_dir=None):
    rng = part_rng(seed, part)
    masks, labels = render_shapes(rng, _count(part))
    if not color:
        return masks[:, None], labels
    fg, bg = random_colours(rng, len(masks))
    return colourize(masks * np.uint8(255), fg, bg), labels


def _spec(name: str) -> DatasetSpec:
    color = name == "shapes_color"
    channels, levels = (3, 4) if color else (1, 2)
    what = "a random bright colour on a random dark background, levels 0..3" if color else "binary 0/1"
    info = DatasetInfo(
        name=name, shape=(channels, SIZE, SIZE), num_values=levels,
        description=(f"Procedural {SIZE}x{SIZE} images of one filled shape ({', '.join(CLASSES)}) with random "
                     f"position, size and rotation; {what}; uint8 (N, {channels}, {SIZE}, {SIZE}); labels = "
                     f"shape class; {SIZES['train']} train / {SIZES['valid']} valid."),
        extra={"classes": CLASSES},
    )
    return DatasetSpec(info, dict(SIZES), SEEDS[name], partial(_build, color), DROP_DUPLICATES)


SPECS = [_spec(name) for name in SEEDS]
