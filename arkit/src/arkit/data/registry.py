"""The dataset registry and the student-facing loader :func:`load_dataset`."""
from __future__ import annotations

import difflib

import numpy as np

from arkit.data import gaussian_1d, mnist, picture_2d, shapes
from arkit.data.errors import SplitNotAvailableError
from arkit.data.spec import DataDirs, DatasetSpec
from arkit.data.split import DatasetInfo, Split

_SPECS: dict[str, DatasetSpec] = {
    spec.info.name: spec
    for spec in [*gaussian_1d.SPECS, *picture_2d.SPECS, *shapes.SPECS, *mnist.SPECS]
}
STUDENT_SPLITS = ("train", "valid")
HELDOUT_ALIASES = ("test", "heldout", "held-out", "held_out")


def list_datasets() -> list[str]:
    """Names of all datasets, in the order of the table in docs/design.md."""
    return list(_SPECS)


def get_spec(name: str) -> DatasetSpec:
    """The recipe of dataset ``name``; a clear error lists the known names."""
    if name not in _SPECS:
        close = difflib.get_close_matches(str(name), _SPECS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"unknown dataset {name!r}.{hint} Known datasets: {', '.join(_SPECS)}")
    return _SPECS[name]


def true_density(name: str) -> np.ndarray:
    """The true pmf of a 1D or 2D dataset: float64 ``(K,)`` or ``(H, W)``, summing to 1.

    Index ``k`` (1D) or ``[row, col]`` (2D) is the probability of that value.
    """
    extra = get_spec(name).info.extra
    if "density" in extra:
        return np.array(extra["density"], dtype=np.float64)
    if "density_fn" in extra:
        return np.array(extra["density_fn"](), dtype=np.float64)
    raise ValueError(f"dataset {name!r} has no closed-form density; only the 1D (gauss1d_*) and "
                     f"2D (picture2d_*) sets do")


def public_info(spec: DatasetSpec) -> DatasetInfo:
    """A copy of ``spec.info`` with ``density`` filled in (no callables, arrays copied)."""
    extra = {k: (v.copy() if isinstance(v, np.ndarray) else v)
             for k, v in spec.info.extra.items() if k != "density_fn"}
    if "density_fn" in spec.info.extra:
        extra["density"] = true_density(spec.info.name)
    return DatasetInfo(spec.info.name, spec.info.shape, spec.info.num_values, spec.info.description, extra)


def load_dataset(name: str, split: str = "train", data_dir: DataDirs = None) -> Split:
    """Load one split of a dataset.

    Args:
        name: one of :func:`list_datasets` (see the table in docs/design.md and data/README.md).
        split: ``"train"`` or ``"valid"``. The held-out ``"test"`` split is used
            only by the grader and is refused here.
        data_dir: folder(s) searched first for real data files (MNIST sets);
            ignored by the procedural sets.

    Returns:
        :class:`Split` with ``x`` (numpy, ``(N, *info.shape)``, values in
        ``0 .. info.num_values - 1``), ``y`` (int64 labels ``(N,)`` or ``None``) and
        ``info``. The same arguments always give byte-identical arrays.

    ===================  =====================  ==========  =====  =============
    name                 x                      values      y      train / valid
    ===================  =====================  ==========  =====  =============
    gauss1d_small        int64 (N,)             0..19       None   1000 / 250
    gauss1d_large        int64 (N,)             0..99       None   10000 / 2500
    picture2d_small      int64 (N, 2) row, col  0..24 each  None   10000 / 2500
    picture2d_large      int64 (N, 2) row, col  0..199 each None   100000 / 20000
    shapes               uint8 (N, 1, 20, 20)   0..1        class  4000 / 1000
    shapes_color         uint8 (N, 3, 20, 20)   0..3        class  4000 / 1000
    mnist_binary         uint8 (N, 1, 28, 28)   0..1        digit  50000 / 10000
    mnist_gray           uint8 (N, 1, 28, 28)   0..255      digit  50000 / 10000
    mnist_color          uint8 (N, 3, 28, 28)   0..3        digit  50000 / 10000
    binarized_mnist      uint8 (N, 1, 28, 28)   0..1        None   50000 / 10000
    ===================  =====================  ==========  =====  =============

    The 1D/2D sets carry their true pmf in ``info.extra["density"]`` (also
    :func:`true_density`). MNIST sets need the original files: see data/README.md.
    """
    spec = get_spec(name)
    if split in HELDOUT_ALIASES:
        raise SplitNotAvailableError(
            f"the held-out {split!r} split of {name!r} is used only by the grader. Train on 'train', and "
            f"use 'valid' to compare models and choose hyperparameters.")
    if split not in STUDENT_SPLITS:
        raise SplitNotAvailableError(f"unknown split {split!r} for {name!r}; use 'train' or 'valid'")
    x, y = spec.build(split, spec.seed, data_dir)
    return Split(x, y, public_info(spec), split)
