"""The procedural datasets (1D, 2D, shapes): contracts, distributions, refusals."""
import time

import numpy as np
import pytest

from arkit.data import SplitNotAvailableError, list_datasets, load_dataset, true_density
from data_contract import CONTRACT, PROCEDURAL, assert_meets_contract


def test_does_the_registry_hold_exactly_the_design_table():
    assert list_datasets() == list(CONTRACT)


@pytest.mark.parametrize("name", PROCEDURAL)
@pytest.mark.parametrize("split", ["train", "valid"])
def test_does_each_split_meet_the_design_contract(name, split):
    assert_meets_contract(load_dataset(name, split), name)


@pytest.mark.parametrize("name", PROCEDURAL)
def test_are_two_loads_identical_and_train_valid_different(name):
    a, b, v = load_dataset(name), load_dataset(name), load_dataset(name, "valid")
    np.testing.assert_array_equal(a.x, b.x)
    assert a.x is not b.x
    assert not np.array_equal(a.x[: len(v.x)], v.x)


@pytest.mark.parametrize("split", ["test", "heldout"])
def test_is_the_heldout_split_refused_with_a_clear_message(split):
    with pytest.raises(SplitNotAvailableError, match="used only by the grader.*'valid'"):
        load_dataset("shapes", split)


def test_are_unknown_names_and_splits_explained():
    with pytest.raises(KeyError, match="Did you mean 'mnist_binary'"):
        load_dataset("mnist_bianry")
    with pytest.raises(SplitNotAvailableError, match="use 'train' or 'valid'"):
        load_dataset("shapes", "validation")


@pytest.mark.parametrize("name, sizes", [("gauss1d_small", (1000, 250)), ("gauss1d_large", (10000, 2500)),
                                         ("picture2d_small", (10000, 2500)), ("picture2d_large", (100000, 20000)),
                                         ("shapes", (4000, 1000)), ("shapes_color", (4000, 1000))])
def test_are_the_split_sizes_as_documented(name, sizes):
    assert (len(load_dataset(name)), len(load_dataset(name, "valid"))) == sizes


@pytest.mark.parametrize("name", ["gauss1d_small", "gauss1d_large", "picture2d_small", "picture2d_large"])
def test_do_the_samples_follow_the_true_density(name):
    """Total-variation distance between the empirical and the true pmf is at sampling-noise level."""
    density = true_density(name)
    assert density.dtype == np.float64 and abs(density.sum() - 1) < 1e-12 and (density >= 0).all()
    split = load_dataset(name)
    assert np.array_equal(split.info.extra["density"], density)
    flat = split.x if split.x.ndim == 1 else np.ravel_multi_index(split.x.T, density.shape)
    empirical = np.bincount(flat, minlength=density.size) / len(flat)
    tv = 0.5 * np.abs(empirical - density.ravel()).sum()
    noise = np.sqrt(density.size / len(flat))  # rough scale of TV from sampling alone
    assert tv < 0.5 * noise + 0.01, (tv, noise)


def test_is_the_1d_small_mixture_multimodal():
    p = true_density("gauss1d_small")
    modes = [k for k in range(1, 19) if p[k] > p[k - 1] and p[k] > p[k + 1]]
    assert len(modes) >= 3


def test_is_the_smiley_denser_on_its_strokes():
    p = true_density("picture2d_small")
    assert p.shape == (25, 25) and p[0, 0] == 0 and p[12, 12] > 0
    assert p.max() == pytest.approx(4 * p[12, 12])


def test_is_brighter_denser_in_the_photo():
    from arkit.data.pictures import photo

    p, img = true_density("picture2d_large"), photo()
    assert p.shape == (200, 200)
    np.testing.assert_allclose(p, img / img.sum())
    assert np.corrcoef(p.ravel(), img.ravel())[0, 1] > 0.999


def test_are_points_row_then_column():
    x = load_dataset("picture2d_small").x
    p = true_density("picture2d_small")
    assert (p[x[:, 0], x[:, 1]] > 0).all()


def test_does_the_shapes_generator_make_every_class_quickly():
    from arkit.data import shapes

    start = time.perf_counter()
    for name in ("shapes", "shapes_color"):
        for split in ("train", "valid"):
            load_dataset(name, split)
    assert time.perf_counter() - start < 2.0
    s = load_dataset("shapes")
    counts = np.bincount(s.y, minlength=len(shapes.CLASSES))
    assert len(counts) == 5 and counts.min() > 0.15 * len(s.y)
    assert s.info.extra["classes"] == shapes.CLASSES
    on = s.x.reshape(len(s.x), -1).mean(1)
    assert on.min() >= 0.025 and on.max() < 0.6  # every image shows a shape, none fills the frame


def test_does_shapes_color_use_distinct_foreground_and_background():
    s = load_dataset("shapes_color")
    flat = s.x.reshape(len(s.x), 3, -1)
    for img in flat[:50]:
        colours = {tuple(c) for c in img.T}
        assert len(colours) == 2
