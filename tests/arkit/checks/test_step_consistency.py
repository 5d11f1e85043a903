"""check_step_consistency: cached steps wrong in one named way fail naming it; right ones pass."""
import pytest
import torch
from mutants import cached_models as cm

from arkit.checks import check_step_consistency


def data(shape=(3, cm.D), seed=0):
    return torch.randint(0, 2, shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name", sorted(cm.RIGHT))
def test_right_cached_models_pass(name):
    parallel, step = cm.RIGHT[name]()
    result = check_step_consistency(parallel, step, data())
    assert result.passed, result.message


@pytest.mark.parametrize("name", sorted(cm.WRONG))
def test_wrong_cached_models_fail_naming_the_cause(name):
    build, cause = cm.WRONG[name]
    parallel, step = build()
    result = check_step_consistency(parallel, step, data())
    assert not result.passed
    assert "first at step" in result.message, result.message
    assert cause in result.message, result.message


def test_colour_image_in_raster_order_passes_and_names_pixels_when_wrong():
    img = cm.ColourImage()
    x = data((2, *img.shape))
    assert check_step_consistency(img.parallel, img.step, x).passed
    # feeding the variables in flat (channel-first) order instead of R -> G -> B per pixel is wrong
    flat = torch.arange(x[0].numel())
    result = check_step_consistency(img.parallel, img.step, x, order=flat)
    assert not result.passed and "pixel (" in result.message, result.message


def test_a_step_that_raises_is_reported_with_the_step():
    m = cm.wavenet()

    def step(x_prev, t, cache):
        if t == 5:
            raise RuntimeError("index out of range")
        return m.step(x_prev, t, cache)

    result = check_step_consistency(m, step, data())
    assert not result.passed and "at step 5" in result.message, result.message


def test_a_step_returning_only_params_is_told_the_contract():
    m = cm.wavenet()
    result = check_step_consistency(m, lambda x_prev, t, cache: m.step(x_prev, t, cache)[0], data())
    assert not result.passed and "(params, cache)" in result.message, result.message
