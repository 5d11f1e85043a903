"""2D joint data: (row, col) points drawn from a picture treated as a density.

The true joint is ``p(row, col) = I[row, col] / sum(I)`` where ``I`` is a
grayscale intensity image: **brighter pixels are denser**. ``x`` is int64
``(N, 2)`` with ``x[:, 0]`` the row (top = 0) and ``x[:, 1]`` the column, so
``plt.imshow(true_density(name))`` and a 2D histogram of the samples look like
the picture.

| name | grid | picture | train | valid |
|---|---|---|---|---|
| picture2d_small | 25x25 | a procedural smiley | 10000 | 2500 |
| picture2d_large | 200x200 | Grace Hopper (matplotlib sample photo) | 100000 | 20000 |
"""
from __future__ import annotations

from functools import partial

import numpy as np

from arkit.data import pictures
from arkit.data.sampling import sample_pmf, unravel
from arkit.data.spec import INDEPENDENT_STREAM, DatasetSpec, part_rng
from arkit.data.split import DatasetInfo

# name -> (picture function, sizes, public seed, description)
PICTURES = {
    "picture2d_small": (pictures.smiley, {"train": 10000, "valid": 2500, "heldout": 10000}, 21,
                        "a procedural 25x25 smiley (outline, eyes, mouth 4x denser than the face)"),
    "picture2d_large": (pictures.photo, {"train": 100000, "valid": 20000, "heldout": 50000}, 22,
                        "the 200x200 grayscale Grace Hopper photo shipped with matplotlib"),
}


def picture_density(name: str) -> np.ndarray:
    """True joint pmf ``(H, W)`` float64 summing to 1 (brighter = denser)."""
    img = PICTURES[name][0]()
    return img / img.sum()


def _build(name: str, part: str, seed: int, data_dir=None):
    density = picture_density(name)
    n = PICTURES[name][1][part]
    return unravel(sample_pmf(density, n, part_rng(seed, part)), density.shape), None


def _spec(name: str) -> DatasetSpec:
    fn, sizes, seed, what = PICTURES[name]
    side = {"picture2d_small": pictures.SMILEY_SIZE, "picture2d_large": pictures.PHOTO_SIZE}[name]
    info = DatasetInfo(
        name=name, shape=(2,), num_values=side,
        description=(f"2D points (row, col), int64 (N, 2), each in 0..{side - 1}, drawn from {what} "
                     f"treated as a density (brighter = denser); {sizes['train']} train / "
                     f"{sizes['valid']} valid. The true joint is info.extra['density'] (H, W)."),
        extra={"density_fn": partial(picture_density, name)},
    )
    return DatasetSpec(info, dict(sizes), seed, partial(_build, name), INDEPENDENT_STREAM)


SPECS = [_spec(name) for name in PICTURES]
