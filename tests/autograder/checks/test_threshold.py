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


# -------------------------------------------------------------------- plausibility and messages
PMF = np.array([0.1, 0.2, 0.4, 0.2, 0.1])
ENTROPY = float(-(PMF * np.log(PMF)).sum())


def _pmf_split(n=800, seed=0):
    return fake_split(np.random.default_rng(seed).choice(5, n, p=PMF), num_values=5)


def test_the_true_model_and_a_near_one_pass_the_entropy_floor():
    """The true pmf itself (sampling noise puts it on either side of H) and a slightly
    wrong model are plausible; the entry is loose so only the floor could fail them."""
    entry = {"threshold": 2.0, "loose_bound": 3.0}
    for pmf in (PMF, np.array([0.12, 0.2, 0.36, 0.2, 0.12])):
        logits = torch.log(torch.tensor(pmf))
        res = check_threshold(lambda xb: logits.expand(len(xb), 5).clone(), "hwx", "toy1d", "q", "categorical",
                              "ci", split=_pmf_split(), entry=entry, true_pmf=PMF)
        assert res.passed, res.message


def test_below_the_entropy_is_impossible_and_named():
    """A model that sees the value it scores gets 0 with 'entropy' in the message, whatever the threshold."""
    peek = lambda xb: torch.nn.functional.one_hot(torch.as_tensor(xb).long(), 5).float() * 3   # noqa: E731
    res = check_threshold(peek, "hwx", "toy1d", "q", "categorical", "ci", split=_pmf_split(),
                          entry={"threshold": 2.0, "loose_bound": 3.0}, true_pmf=PMF)
    assert not res.passed and res.score == 0 and "entropy of the data" in res.message
    assert f"{ENTROPY:.4f}" in res.message and res.details["cause"] == "impossible"


def test_the_2d_entropy_floor_uses_pairs():
    """(row, col) pairs: a self-dependent joint (x[1]'s logits see x[1]) is below the entropy per dim."""
    pmf = np.outer(PMF, PMF)
    idx = np.random.default_rng(1).choice(25, 800, p=pmf.ravel())
    split = fake_split(np.stack([idx // 5, idx % 5], 1), num_values=5)

    def self_dependent(xb):
        x0 = torch.log(torch.tensor(PMF)).float().expand(len(xb), 5)
        return torch.stack([x0, torch.nn.functional.one_hot(xb[:, 1].long(), 5).float() * 5], 2)

    res = check_threshold(self_dependent, "hwx", "toy2d", "q", "categorical", "ci", split=split,
                          entry={"threshold": 2.0, "loose_bound": 3.0}, true_pmf=pmf)
    assert not res.passed and "entropy of the data" in res.message


def test_real_1d_and_2d_sets_have_an_entropy_floor():
    from autograder.checks.threshold import plausibility_failure

    x = np.random.default_rng(0).choice(5, 100, p=PMF)
    assert plausibility_failure(-0.01, "anything", x) and "negative" in plausibility_failure(-0.01, "anything", x)
    assert plausibility_failure(0.5, "toy1d", x, true_pmf=PMF) is not None
    assert plausibility_failure(ENTROPY, "toy1d", x, true_pmf=PMF) is None
    assert plausibility_failure(0.01, "shapes", np.zeros((3, 1, 2, 2))) is None      # images: no true pmf


def test_far_below_the_reference_is_credited_but_flagged_for_review():
    """The reason goes to details['review'] (instructor-facing), not into the student's message."""
    x = np.zeros((40, 1, 2, 2), dtype=np.uint8)
    x[:4] = 1
    entry = {"threshold": 0.5, "loose_bound": 1.0, "measured": [0.48, 0.47, 0.49]}
    res = check_threshold(_const_bernoulli(0.1), "hwx", "toy", "q", "bernoulli", "ci", split=fake_split(x),
                          entry=entry)                                              # 0.325 < 0.47 - 0.141
    assert res.passed and res.score == 1.0 and "too good to be true" in res.details["review"]
    assert "review" not in res.message
    near = dict(entry, measured=[0.35, 0.36])
    res = check_threshold(_const_bernoulli(0.1), "hwx", "toy", "q", "bernoulli", "ci", split=fake_split(x),
                          entry=near)
    assert res.passed and "review" not in res.details


def test_review_flags_of_parts_reach_the_question():
    from arkit.checks.result import CheckResult, combine
    from autograder.assignments.base import GradingContext, Question, grade_question

    def grade(objects, ctx):
        flagged = CheckResult.ok("a", "fine", review="too good to be true: ...")
        return combine("q", [flagged, CheckResult.ok("b", "fine")])

    res = grade_question(Question("q", "nb", 1, (), grade), {}, GradingContext("hwx", "ci"))
    assert res.details["review"] == "too good to be true: ..."


def test_minus_inf_logits_are_named_not_divergence():
    """-inf logits mean probability 0: fine where the value does not occur, named (with the example)
    where it does; never 'training diverged'. +inf and NaN are named as such."""
    x = np.array([0, 1, 1, 0, 2])
    split = fake_split(x, num_values=3)
    entry = {"threshold": 2.0, "loose_bound": 3.0}
    zero_for_2 = lambda xb: torch.tensor([0.0, 0.0, float("-inf")]).expand(len(xb), 3).clone()  # noqa: E731
    res = check_threshold(zero_for_2, "hwx", "toy", "q", "categorical", "ci", split=split, entry=entry)
    assert not res.passed and "probability 0" in res.message and "example 4" in res.message
    assert "diverged" not in res.message
    ok = check_threshold(zero_for_2, "hwx", "toy", "q", "categorical", "ci", split=fake_split(x[:4], num_values=3),
                         entry=entry)
    assert ok.passed, ok.message
    xb = np.zeros((6, 1, 2, 2), dtype=np.uint8)
    never_one = check_threshold(lambda b: torch.full(b.shape, float("-inf")), "hwx", "toy", "q", "bernoulli", "ci",
                                split=fake_split(xb), entry={"threshold": 0.5, "loose_bound": 1.0})
    assert never_one.passed, never_one.message                           # p(x=1) = 0 and x is always 0
    pinf = check_threshold(lambda b: torch.full(b.shape, float("inf")), "hwx", "toy", "q", "bernoulli", "ci",
                           split=fake_split(xb), entry=ENTRY)
    assert not pinf.passed and "+inf" in pinf.message and "diverged" not in pinf.message


def test_an_audit_failure_is_the_parts_message():
    from autograder.assignments.spec import ParamFnSpec
    from autograder.checks.ar_audit import AuditedParamFn

    x = np.random.default_rng(0).integers(0, 2, (40, 1, 2, 2)).astype(np.uint8)
    peek = AuditedParamFn(lambda b: (2 * b.float() - 1) * 4, ParamFnSpec("m", "toy", "bernoulli", (1, 2, 2)))
    res = check_threshold(peek, "hwx", "toy", "q", "bernoulli", "ci", split=fake_split(x), entry=ENTRY)
    assert not res.passed and res.score == 0 and "not autoregressive" in res.message
    assert res.details["cause"] == "audit"
