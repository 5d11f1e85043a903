"""Grader-only held-out splits (``load_dataset(name, "test")`` is refused by ``arkit``).

How each held-out split is made disjoint from the students' train/valid data:

* 1D and 2D sets (``gauss1d_*``, ``picture2d_*``): fresh samples of the same
  distribution drawn from a SECRET seed (below) on its own stream. Values
  repeat, of course (20 possible values!); disjointness is by sample identity:
  no held-out draw is one of the train/valid draws.
* ``shapes``, ``shapes_color``: drawn from a secret seed (oversampled), then every
  image equal to a train or valid image is dropped; the first 1000 remain.
* MNIST sets: the 10000 ``t10k`` images (``binarized_mnist``: its test .amat file),
  transformed like train/valid (``mnist_color``: colours from a secret seed), minus
  any image equal to a train/valid image.

The secret seeds live only here (``arkit`` receives them as arguments), so a
student with ``arkit`` cannot regenerate the procedural held-out samples.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from arkit.data.dedupe import rows_not_in
from arkit.data.paths import as_list
from arkit.data.registry import get_spec, load_dataset, public_info
from arkit.data.spec import DROP_DUPLICATES, DataDirs
from arkit.data.split import Split

# Secret seeds: never copy these into arkit, notebooks or student-visible files.
_SECRET_SEEDS = {
    "gauss1d_small": 0x5EC2E7_01,
    "gauss1d_large": 0x5EC2E7_02,
    "picture2d_small": 0x5EC2E7_03,
    "picture2d_large": 0x5EC2E7_04,
    "shapes": 0x5EC2E7_05,
    "shapes_color": 0x5EC2E7_06,
    "mnist_binary": 0x5EC2E7_07,
    "mnist_gray": 0x5EC2E7_08,
    "mnist_color": 0x5EC2E7_09,
    "binarized_mnist": 0x5EC2E7_0A,
}


def load_heldout(name: str, data_dir: DataDirs = None) -> Split:
    """The grader-only held-out split of dataset ``name``.

    Same ``x`` dtype, sample shape and value range as ``arkit.data.load_dataset(name)``;
    ``split == "heldout"``. Size: ``gauss1d_small`` 1000, ``gauss1d_large`` 10000,
    ``picture2d_small`` 10000, ``picture2d_large`` 50000, ``shapes*`` 1000, MNIST
    sets up to 10000 (exact duplicates of train/valid images removed).
    Byte-identical across calls and processes. The arrays are fresh copies.
    """
    dirs = tuple(str(d) for d in as_list(data_dir)) or None
    x, y = _heldout_arrays(name, dirs)
    return Split(x.copy(), None if y is None else y.copy(), public_info(get_spec(name)), "heldout")


@lru_cache(maxsize=4)
def _heldout_arrays(name: str, data_dir: tuple[str, ...] | None) -> tuple[np.ndarray, np.ndarray | None]:
    spec = get_spec(name)
    x, y = spec.build("heldout", _SECRET_SEEDS[name], data_dir)
    if spec.heldout_policy == DROP_DUPLICATES:
        seen = np.concatenate([load_dataset(name, part, data_dir).x for part in ("train", "valid")])
        keep = rows_not_in(x, seen)
        x, y = x[keep], None if y is None else y[keep]
    n = spec.sizes["heldout"]
    return x[:n], None if y is None else y[:n]
