"""MNIST-derived datasets, read from the original files (verified by sha256).

* ``mnist_binary``: uint8 ``(N, 1, 28, 28)``, pixel ``> 127.5`` -> 1 else 0, digit labels.
* ``mnist_gray``: uint8 ``(N, 1, 28, 28)``, 0..255, digit labels.
* ``mnist_color``: uint8 ``(N, 3, 28, 28)``, levels 0..3: each digit in a seeded
  random bright colour on a seeded random dark background (:mod:`arkit.data.colour`).
* ``binarized_mnist``: uint8 ``(N, 1, 28, 28)``, 0/1, no labels: the fixed
  stochastic binarization of Larochelle & Murray (2011), read from their ``.amat`` files.

Splits: for the ``mnist_*`` sets, train/valid are a fixed seeded 50000/10000
split of the 60000 images of ``train-images-idx3-ubyte``; the grader's held-out
part is the 10000 ``t10k`` images (minus any equal to a train/valid image).
``binarized_mnist`` uses its own files: train 50000, valid 10000, test 10000
(held-out).
"""
from __future__ import annotations

from functools import lru_cache, partial
from pathlib import Path

import numpy as np

from arkit.data.amat import parse_amat
from arkit.data.colour import colourize, random_colours
from arkit.data.files import FileSpec, resolve
from arkit.data.parsed_cache import load_parsed
from arkit.data.idx import parse_idx
from arkit.data.spec import DROP_DUPLICATES, DatasetSpec, part_rng
from arkit.data.split import DatasetInfo

_MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
_BMNIST_MIRROR = "http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/"


def _mnist(name: str, raw: str, gz: str) -> FileSpec:
    return FileSpec(name, "mnist", raw, gz, tuple(m + name + ".gz" for m in _MNIST_MIRRORS))


def _bmnist(part: str, raw: str, gz: str) -> FileSpec:
    name = f"binarized_mnist_{part}.amat"
    return FileSpec(name, "binarized_mnist", raw, gz, (_BMNIST_MIRROR + name,))


# Checksums: /work/shared/data/README.md (and tensorflow/datasets' url_checksums).
FILES = {
    ("train", "images"): _mnist("train-images-idx3-ubyte",
                                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                                "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    ("train", "labels"): _mnist("train-labels-idx1-ubyte",
                                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                                "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    ("t10k", "images"): _mnist("t10k-images-idx3-ubyte",
                               "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                               "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    ("t10k", "labels"): _mnist("t10k-labels-idx1-ubyte",
                               "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
                               "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    ("binarized", "train"): _bmnist("train", "ad693b29f94c14277b095f5238ddefbbdaaae0939789dd2f4f0205278cee3e4d",
                                    "af247bd6075cf9adc4715459dcd5f13eaa99a2c92d8d81379a05da94770b6c0e"),
    ("binarized", "valid"): _bmnist("valid", "1de3d397c40fe8eeb33dafd4099a1f665ec01e96d9be234aaeeac8a34930e2e2",
                                    "533b71bc0198f4d73c54ae5fe6c96fc08dc3cf1b3fae24c5521dbc0452507e38"),
    ("binarized", "heldout"): _bmnist("test", "e6687bfea3f820c174f33b7865140b2a2dd2930ef786f35d45795fc193b5ab2c",
                                      "32a3c54d03504632bf9f131b4a148c7567aa6fc87da017049b044bdc14c2a0f2"),
}
FILE_SIZES = {"train": 60000, "t10k": 10000, ("binarized", "train"): 50000,
              ("binarized", "valid"): 10000, ("binarized", "heldout"): 10000}
SPLIT_SEED = 41          # the public 50000/10000 train/valid split of the 60000 training images
NUM_VALID = 10000
SEEDS = {"mnist_binary": 42, "mnist_gray": 43, "mnist_color": 44, "binarized_mnist": 45}


def train_valid_index(part: str) -> np.ndarray:
    """Sorted int64 indices into the 60000 training images for ``part`` ("train": 50000, "valid": 10000)."""
    perm = np.random.default_rng(SPLIT_SEED).permutation(FILE_SIZES["train"])
    chosen = perm[:NUM_VALID] if part == "valid" else perm[NUM_VALID:]
    return np.sort(chosen).astype(np.int64)


@lru_cache(maxsize=4)
def _read_mnist(which: str, images_path: str, labels_path: str) -> tuple[np.ndarray, np.ndarray]:
    n = FILE_SIZES[which]
    images = load_parsed(FILES[(which, "images")], parse_idx, Path(images_path).parent, shape=(n, 28, 28))
    labels = load_parsed(FILES[(which, "labels")], parse_idx, Path(labels_path).parent, shape=(n,))
    images.setflags(write=False)
    labels = labels.astype(np.int64)
    labels.setflags(write=False)
    return images, labels


def read_mnist(which: str, data_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """The raw MNIST file pair ``which`` ("train" or "t10k"): read-only uint8 images
    ``(N, 28, 28)`` and read-only int64 labels ``(N,)``, memoised per process by file path."""
    found = [str(resolve(FILES[(which, part)], data_dir)) for part in ("images", "labels")]
    return _read_mnist(which, *found)


def read_binarized(part: str, data_dir=None) -> np.ndarray:
    """Larochelle & Murray's binarized MNIST ``part`` ("train", "valid", "heldout" = test):
    uint8 ``(N, 1, 28, 28)`` 0/1."""
    n = FILE_SIZES[("binarized", part)]
    flat = load_parsed(FILES[("binarized", part)], parse_amat, data_dir, shape=(n, 784))
    return flat.reshape(n, 1, 28, 28)


def _source(part: str, data_dir) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images, labels and their indices in the source file for one part of an ``mnist_*`` set."""
    which = "t10k" if part == "heldout" else "train"
    images, labels = read_mnist(which, data_dir)
    index = np.arange(len(images)) if part == "heldout" else train_valid_index(part)
    return images[index], labels[index], index


def _build(kind: str, part: str, seed: int, data_dir=None):
    if kind == "binarized":
        return read_binarized(part, data_dir), None
    images, labels, index = _source(part, data_dir)
    if kind == "binary":
        return (images > 127.5).astype(np.uint8)[:, None], labels
    if kind == "gray":
        return images[:, None], labels
    # colour: one (fg, bg) pair per image of the whole source file, so a train
    # image keeps its colours whichever split it lands in.
    file_size = FILE_SIZES["t10k" if part == "heldout" else "train"]
    fg, bg = random_colours(part_rng(seed, "heldout" if part == "heldout" else "train"), file_size)
    return colourize(images, fg[index], bg[index]), labels


_KINDS = {
    "mnist_binary": ("binary", 1, 2, "binarized at 127.5 (pixel > 127.5 -> 1)"),
    "mnist_gray": ("gray", 1, 256, "grayscale 0..255"),
    "mnist_color": ("color", 3, 4, "each digit in a random bright colour on a random dark background, "
                                   "levels 0..3 per channel"),
    "binarized_mnist": ("binarized", 1, 2, "Larochelle & Murray's fixed stochastic binarization"),
}


def _spec(name: str) -> DatasetSpec:
    kind, channels, levels, what = _KINDS[name]
    labelled = kind != "binarized"
    source = ("the .amat files (train 50000 / valid 10000)" if not labelled else
              "a fixed seeded 50000 / 10000 split of the 60000 MNIST training images")
    info = DatasetInfo(
        name=name, shape=(channels, 28, 28), num_values=levels,
        description=(f"MNIST digits, {what}; uint8 (N, {channels}, 28, 28) in 0..{levels - 1}; "
                     f"{'digit labels 0..9' if labelled else 'no labels'}; train/valid = {source}."),
        extra={"classes": tuple(str(d) for d in range(10))} if labelled else {},
    )
    sizes = {"train": 50000, "valid": 10000, "heldout": 10000}
    return DatasetSpec(info, sizes, SEEDS[name], partial(_build, kind), DROP_DUPLICATES)


SPECS = [_spec(name) for name in _KINDS]
