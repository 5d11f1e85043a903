"""Grader-only held-out splits: shapes, determinism, disjointness, secrecy of the seeds."""
import dataclasses
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from arkit.data import DataNotFoundError, list_datasets, load_dataset
from arkit.data import registry
from arkit.data.dedupe import rows_not_in
from autograder import heldout

PROCEDURAL = ["gauss1d_small", "gauss1d_large", "picture2d_small", "picture2d_large", "shapes", "shapes_color"]
REAL = ["mnist_binary", "mnist_gray", "mnist_color", "binarized_mnist"]
TEST_LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]  # shared/data/README.md


@pytest.fixture(scope="module", autouse=True)
def isolated_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("ARKIT_CACHE_DIR", str(tmp_path_factory.mktemp("arkit-cache")))
    mp.setenv("ARKIT_NO_DOWNLOAD", "1")
    yield
    mp.undo()


@pytest.fixture(scope="module")
def real_data():
    try:
        load_dataset("mnist_gray", "valid")
        load_dataset("binarized_mnist", "valid")
    except DataNotFoundError as exc:
        pytest.skip(f"real MNIST files not found (set ARKIT_DATA_DIR): {str(exc).splitlines()[0]}")


def check_heldout(name):
    held, train = heldout.load_heldout(name), load_dataset(name, "train")
    assert held.split == "heldout" and held.info.name == name
    assert held.x.dtype == train.x.dtype and held.x.shape[1:] == train.x.shape[1:]
    assert held.x.min() >= 0 and held.x.max() < held.info.num_values
    assert (held.y is None) == (train.y is None)
    if registry.get_spec(name).heldout_policy == "drop-duplicates":
        seen = np.concatenate([train.x, load_dataset(name, "valid").x])
        assert rows_not_in(held.x, seen).all(), "a held-out image equals a train/valid image"
    return held


@pytest.mark.parametrize("name", PROCEDURAL)
def test_is_the_procedural_heldout_split_well_formed_and_new(name):
    held = check_heldout(name)
    assert len(held) == registry.get_spec(name).sizes["heldout"]
    train = load_dataset(name).x
    assert not np.array_equal(held.x[: len(train)], train[: len(held.x)])


@pytest.mark.parametrize("name", REAL)
def test_is_the_real_heldout_split_the_t10k_images_minus_duplicates(real_data, name):
    held = check_heldout(name)
    assert 9900 <= len(held) <= 10000
    if held.y is not None:
        assert (np.bincount(held.y, minlength=10) <= TEST_LABEL_COUNTS).all()
    if name == "mnist_gray":
        assert np.bincount(held.y).tolist() == TEST_LABEL_COUNTS


def test_are_duplicates_of_train_images_dropped(monkeypatch):
    """If the held-out candidates contained train images, would they be removed?"""
    spec = registry.get_spec("shapes")
    train = load_dataset("shapes")
    genuine = spec.build("heldout", 1234, None)

    def leaky(part, seed, data_dir):
        if part != "heldout":
            return spec.build(part, seed, data_dir)
        x = np.concatenate([train.x[:7], genuine[0]])
        return x, np.concatenate([train.y[:7], genuine[1]])

    monkeypatch.setitem(registry._SPECS, "shapes", dataclasses.replace(spec, build=leaky))
    heldout._heldout_arrays.cache_clear()
    try:
        held = heldout.load_heldout("shapes")
    finally:
        heldout._heldout_arrays.cache_clear()
    assert len(held) == 1000 and rows_not_in(held.x, train.x).all()
    np.testing.assert_array_equal(held.x[:5], genuine[0][rows_not_in(genuine[0], train.x)][:5])


def test_are_two_calls_identical_and_independent_copies():
    a, b = heldout.load_heldout("shapes_color"), heldout.load_heldout("shapes_color")
    np.testing.assert_array_equal(a.x, b.x)
    a.x[:] = 0
    np.testing.assert_array_equal(heldout.load_heldout("shapes_color").x, b.x)


def test_does_a_second_process_produce_the_same_heldout_bytes():
    script = ("import hashlib, json, sys\nfrom autograder.heldout import load_heldout\n"
              "print(json.dumps({n: hashlib.sha256(load_heldout(n).x.tobytes()).hexdigest() for n in sys.argv[1:]}))")
    run = subprocess.run([sys.executable, "-c", script, *PROCEDURAL], capture_output=True, text=True,
                         timeout=120, check=True)
    theirs = json.loads(run.stdout.strip().splitlines()[-1])
    assert theirs == {n: hashlib.sha256(heldout.load_heldout(n).x.tobytes()).hexdigest() for n in PROCEDURAL}


def test_does_every_dataset_have_a_secret_seed_unknown_to_arkit():
    assert sorted(heldout._SECRET_SEEDS) == sorted(list_datasets())
    public = {spec.seed for spec in registry._SPECS.values()}
    assert not public & set(heldout._SECRET_SEEDS.values())
    arkit_src = Path(registry.__file__).resolve().parents[1]
    text = "\n".join(p.read_text() for p in arkit_src.rglob("*.py"))
    for seed in heldout._SECRET_SEEDS.values():
        assert str(seed) not in text and f"{seed:X}"[:6] not in text.upper()


def test_is_the_test_split_still_refused_by_arkit():
    with pytest.raises(ValueError, match="only by the grader"):
        load_dataset("gauss1d_small", "test")
