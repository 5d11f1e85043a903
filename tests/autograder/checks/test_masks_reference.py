"""Hidden mask checks: exact comparison with the reference pixelcnn_mask, and the
made_masks property checks over many orders and sizes."""
import functools
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "arkit" / "checks"))
from mutants import made_masks as mm  # noqa: E402
from mutants import pixelcnn_masks as pm  # noqa: E402

from autograder.checks.masks_reference import (check_made_masks_hidden,  # noqa: E402
                                               check_masks_hidden, check_pixelcnn_mask_exact)
from autograder.reference.masks import made_masks, pixelcnn_mask  # noqa: E402


@pytest.mark.parametrize("name", sorted(pm.RIGHT))
def test_correct_pixelcnn_masks_equal_the_reference(name):
    assert check_pixelcnn_mask_exact(pm.RIGHT[name]).passed


@pytest.mark.parametrize("name", sorted(pm.WRONG))
def test_every_wrong_pixelcnn_mask_differs_from_the_reference(name):
    result = check_pixelcnn_mask_exact(pm.WRONG[name][0])
    assert not result.passed and 0.0 <= result.score < 1.0


def test_partial_credit_counts_the_configurations_that_match():
    """A mask wrong only for colour groups still matches every one-channel config."""
    result = check_pixelcnn_mask_exact(pm.WRONG["colour_interleaved"][0])
    assert 0.3 < result.score < 1.0


@pytest.mark.parametrize("name", sorted(mm.RIGHT))
def test_correct_made_masks_pass_the_hidden_properties(name):
    result = check_made_masks_hidden(mm.RIGHT[name])
    assert result.passed, result.message


@pytest.mark.parametrize("name", sorted(mm.WRONG))
def test_wrong_made_masks_fail_the_hidden_properties(name):
    result = check_made_masks_hidden(mm.WRONG[name][0])
    assert not result.passed
    assert mm.WRONG[name][1] in result.message, result.message


def test_reference_passes_everything_with_both_degree_schemes():
    assert check_masks_hidden(made_masks, pixelcnn_mask).passed
    for seed in range(3):
        random = functools.partial(made_masks, degrees="random", seed=seed)
        assert check_made_masks_hidden(random).passed
