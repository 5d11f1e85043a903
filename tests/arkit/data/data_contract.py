"""The dataset table of docs/design.md, as data (shared by the dataset and held-out tests)."""
import numpy as np

# name -> (x dtype, shape of one sample, number of values, labelled)
CONTRACT = {
    "gauss1d_small": (np.int64, (), 20, False),
    "gauss1d_large": (np.int64, (), 100, False),
    "picture2d_small": (np.int64, (2,), 25, False),
    "picture2d_large": (np.int64, (2,), 200, False),
    "shapes": (np.uint8, (1, 20, 20), 2, True),
    "shapes_color": (np.uint8, (3, 20, 20), 4, True),
    "mnist_binary": (np.uint8, (1, 28, 28), 2, True),
    "mnist_gray": (np.uint8, (1, 28, 28), 256, True),
    "mnist_color": (np.uint8, (3, 28, 28), 4, True),
    "binarized_mnist": (np.uint8, (1, 28, 28), 2, False),
}
REAL = {"mnist_binary", "mnist_gray", "mnist_color", "binarized_mnist"}
PROCEDURAL = [name for name in CONTRACT if name not in REAL]


def assert_meets_contract(split, name):
    dtype, shape, values, labelled = CONTRACT[name]
    assert split.x.dtype == dtype, (name, split.x.dtype)
    assert split.x.shape[1:] == shape and len(split.x) > 0
    assert split.info.shape == shape and split.info.num_values == values and split.info.name == name
    assert split.x.min() >= 0 and split.x.max() <= values - 1
    if labelled:
        assert split.y.dtype == np.int64 and split.y.shape == (len(split.x),) and split.y.min() >= 0
    else:
        assert split.y is None
