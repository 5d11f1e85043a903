"""Sample checks: format problems are named; the quality signal separates data from noise."""
import numpy as np
import pytest
import torch

from autograder.checks.samples import check_sample_quality, check_samples, samples_nll


def test_good_samples_pass():
    s = torch.randint(0, 4, (16, 3, 5, 5), generator=torch.Generator().manual_seed(0))
    assert check_samples(s, (3, 5, 5), 4, count=16).passed
    assert check_samples(s.numpy().astype(np.uint8), (3, 5, 5), 4).passed
    assert check_samples(s.float(), (3, 5, 5), 4).passed


@pytest.mark.parametrize("bad, needle", [
    (torch.zeros(4, 1, 5, 5, dtype=torch.long), "shape (N, 1, 4, 4)"),
    (torch.full((4, 1, 4, 4), 0.5), "integer values"),
    (torch.full((4, 1, 4, 4), float("nan")), "NaN"),
    (torch.randint(0, 5, (4, 1, 4, 4), generator=torch.Generator().manual_seed(1)) + 1, "0..3"),
    (torch.ones(4, 1, 4, 4, dtype=torch.long), "identical"),
    (torch.ones(4, 1, 4, 4, dtype=torch.bool), "integer dtype"),
])
def test_bad_samples_name_the_problem(bad, needle):
    res = check_samples(bad, (1, 4, 4), 4)
    assert not res.passed and needle in res.message


def test_quality_signal_under_a_reference_model():
    """Do samples from the reference model score better than uniform noise?"""
    g = torch.Generator().manual_seed(0)
    p = torch.full((1, 1, 6, 6), 0.05)
    logits = torch.log(p / (1 - p))
    ref = lambda xb: logits.expand(xb.shape[0], -1, -1, -1).clone()
    good = (torch.rand(64, 1, 6, 6, generator=g) < 0.05).long()
    noise = (torch.rand(64, 1, 6, 6, generator=g) < 0.5).long()
    assert samples_nll(good, ref, "bernoulli") < 0.3 < samples_nll(noise, ref, "bernoulli")
    assert check_sample_quality(good, ref, "bernoulli", 0.4).passed
    bad = check_sample_quality(noise, ref, "bernoulli", 0.4)
    assert not bad.passed and "bits/dim" in bad.message
