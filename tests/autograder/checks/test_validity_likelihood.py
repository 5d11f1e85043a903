"""Validity suite (issue 10), likelihoods: our own correct implementations pass, each wrong one
fails naming its cause (implementations in ``variants_likelihood/``)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from variants_likelihood import own_dmol, own_lmix  # noqa: E402

from autograder.checks.likelihood import check_dmol_log_prob, check_logistic_mixture_log_prob  # noqa: E402


def test_own_log_space_dmol_passes():
    result = check_dmol_log_prob(own_dmol.log_space)
    assert result.passed, result.message


def test_summed_components_are_named():
    result = check_dmol_log_prob(own_dmol.summed_components)
    assert not result.passed
    assert "summed the K components" in result.message, result.message


def test_float32_cancellation_is_named():
    result = check_dmol_log_prob(own_dmol.float32_cancel)
    assert not result.passed
    assert "log(1e-12)" in result.message and "cancel" in result.message, result.message


def test_own_clamped_lmix_passes():
    result = check_logistic_mixture_log_prob(own_lmix.clamped)
    assert result.passed, result.message


def test_missing_log_scale_clamp_fails():
    result = check_logistic_mixture_log_prob(own_lmix.unclamped)
    assert not result.passed
    assert "not clamped at -7" in result.message, result.message
