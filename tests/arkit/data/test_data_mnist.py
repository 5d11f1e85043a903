"""MNIST-derived datasets on the real files (skipped when ARKIT_DATA_DIR has no data)."""
import shutil

import numpy as np
import pytest

from arkit.data import DataChecksumError, load_dataset
from data_contract import REAL, assert_meets_contract

TRAIN_LABEL_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]  # shared/data/README.md


@pytest.fixture(scope="module")
def loaded(real_mnist):
    return {(name, split): load_dataset(name, split) for name in sorted(REAL) for split in ("train", "valid")}


@pytest.mark.parametrize("name", sorted(REAL))
def test_does_each_real_split_meet_the_design_contract(loaded, name):
    for split in ("train", "valid"):
        assert_meets_contract(loaded[(name, split)], name)
    assert (len(loaded[(name, "train")]), len(loaded[(name, "valid")])) == (50000, 10000)


def test_is_train_valid_a_partition_of_the_60000_training_images(real_mnist):
    train, valid = real_mnist.train_valid_index("train"), real_mnist.train_valid_index("valid")
    assert len(np.intersect1d(train, valid)) == 0
    np.testing.assert_array_equal(np.union1d(train, valid), np.arange(60000))


def test_do_the_labels_add_up_to_the_published_counts(loaded):
    counts = np.bincount(loaded[("mnist_gray", "train")].y) + np.bincount(loaded[("mnist_gray", "valid")].y)
    assert counts.tolist() == TRAIN_LABEL_COUNTS
    for name in ("mnist_binary", "mnist_color"):
        np.testing.assert_array_equal(loaded[(name, "train")].y, loaded[("mnist_gray", "train")].y)


def test_is_mnist_binary_the_gray_image_thresholded_at_127_5(loaded):
    gray, binary = loaded[("mnist_gray", "valid")].x, loaded[("mnist_binary", "valid")].x
    np.testing.assert_array_equal(binary, (gray >= 128).astype(np.uint8))
    assert 0.12 < binary.mean() < 0.14


def test_is_mnist_color_the_digit_in_its_colour_on_its_background(loaded):
    from arkit.data.colour import BACKGROUND, FOREGROUND

    gray, color = loaded[("mnist_gray", "valid")].x[:200, 0], loaded[("mnist_color", "valid")].x[:200]
    for g, c in zip(gray, color):
        bg = c[:, g == 0]
        assert (bg == bg[:, :1]).all() and (BACKGROUND == bg[:, 0]).all(1).any()
        if (g == 255).any():  # a few digits never reach 255
            fg = c[:, g == 255]
            assert (fg == fg[:, :1]).all() and (FOREGROUND == fg[:, 0]).all(1).any()
    assert len({tuple(c[:, 0, 0]) for c in color}) > 4  # backgrounds vary between images


def test_does_binarized_mnist_match_the_published_means(loaded):
    assert loaded[("binarized_mnist", "train")].x.mean() == pytest.approx(0.130562, abs=1e-6)
    assert loaded[("binarized_mnist", "valid")].x.mean() == pytest.approx(0.131127, abs=1e-6)


def test_is_the_parsed_amat_cached_by_checksum(loaded, isolated_cache):
    names = sorted(p.name for p in (isolated_cache / "parsed").iterdir())
    assert "binarized_mnist_train.amat-ad693b29f94c1427.npy" in names
    assert "train-images-idx3-ubyte-ba891046e6505d7a.npy" in names


def test_is_a_tampered_copy_of_a_real_file_refused(real_mnist, tmp_path):
    from arkit.data import files

    spec = real_mnist.FILES[("t10k", "labels")]
    src = files.resolve(spec)
    bad = tmp_path / src.name
    shutil.copyfile(src, bad)
    data = bytearray(bad.read_bytes())
    data[-1] ^= 1
    bad.write_bytes(bytes(data))
    with pytest.raises(DataChecksumError, match=spec.sha256_gz):
        files.resolve(spec, data_dir=tmp_path)
