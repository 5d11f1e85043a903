"""Threshold check: NLL computed by the grader from the model's parameters, with a fake split."""
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.checks.threshold import check_threshold, credit, evaluate_nll

ENTRY = {"threshold": 0.5, "loose_bound": 1.0}


def fake_split(x, y=None, num_values=2):
    return SimpleNamespace(x=x, y=y, info=SimpleNamespace(num_values=num_values))


def test_bernoulli_nll_matches_bce():
    """Is evaluate_nll the mean BCE in nats/dim, independent of the batch size?"""
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(50, 1, 4, 4, generator=g) < 0.3).to(torch.uint8)
    logits = torch.randn(1, 1, 4, 4, generator=g)
    fn = lambda xb: logits.expand(xb.shape[0], -1, -1, -1).clone()
    want = F.binary_cross_entropy_with_logits(logits.expand(50, -1, -1, -1), x.float()).item()
    assert evaluate_nll(fn, x.numpy(), "bernoulli", batch_size=7) == pytest.approx(want, rel=1e-6)
    assert evaluate_nll(fn, x, "bernoulli", batch_size=64) == pytest.approx(want, rel=1e-6)


def test_categorical_nll_matches_cross_entropy_class_dim_1():
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, 4, (30, 3, 2, 2), generator=g)
    logits = torch.randn(30, 4, 3, 2, 2, generator=g)
    fn = lambda xb: logits[: xb.shape[0]]
    want = F.cross_entropy(logits, x).item()
    assert evaluate_nll(fn, x, "categorical", batch_size=30) == pytest.approx(want, rel=1e-6)


def test_dmol_and_pixelcnnpp_use_the_trusted_reference():
    """Are 1D dmol (shared params) and PixelCNN++ evaluated per dim by the reference code?"""
    from autograder.reference.likelihoods import dmol_log_prob, logistic_mixture_log_prob
    x = torch.arange(20)
    p = (torch.zeros(2), torch.tensor([4.0, 12.0]), torch.zeros(2))
    want = -dmol_log_prob(x, *p, 20).mean().item()
    assert evaluate_nll(lambda xb: p, x, "dmol", 8, num_values=20) == pytest.approx(want)
    xi = torch.randint(0, 256, (5, 3, 2, 2))
    params = torch.randn(5, 20, 2, 2)
    want = -logistic_mixture_log_prob(xi, params, 2).sum().item() / (5 * 12)
    assert evaluate_nll(lambda xb: params[: len(xb)], xi, "pixelcnnpp", 5) == pytest.approx(want, rel=1e-6)


def test_credit_rule():
    """Full credit at or below the threshold, linear to zero at the loose bound."""
    assert credit(0.4, 0.5, 1.0) == 1.0
    assert credit(0.75, 0.5, 1.0) == pytest.approx(0.5)
    assert credit(1.2, 0.5, 1.0) == 0.0
    assert credit(float("nan"), 0.5, 1.0) == 0.0


def _const_bernoulli(p):
    logit = math.log(p / (1 - p))
    return lambda xb: torch.full(xb.shape, logit)


def test_check_threshold_pass_partial_fail_and_units():
    x = np.zeros((40, 1, 2, 2), dtype=np.uint8)
    x[:4] = 1                                                    # 10% ones
    good = check_threshold(_const_bernoulli(0.1), "hwx", "toy", "q", "bernoulli", "ci",
                           split=fake_split(x), entry=ENTRY)
    assert good.passed and good.score == 1.0
    assert "nats/dim" in good.message and "bits/dim" in good.message
    assert good.details["nats_per_dim"] == pytest.approx(0.325, abs=1e-3)
    some = check_threshold(_const_bernoulli(0.4), "hwx", "toy", "q", "bernoulli", "ci",
                           split=fake_split(x), entry=ENTRY)
    # the loose bound 1.0 is capped halfway to the uniform NLL: 0.5 + (ln 2 - 0.5) / 2
    loose = 0.5 + 0.5 * (math.log(2) - 0.5)
    nll = -(0.1 * math.log(0.4) + 0.9 * math.log(0.6))
    assert not some.passed and some.score == pytest.approx((loose - nll) / (loose - 0.5), abs=1e-6)


def test_an_untrained_uniform_model_earns_nothing():
    """Is partial credit capped so that the uniform distribution (ln 2 nats/dim) gets 0?"""
    x = np.zeros((40, 1, 2, 2), dtype=np.uint8)
    x[:4] = 1
    half = check_threshold(_const_bernoulli(0.5), "hwx", "toy", "q", "bernoulli", "ci",
                           split=fake_split(x), entry=ENTRY)
    assert not half.passed and half.score == 0.0


def test_nan_parameters_fail_with_a_clear_message():
    x = np.zeros((10, 1, 2, 2), dtype=np.uint8)
    res = check_threshold(lambda xb: torch.full(xb.shape, float("nan")), "hwx", "toy", "q", "bernoulli", "ci",
                          split=fake_split(x), entry=ENTRY)
    assert not res.passed and res.score == 0 and "NaN" in res.message and "diverged" in res.message


def test_wrong_shape_and_dtype_fail_with_a_clear_message():
    x = np.zeros((10, 1, 2, 2), dtype=np.uint8)
    res = check_threshold(lambda xb: torch.zeros(xb.shape[0], 4), "hwx", "toy", "q", "bernoulli", "ci",
                          split=fake_split(x), entry=ENTRY)
    assert not res.passed and "shape of x" in res.message
    res = check_threshold(lambda xb: torch.zeros(xb.shape, dtype=torch.long), "hwx", "toy", "q", "bernoulli",
                          "ci", split=fake_split(x), entry=ENTRY)
    assert not res.passed and "floating point" in res.message
    res = check_threshold(lambda xb: torch.zeros(xb.shape[0], 3, 1, 2, 2), "hwx", "toy", "q", "categorical",
                          "ci", split=fake_split(x), entry=ENTRY, num_values=2)
    assert not res.passed and "class axis of size 2" in res.message


def test_conditional_model_gets_labels_and_max_examples_is_used():
    x = np.zeros((30, 1, 1, 1), dtype=np.uint8)
    y = np.arange(30) % 3
    seen = []

    def fn(xb, yb):
        seen.append(len(yb))
        return torch.full(xb.shape, -3.0)

    res = check_threshold(fn, "hwx", "toy", "q", "bernoulli", "ci", split=fake_split(x, y), entry=ENTRY,
                          conditional=True, max_examples=12, batch_size=5)
    assert res.passed and seen == [5, 5, 2] and res.details["examples"] == 12


def test_missing_calibration_fails_with_the_measurement_whatever_the_environment(monkeypatch, tmp_path):
    """Without a threshold: a clear internal failure that still reports the NLL (what calibration reads);
    the old calibration environment variable changes nothing."""
    monkeypatch.setenv("ARKIT_CALIBRATION_DIR", str(tmp_path))
    x = np.zeros((10, 1, 1, 1), dtype=np.uint8)
    res = check_threshold(_const_bernoulli(0.1), "hwx", "toy", "q", "bernoulli", "ci", split=fake_split(x))
    assert not res.passed and "autograder calibrate" in res.message and "nats_per_dim" in res.details
    assert res.details["cause"] == "calibration_missing" and res.details["dataset"] == "toy"
    monkeypatch.setenv("ARKIT_CALIBRATION_OUT", str(tmp_path / "rec.jsonl"))
    again = check_threshold(_const_bernoulli(0.1), "hwx", "toy", "q", "bernoulli", "ci", split=fake_split(x))
    assert (again.passed, again.score, again.message) == (res.passed, res.score, res.message)


def test_threshold_from_calibration_file(monkeypatch, tmp_path):
    from autograder.calibration import store
    data = store.set_entry(store.empty("hwx"), "q", "toy", "cpu", {"threshold": 0.2, "loose_bound": 0.3})
    store.save_calibration(data, "hwx", tmp_path / "hwx.json")
    monkeypatch.setenv("ARKIT_CALIBRATION_DIR", str(tmp_path))
    monkeypatch.setenv("ARKIT_PROFILE", "cpu")
    x = np.zeros((10, 1, 1, 1), dtype=np.uint8)
    res = check_threshold(_const_bernoulli(0.1), "hwx", "toy", "q", "bernoulli", split=fake_split(x))
    assert res.passed and res.details["threshold"] == 0.2 and res.details["profile"] == "cpu"
