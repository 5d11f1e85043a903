"""Datasets of the homework, as numpy arrays: ``load_dataset(name, split)``.

>>> from arkit.data import load_dataset, list_datasets
>>> train = load_dataset("shapes", "train")       # Split: .x, .y, .info
>>> train.x.shape, train.x.dtype, train.info.num_values
((4000, 1, 20, 20), dtype('uint8'), 2)

Splits are ``"train"`` and ``"valid"``; the held-out ``"test"`` split is
reserved for the grader. Every dataset is a pure function of fixed seeds (and
of the checksum-verified MNIST files), so two loads give identical bytes.
See ``data/README.md`` for sizes, sources and the held-out policy.
"""
from arkit.data.errors import (DataChecksumError, DataError, DataFormatError, DataNotFoundError,
                               SplitNotAvailableError)
from arkit.data.registry import list_datasets, load_dataset, true_density
from arkit.data.split import DatasetInfo, Split

__all__ = [
    "load_dataset", "list_datasets", "true_density", "Split", "DatasetInfo",
    "DataError", "DataNotFoundError", "DataChecksumError", "DataFormatError", "SplitNotAvailableError",
]
