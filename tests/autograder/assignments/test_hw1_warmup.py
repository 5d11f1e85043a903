"""Questions of notebook 01_warmup: the reference earns full marks, each wrong variant fails with its cause."""
from __future__ import annotations

import json
import math

import pytest
import torch

from autograder.assignments import base
from autograder.assignments.hw1 import warmup as q
from warmup_solution import (load_warmup, sampler_float, sampler_global_rng, sampler_off_by_one,
                             sampler_tempered, sampler_unscaled, sampler_uniform)

CTX = base.GradingContext("hw1", "ci")


@pytest.fixture(scope="module")
def sol():
    return load_warmup()


def grade(qid: str, ctx=CTX, **objects):
    return base.grade_question(base.get_question("hw1", qid), objects, ctx)


# ----------------------------------------------------------------------------- sampler
def test_reference_sampler_earns_full_marks(sol):
    """Does the reference inverse-CDF sampler pass every part?"""
    r = grade("warmup_sampler_test", sample_histogram=sol["sample_histogram"])
    assert r.passed and r.score == 1.0, r.message


@pytest.mark.parametrize("wrong, part, cause", [
    (sampler_off_by_one, "distribution", "off-by-one"),
    (sampler_uniform, "distribution", "probability 0 were sampled"),
    (sampler_tempered, "distribution", "do not follow probs"),
    (sampler_unscaled, "edges", "probability 0 were sampled"),
    (sampler_global_rng, "generator", "torch.rand(..., generator=generator)"),
    (sampler_float, "distribution", "int64"),
])
def test_wrong_sampler_fails_naming_the_cause(wrong, part, cause):
    """Does each wrong sampler lose credit, with a message that names what is wrong?"""
    r = grade("warmup_sampler_test", sample_histogram=wrong)
    assert not r.passed and r.score < 1.0
    assert not r.details["parts"][f"sampler.{part}"]["passed"], r.details
    assert cause in r.text("fix"), r.text("fix")
    assert "sampler." not in r.message, "internal check key in the student's message"


def test_remote_mode_skips_only_the_generator_part(sol):
    """Through a remote proxy no generator can be passed: does the reference still earn full marks?"""
    calls = []

    def proxy(probs, n, generator):
        calls.append(generator)
        return sol["sample_histogram"](probs, n, None)

    r = grade("warmup_sampler_test", base.GradingContext("hw1", "ci", mode="remote"), sample_histogram=proxy)
    assert r.passed and r.score == 1.0, r.message
    assert all(g is None for g in calls)


def test_chi_square_is_calibrated():
    """Is the chi-square p-value right for a known case (counts equal to expectations -> p = 1; far off -> ~0)?"""
    probs = torch.tensor([0.25, 0.25, 0.5])
    assert q.chi_square_gof(torch.tensor([250, 250, 500]), probs)["p_value"] == pytest.approx(1.0)
    # statistic 2 * 20^2 / 250 + 0 = 3.2 with 2 dof: p = exp(-1.6)
    stats = q.chi_square_gof(torch.tensor([270, 230, 500]), probs)
    assert stats["statistic"] == pytest.approx(3.2) and stats["p_value"] == pytest.approx(math.exp(-1.6))
    assert q.chi_square_gof(torch.tensor([500, 0, 500]), probs)["p_value"] < 1e-10
    assert q.chi_square_gof(torch.tensor([1, 499, 500]), torch.tensor([0.0, 0.5, 0.5]))["p_value"] == 0.0


# ----------------------------------------------------------------------------- dmol_log_prob
def test_reference_dmol_log_prob_earns_full_marks(sol):
    r = grade("warmup_dmol_test", dmol_log_prob=sol["dmol_log_prob"])
    assert r.passed and r.score == 1.0, r.message


def _dmol_no_edges(x, logits, means, log_scales, num_values):
    """Every bin is unit width, also the first and the last (mass below -0.5 / above V-0.5 is lost)."""
    xf = x.to(means.dtype)[:, None]
    s = torch.exp(log_scales)
    mass = torch.sigmoid((xf + 0.5 - means) / s) - torch.sigmoid((xf - 0.5 - means) / s)
    return torch.logsumexp(torch.log_softmax(logits, -1) + torch.log(mass.clamp(min=1e-12)), -1)


@pytest.mark.parametrize("make, cause", [
    (lambda f: _dmol_no_edges, "-inf"),
    (lambda f: lambda x, lg, mu, ls, v: f(x, lg, mu, ls, v) + torch.logsumexp(lg, -1), "log_softmax"),
    (lambda f: lambda x, lg, mu, ls, v: f(x, lg, mu, ls, v) / math.log(2), "bits"),
])
def test_wrong_dmol_log_prob_fails_naming_the_cause(sol, make, cause):
    """Missing edge bins, unnormalized weights, bits instead of nats: each fails and says why."""
    r = grade("warmup_dmol_test", dmol_log_prob=make(sol["dmol_log_prob"]))
    assert not r.passed, r.message
    assert cause in r.message, r.message


# ----------------------------------------------------------------------------- thresholds
@pytest.fixture()
def calibration(tmp_path, monkeypatch):
    """A fake calibration file with the generic margin rule (loose bound = 1.5 x threshold)."""
    entries = {}
    for qid in ("warmup_histogram_test", "warmup_dmol_model_test"):
        entries[qid] = {
            "gauss1d_small": {"ci": {"threshold": 2.80, "loose_bound": 4.20}},
            "gauss1d_large": {"ci": {"threshold": 4.40, "loose_bound": 6.60}},
        }
    (tmp_path / "hw1.json").write_text(json.dumps({"assignment": "hw1", "questions": entries}))
    monkeypatch.setenv("ARKIT_CALIBRATION_DIR", str(tmp_path))
    return tmp_path


def _fitted_histogram(sol, name):
    """A histogram set to the smoothed training frequencies (what training converges to)."""
    from arkit.data import load_dataset

    split = load_dataset(name, "train")
    counts = torch.bincount(torch.as_tensor(split.x), minlength=split.info.num_values).double()
    model = sol["Histogram"](split.info.num_values)
    with torch.no_grad():
        model.logits.copy_(torch.log(counts + 1.0))
    return model


def _param_fn(model):
    def fn(x):
        with torch.no_grad():
            return model(x)
    return fn


def test_fitted_histograms_pass_and_measurements_are_recorded(sol, calibration):
    """Do fitted histograms meet the thresholds on the real held-out splits, and is each NLL recorded?"""
    objects = {f"warmup_hist_{k}": _param_fn(_fitted_histogram(sol, f"gauss1d_{k}")) for k in ("small", "large")}
    r = grade("warmup_histogram_test", **objects)
    assert r.passed and r.score == 1.0, r.message
    assert "gauss1d_small" in r.message and "bits/dim" in r.message
    from autograder.calibration.record import from_details

    assert set(from_details("warmup_histogram_test", r.details)) == {
        ("warmup_histogram_test", "gauss1d_small"), ("warmup_histogram_test", "gauss1d_large")}


def test_uniform_histogram_and_broken_params_fail(sol, calibration):
    """An untrained (uniform) histogram gets no credit, although 1.5 x threshold is above ln V (the
    loose bound is capped halfway to the uniform NLL); NaN or wrong-shaped parameters fail with a reason."""
    uniform = {f"warmup_hist_{k}": _param_fn(sol["Histogram"](v)) for k, v in (("small", 20), ("large", 100))}
    r = grade("warmup_histogram_test", **uniform)
    assert not r.passed and r.score == 0.0 and "held-out NLL" in r.message, r.message
    assert r.details["parts"]["warmup_histogram_test.gauss1d_small"]["loose_bound"] == pytest.approx(
        2.80 + 0.5 * (math.log(20) - 2.80))
    nan = {"warmup_hist_small": lambda x: torch.full((len(x), 20), float("nan")),
           "warmup_hist_large": lambda x: torch.zeros(len(x), 99)}
    r = grade("warmup_histogram_test", **nan)
    assert not r.passed and "NaN" in r.message and "class axis of size" in r.message, r.message


def test_dmol_model_threshold(sol, calibration):
    """Does a DMoL fitted by a few full-batch steps pass, and one with a collapsed component fail?"""
    from arkit.data import load_dataset

    fitted = {}
    for k in ("small", "large"):
        split = load_dataset(f"gauss1d_{k}", "train")
        torch.manual_seed(0)
        model = sol["DMoL"](split.info.num_values, 4)
        opt = torch.optim.Adam(model.parameters(), lr=0.1)
        x = torch.as_tensor(split.x)
        for _ in range(150):
            opt.zero_grad()
            sol["dmol_loss"](model, x).backward()
            opt.step()
        fitted[f"warmup_dmol_{k}"] = _param_fn(model)
    r = grade("warmup_dmol_model_test", **fitted)
    assert r.passed, r.message
    collapsed = {f"warmup_dmol_{k}": (lambda x: (torch.zeros(4), torch.full((4,), 1.0), torch.full((4,), -3.0)))
                 for k in ("small", "large")}
    r = grade("warmup_dmol_model_test", **collapsed)
    assert not r.passed and r.score == 0.0, r.message
