"""check_sampler_equivalence: fast samplers wrong in one named way fail naming it; right pass."""
import pytest
import torch
from mutants import cached_models as cm
from mutants import samplers as sm

from arkit.checks import check_sampler_equivalence, sample_with_uniforms


@pytest.mark.parametrize("name", sorted(sm.RIGHT))
def test_right_fast_samplers_pass(name):
    naive, fast = sm.RIGHT[name]()
    result = check_sampler_equivalence(naive, fast, sm.SHAPE)
    assert result.passed, result.message


@pytest.mark.parametrize("name", sorted(sm.WRONG))
def test_wrong_fast_samplers_fail_naming_the_cause(name):
    build, cause = sm.WRONG[name]
    naive, fast = build()
    result = check_sampler_equivalence(naive, fast, sm.SHAPE)
    assert not result.passed
    assert cause in result.message, result.message


def test_a_cache_right_under_teacher_forcing_can_still_be_wrong_on_its_own_samples():
    """The stale-feedback sampler uses a step function that passes check_step_consistency."""
    from arkit.checks import check_step_consistency
    m = sm.wavenet()
    assert check_step_consistency(m, m.step, torch.randint(0, 2, (2, cm.D))).passed
    result = check_sampler_equivalence(sm.naive(m), sm.fast_loop(m.step, "feeds_value_before_sampling"),
                                       sm.SHAPE)
    assert not result.passed and "first at step" in result.message, result.message


def test_images_use_the_uniform_stored_at_each_variable():
    img = cm.ColourImage(2, 3)

    def naive(u):
        b = u.shape[0]
        x = torch.zeros(u.shape, dtype=torch.long)
        flat = x.view(b, -1)
        for t, d in enumerate(img.order.tolist()):
            logits = img.parallel(x).reshape(b, 2, -1)[:, :, d]
            flat[:, d] = sample_with_uniforms(logits, u.reshape(b, -1)[:, d])
        return x

    def fast(u, by_step=False):
        b = u.shape[0]
        x = torch.zeros(b, u[0].numel(), dtype=torch.long)
        prev, cache = torch.zeros(b, dtype=torch.long), None
        for t, d in enumerate(img.order.tolist()):
            logits, cache = img.step(prev, t, cache)
            x[:, d] = prev = sample_with_uniforms(logits, u.reshape(b, -1)[:, t if by_step else d])
        return x.view(u.shape)

    shape = (4, *img.shape)
    assert check_sampler_equivalence(naive, fast, shape).passed
    wrong = check_sampler_equivalence(naive, lambda u: fast(u, by_step=True), shape)
    assert not wrong.passed and "pixel (" in wrong.message, wrong.message


def test_sample_with_uniforms_is_the_inverse_cdf_for_categorical_and_bernoulli():
    logits = torch.log(torch.tensor([[0.2, 0.3, 0.5]])).expand(5, 3)
    u = torch.tensor([0.0, 0.19, 0.2, 0.49, 0.99], dtype=torch.float64)
    assert sample_with_uniforms(logits, u).tolist() == [0, 0, 1, 1, 2]
    one_logit = torch.logit(torch.tensor([0.25, 0.25]))          # P(x = 1) = 0.25
    assert sample_with_uniforms(one_logit, torch.tensor([0.74, 0.76])).tolist() == [0, 1]


def test_one_rounding_flip_in_one_draw_is_forgiven_when_a_third_draw_agrees():
    m = sm.wavenet()
    first_u = torch.rand(sm.SHAPE, generator=torch.Generator().manual_seed(0), dtype=torch.float64)

    def fast(u):  # right, except one flipped draw on the first u (as a CDF-boundary tie would)
        x = sm.fast(m.step)(u)
        if torch.equal(u, first_u):
            x[0, -1] = 1 - x[0, -1]
        return x

    result = check_sampler_equivalence(sm.naive(m), fast, sm.SHAPE)
    assert result.passed and "rounding flip" in result.message, result.message
    assert result.details["forgiven"]["variable"] == sm.D - 1
