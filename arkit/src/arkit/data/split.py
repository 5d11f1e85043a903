"""The containers every loader returns: :class:`Split` and :class:`DatasetInfo`."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class DatasetInfo:
    """What one sample of a dataset looks like.

    Attributes:
        name: registry name, e.g. ``"mnist_binary"``.
        shape: shape of ONE sample, e.g. ``()`` for 1D data, ``(2,)`` for a
            (row, col) point, ``(C, H, W)`` for an image.
        num_values: every variable takes values in ``0 .. num_values - 1``.
        description: one paragraph for humans (source, size, how it was made).
        extra: family-specific facts, e.g. ``"density"`` (the true pmf) for the
            1D and 2D sets, ``"classes"`` (label names) for labelled sets.
    """

    name: str
    shape: tuple[int, ...]
    num_values: int
    description: str
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def num_dims(self) -> int:
        """Number of modelled scalar variables per sample (the 'dim' of nats/dim)."""
        return math.prod(self.shape) if self.shape else 1


@dataclass
class Split:
    """One split of one dataset.

    Attributes:
        x: numpy array ``(N, *info.shape)`` with values in ``0 .. info.num_values - 1``.
        y: int64 labels ``(N,)``, or ``None`` for unlabelled sets.
        info: the :class:`DatasetInfo` shared by all splits of the dataset.
        split: ``"train"``, ``"valid"`` or ``"heldout"`` (grader only).
    """

    x: np.ndarray
    y: np.ndarray | None
    info: DatasetInfo
    split: str = "train"

    def __post_init__(self) -> None:
        if self.x.shape[1:] != tuple(self.info.shape):
            raise ValueError(f"{self.info.name}/{self.split}: x has sample shape {self.x.shape[1:]}, "
                             f"but info.shape is {self.info.shape}")
        if self.y is not None and len(self.y) != len(self.x):
            raise ValueError(f"{self.info.name}/{self.split}: {len(self.y)} labels for {len(self.x)} samples")

    def __len__(self) -> int:
        return len(self.x)

    def __repr__(self) -> str:
        labels = "no labels" if self.y is None else f"y {self.y.dtype} {self.y.shape}"
        return (f"Split({self.info.name!r}, {self.split!r}: x {self.x.dtype} {self.x.shape}, {labels}, "
                f"values 0..{self.info.num_values - 1})")
