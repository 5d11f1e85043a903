"""Questions of notebook 04_logistic_mixtures: the reference earns full marks, each wrong variant
fails with its cause."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from autograder.assignments import base
from autograder.assignments.hw1 import lmix as q
from lmix_solution import leaking_network, load_lmix, make_sampler

CTX = base.GradingContext("hw1", "ci")


@pytest.fixture(scope="module")
def sol():
    return load_lmix()


def grade(qid: str, ctx=CTX, **objects):
    return base.grade_question(base.get_question("hw1", qid), objects, ctx)


# ----------------------------------------------------------------------------- exact pmfs
def test_exact_pmfs_agree_with_the_trusted_likelihood():
    """Are the grader's pmfs (1 channel, coarse 3-channel cells) the trusted likelihood's probabilities?"""
    from autograder.reference.likelihoods import logistic_mixture_log_prob as ref

    k, params = q.PROBES_1CH[0]
    v = torch.arange(256).view(256, 1, 1, 1)
    want = torch.exp(ref(v, params.double().view(1, -1, 1, 1).expand(256, -1, -1, -1), k))
    assert torch.allclose(q.pmf_1ch(params, k), want, atol=1e-12)
    # coarse 3-channel cells: sum the trusted joint over a sub-grid of (R, G) and all B
    k, params = q.PROBE_3CH
    cells = q.pmf_3ch_coarse(params, k, bins=8)
    assert float(cells.sum()) == pytest.approx(1.0, abs=1e-9)
    r, g = torch.meshgrid(torch.arange(64, 96), torch.arange(160, 192), indexing="ij")   # cell (2, 5, *)
    rg = torch.stack([r.flatten(), g.flatten()], 1)
    imgs = torch.cat([rg.repeat_interleave(256, 0), torch.arange(256).repeat(len(rg))[:, None]], 1)
    lp = ref(imgs.view(-1, 3, 1, 1), params.double().view(1, -1, 1, 1).expand(len(imgs), -1, -1, -1), k)
    per_b_cell = torch.exp(lp).view(len(rg), 8, 32).sum(dim=(0, 2))
    assert torch.allclose(cells[2, 5], per_b_cell, atol=1e-10)


# ----------------------------------------------------------------------------- log-prob
def test_reference_log_prob_earns_full_marks(sol):
    r = grade("lmix_log_prob_test", logistic_mixture_log_prob=sol["logistic_mixture_log_prob"])
    assert r.passed and r.score == 1.0, r.message


@pytest.mark.parametrize("make, cause", [
    (lambda f: lambda x, p, k: f(x, p, k) / math.log(2), "bits"),
    (lambda f: lambda x, p, k: -f(x, p, k), "sign"),
])
def test_wrong_log_prob_fails_naming_the_cause(sol, make, cause):
    """Bits instead of nats, the NLL instead of the log-likelihood: each fails and says why."""
    r = grade("lmix_log_prob_test", logistic_mixture_log_prob=make(sol["logistic_mixture_log_prob"]))
    assert not r.passed, r.message
    assert cause in r.message, r.message


# ----------------------------------------------------------------------------- sampler
def test_reference_sampler_earns_full_marks(sol):
    r = grade("lmix_sampler_test", sample_logistic_mixture=sol["sample_logistic_mixture"])
    assert r.passed and r.score == 1.0, r.message


def test_original_pixelcnnpp_coupling_is_accepted():
    """PixelCNN++'s own sampler couples G and B to the continuous R sample: is that (a sub-bin difference) accepted?"""
    r = grade("lmix_sampler_test", sample_logistic_mixture=make_sampler(continuous_coupling=True))
    assert r.passed, r.message


@pytest.mark.parametrize("switch, part, cause", [
    ("use_logits", "one_channel", "softmax of the logits"),
    ("rescale", "one_channel", "map to 0..255"),
    ("shared_component", "three_channels", "component chosen for R"),
    ("coupling", "three_channels", "tanh(alpha) * x_R"),
    ("tanh", "three_channels", "tanh(alpha)"),
])
def test_wrong_sampler_fails_naming_the_cause(switch, part, cause):
    """Each sampler that is wrong in one way loses credit for the right part, with a message naming the cause."""
    r = grade("lmix_sampler_test", sample_logistic_mixture=make_sampler(**{switch: False}))
    assert not r.passed and r.score <= 0.5, r.message
    assert not r.details["parts"][f"sampler.{part}"]["passed"], r.details
    assert cause in r.text("fix"), r.text("fix")
    assert "sampler." not in r.message, "internal check key in the student's message"


def test_malformed_samples_fail():
    """Float output or values outside 0..255 fail with a message about dtype or range."""
    r = grade("lmix_sampler_test", sample_logistic_mixture=lambda p, k, c: torch.zeros(len(p), c))
    assert not r.passed and "int64" in r.message, r.message
    r = grade("lmix_sampler_test", sample_logistic_mixture=lambda p, k, c: torch.full((len(p), c), 256))
    assert not r.passed and "0..255" in r.message, r.message


# ----------------------------------------------------------------------------- trained model
@pytest.fixture()
def fake_heldout(tmp_path, monkeypatch):
    """A fake mnist_gray held-out split (16 blank-ish images) and a fake calibration entry."""
    import autograder.heldout
    from arkit.data.split import DatasetInfo, Split

    rng = np.random.default_rng(0)
    x = np.where(rng.random((16, 1, 28, 28)) < 0.1, 255, 0).astype(np.uint8)
    split = Split(x, None, DatasetInfo("mnist_gray", (1, 28, 28), 256, "fake"), "heldout")
    monkeypatch.setattr(autograder.heldout, "load_heldout", lambda name, data_dir=None: split)
    entry = {"lmix_model_test": {"mnist_gray": {"ci": {"threshold": 0.9, "loose_bound": 1.5}}}}
    (tmp_path / "hw1.json").write_text(json.dumps({"assignment": "hw1", "questions": entry}))
    monkeypatch.setenv("ARKIT_CALIBRATION_DIR", str(tmp_path))
    return tmp_path


def _constant_params(logits, means, log_scales):
    """A 'model' that predicts the same K=2 mixture for every pixel."""
    p = torch.tensor([*logits, *means, *log_scales], dtype=torch.float32)
    return lambda x: p.view(1, -1, 1, 1).expand(len(x), -1, 28, 28).clone()


def test_model_threshold_credit_and_record(fake_heldout):
    """A mixture matching the 0/255 pixels passes and is recorded; a mid-grey one fails; NaN fails with a reason."""
    good = _constant_params([2.2, 0.0], [-1.0, 1.0], [-5.0, -5.0])      # ~90% zeros, ~10% 255s
    r = grade("lmix_model_test", lmix_mnist_params=good, lmix_model=good)
    assert r.passed, r.message
    from autograder.calibration.record import from_details

    assert list(from_details("lmix_model_test", r.details)) == [("lmix_model_test", "mnist_gray")]
    grey = _constant_params([0.0, 0.0], [0.0, 0.1], [-2.0, -2.0])
    r = grade("lmix_model_test", lmix_mnist_params=grey, lmix_model=grey)
    assert not r.passed and r.score == 0.0 and "bits/dim" in r.message, r.message
    nan = lambda x: torch.full((len(x), 6, 28, 28), float("nan"))  # noqa: E731
    r = grade("lmix_model_test", lmix_mnist_params=nan, lmix_model=nan)
    assert not r.passed and "NaN" in r.message, r.message


# ----------------------------------------------------------------------------- autoregressive
def test_shifted_network_is_autoregressive(sol):
    """Is the provided shifted-convolution network (untrained, small) accepted as autoregressive?"""
    torch.manual_seed(0)
    model = sol["ShiftedPixelCNN"](1, hidden=8, layers=2, out_channels=6)
    r = grade("lmix_ar_test", lmix_model=model)
    assert r.passed and r.score == 1.0, r.message


def test_leaking_network_fails_naming_the_pixel(sol):
    """Without the down-shift the up stream sees the current pixel: is the offending pair named?"""
    torch.manual_seed(0)
    r = grade("lmix_ar_test", lmix_model=leaking_network(sol, hidden=8, layers=2, out_channels=6))
    assert not r.passed and r.score == 0.0
    assert "depends on" in r.message and "pixel" in r.message, r.message


def _forward_only(model):
    """What the sandboxed pipeline hands the grader: forward calls only, no autograd."""
    def fn(x):
        with torch.no_grad():
            return model(torch.as_tensor(x)).detach().clone()
    return fn


def test_remote_mode_uses_perturbations(sol):
    """Through a forward-only proxy (remote mode): is the network still accepted, and the leak still found?"""
    ctx = base.GradingContext("hw1", "ci", mode="remote")
    torch.manual_seed(0)
    good = sol["ShiftedPixelCNN"](1, hidden=8, layers=2, out_channels=6)
    assert grade("lmix_ar_test", ctx, lmix_model=_forward_only(good)).passed
    r = grade("lmix_ar_test", ctx, lmix_model=_forward_only(leaking_network(sol, hidden=8, layers=2, out_channels=6)))
    assert not r.passed and "perturbations" in r.message, r.message
