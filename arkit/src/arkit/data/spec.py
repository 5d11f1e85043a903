"""A dataset recipe: how the registry builds each split of one dataset."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence, Union
import os

import numpy as np

from arkit.data.split import DatasetInfo

PathLike = Union[str, "os.PathLike[str]"]
DataDirs = Union[PathLike, Sequence[PathLike], None]
# build(part, seed, data_dir) -> (x, y or None); part is "train", "valid" or "heldout".
Builder = Callable[[str, int, DataDirs], "tuple[np.ndarray, np.ndarray | None]"]

PARTS = ("train", "valid", "heldout")
# Held-out policies (see docs in data/README.md):
INDEPENDENT_STREAM = "independent-stream"  # 1D/2D: disjoint by sample identity (own seed)
DROP_DUPLICATES = "drop-duplicates"        # images: held-out images equal to a train/valid image are removed


@dataclass(frozen=True)
class DatasetSpec:
    """Recipe of one dataset.

    Attributes:
        info: the shared :class:`DatasetInfo`.
        sizes: nominal number of samples per part (``"heldout"`` is an upper bound
            for ``DROP_DUPLICATES`` sets).
        seed: the PUBLIC seed used for ``"train"`` and ``"valid"``. The held-out
            part is built by the grader with its own secret seed.
        build: ``build(part, seed, data_dir) -> (x, y)``; a pure function of its arguments
            (and of the bytes of the real data files, for MNIST-derived sets).
        heldout_policy: ``INDEPENDENT_STREAM`` or ``DROP_DUPLICATES``.
    """

    info: DatasetInfo
    sizes: dict[str, int]
    seed: int
    build: Builder
    heldout_policy: str


def part_rng(seed: int, part: str) -> np.random.Generator:
    """A numpy Generator for one part of a dataset: an independent stream per (seed, part)."""
    return np.random.default_rng([int(seed), PARTS.index(part)])
