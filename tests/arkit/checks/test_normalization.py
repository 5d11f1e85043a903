"""Public normalization check: sums over the whole support, with hints for common causes."""
import math

import torch

from arkit.checks.normalization import check_log_prob_normalized, check_normalized


def test_normalized_rows_pass():
    lp = torch.log_softmax(torch.randn(5, 30, generator=torch.Generator().manual_seed(0)), dim=1)
    res = check_normalized(lp, dim=1)
    assert res.passed and len(res.details["sums"]) == 5


def test_double_width_bins_are_hinted():
    """Does a sum near 2 point at bins twice too wide?"""
    lp = torch.log_softmax(torch.randn(30), 0) + math.log(2.0)
    res = check_normalized(lp, dim=0)
    assert not res.passed and "twice as wide" in res.message and "sums to 2" in res.message


def test_lost_mass_is_hinted():
    lp = torch.log_softmax(torch.randn(30), 0)[1:]
    res = check_normalized(lp, dim=0)
    assert not res.passed and "-inf" in res.message


def test_nan_is_refused():
    assert not check_normalized(torch.tensor([0.0, float("nan")]))


def test_log_prob_fn_over_support():
    """Is a histogram's log_softmax normalized, and a raw logit vector not?"""
    logits = torch.randn(20)
    assert check_log_prob_normalized(lambda x: torch.log_softmax(logits, 0)[x], 20).passed
    assert not check_log_prob_normalized(lambda x: logits[x], 20).passed
    bad_shape = check_log_prob_normalized(lambda x: logits[None], 20)
    assert not bad_shape.passed and "(20,)" in bad_shape.message
