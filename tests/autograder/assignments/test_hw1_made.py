"""Questions of notebook 02_made: the reference earns full marks, each wrong variant fails with its cause."""
from __future__ import annotations

import types

import pytest
import torch
import torch.nn.functional as F

from autograder.assignments import base
from autograder.assignments.hw1 import made as q
from made_solution import fake_digits, inpainting_model, load_solution

CTX = base.GradingContext("hw1", "ci")


@pytest.fixture(scope="module")
def sol():
    return load_solution()


def grade(qid: str, **objects):
    return base.grade_question(base.get_question("hw1", qid), objects, CTX)


# -- made_masks ------------------------------------------------------------------------------------

def test_reference_masks_pass(sol):
    """Do both the even and the random hidden degrees of the reference pass?"""
    assert grade("made_masks_test", made_masks=sol["made_masks"]).passed
    random_degrees = lambda order, sizes: sol["made_masks"](order, sizes, seed=3)
    result = grade("made_masks_test", made_masks=random_degrees)
    assert result.passed, result.message


def _masks_from_degrees(order, sizes, out_cmp, hidden_cmp=torch.ge, ignore_order=False):
    """made_masks built from even degrees with chosen comparisons (for wrong variants)."""
    order = torch.arange(len(order)) if ignore_order else torch.as_tensor(order)
    num_vars = order.numel()
    deg = torch.empty(num_vars, dtype=torch.long)
    deg[order] = torch.arange(1, num_vars + 1)
    degrees = [deg] + [1 + torch.arange(h) * max(num_vars - 1, 1) // h for h in sizes]
    masks = [hidden_cmp(b[:, None], a[None, :]).float() for a, b in zip(degrees[:-1], degrees[1:])]
    return masks + [out_cmp(deg[:, None], degrees[-1][None, :]).float()]


@pytest.mark.parametrize("wrong, expected", [
    (lambda o, s: _masks_from_degrees(o, s, torch.ge), "depends on its own input"),
    (lambda o, s: _masks_from_degrees(o, s, torch.gt, ignore_order=True), "ordering ignored"),
    (lambda o, s: [m.T for m in _masks_from_degrees(o, s, torch.gt)], "transposed"),
    (lambda o, s: [torch.zeros_like(m) for m in _masks_from_degrees(o, s, torch.gt)], "dead outputs"),
    (lambda o, s: _masks_from_degrees(torch.argsort(torch.as_tensor(o)), s, torch.gt), "wrong way round"),
    (lambda o, s: [m.bool() for m in _masks_from_degrees(o, s, torch.gt)][:-1], "expected a list of"),
])
def test_wrong_masks_fail_with_cause(wrong, expected):
    """Is each wrong made_masks refused with a message naming what is wrong?"""
    result = grade("made_masks_test", made_masks=wrong)
    assert not result.passed and expected in result.message, result.message


# -- MaskedLinear ------------------------------------------------------------------------------------

def _probe_with(layer_cls, sol):
    """The notebook's locked probe, running a different MaskedLinear class."""
    fn = sol["masked_linear_probe"]
    return types.FunctionType(fn.__code__, dict(sol, MaskedLinear=layer_cls))


def test_reference_masked_linear_passes(sol):
    result = grade("made_masked_linear_test", made_masked_linear_probe=sol["masked_linear_probe"])
    assert result.passed and result.score == 1.0, result.message


def _wrong_layers(sol):
    base_cls = sol["MaskedLinear"]

    class Overwrites(base_cls):
        def set_mask(self, mask):
            super().set_mask(mask)
            self.weight.data *= self.mask

    class Unmasked(base_cls):
        def forward(self, x):
            return F.linear(x, self.weight, self.bias)

    class Attribute(torch.nn.Linear):
        def __init__(self, i, o, bias=True):
            super().__init__(i, o, bias)
            self.mask = torch.ones(o, i)

        def set_mask(self, mask):
            self.mask = torch.as_tensor(mask).float()

        def forward(self, x):
            return F.linear(x, self.weight * self.mask, self.bias)

    class Detached(base_cls):
        def forward(self, x):
            return F.linear(x, (self.weight * self.mask).detach(), self.bias)

    return {"weights changed": Overwrites, "is not F.linear": Unmasked, "not a buffer": Attribute,
            "gradients of the weight are wrong": Detached}


def test_wrong_masked_linear_fail_with_cause(sol):
    """Are overwritten weights, a missing mask, a non-buffer mask and detached weights each named?"""
    for expected, cls in _wrong_layers(sol).items():
        result = grade("made_masked_linear_test", made_masked_linear_probe=_probe_with(cls, sol))
        assert not result.passed and expected in result.message, (cls.__name__, result.message)
        assert 0 < result.score < 1, "partial credit: the other parts still count"


# -- MADE model ------------------------------------------------------------------------------------

def _ar_probe_with(sol, **overrides):
    """The notebook's locked made_ar_probe, running a MADE class changed by ``overrides``."""
    made_cls = type("WrongMADE", (sol["MADE"],), overrides)
    fn = sol["made_ar_probe"]
    return types.FunctionType(fn.__code__, dict(sol, MADE=made_cls), fn.__name__, fn.__defaults__)


def test_reference_made_is_autoregressive(sol):
    result = grade("made_model_ar_test", made_ar_probe=sol["made_ar_probe"])
    assert result.passed and result.score == 1.0, result.message


def test_made_ignoring_the_order_fails(sol):
    """Does a MADE that always uses the identity order fail, saying it ignores the order?"""
    def set_order(self, order):
        sol["MADE"].set_order(self, range(self.num_vars))
    result = grade("made_model_ar_test", made_ar_probe=_ar_probe_with(sol, set_order=set_order))
    assert not result.passed and "ignores the order" in result.message, result.message


def test_made_seeing_itself_fails(sol):
    """Does a MADE whose output mask is not strict (sees its own input) fail with that cause?"""
    def leaky_masks(order, sizes, seed=None):
        return _masks_from_degrees(order, sizes, torch.ge)       # '>=' into the output

    made_cls = type("LeakyMADE", (sol["MADE"],), {})
    ns = dict(sol, made_masks=leaky_masks)
    made_cls.set_order = types.FunctionType(sol["MADE"].set_order.__code__, ns)
    fn = sol["made_ar_probe"]
    probe = types.FunctionType(fn.__code__, dict(sol, MADE=made_cls), fn.__name__, fn.__defaults__)
    result = grade("made_model_ar_test", made_ar_probe=probe)
    assert not result.passed and "own input" in result.message, result.message


# -- held-out thresholds (fake held-out split, fake calibration file) ---------------------------------

@pytest.fixture()
def fake_heldout(monkeypatch, tmp_path):
    """Held-out shapes = Bernoulli(0.2) pixels; picture2d = uniform points; thresholds around their entropy."""
    import json

    import numpy as np

    import autograder.heldout
    from arkit.data.split import DatasetInfo, Split

    rng = np.random.default_rng(0)
    splits = {
        "shapes": Split((rng.random((64, 1, 20, 20)) < 0.2).astype(np.uint8), None,
                        DatasetInfo("shapes", (1, 20, 20), 2, "fake"), "heldout"),
        "picture2d_small": Split(rng.integers(0, 25, (64, 2)), None, DatasetInfo("picture2d_small", (2,), 25, "fake"),
                                 "heldout"),
        "picture2d_large": Split(rng.integers(0, 200, (64, 2)), None,
                                 DatasetInfo("picture2d_large", (2,), 200, "fake"), "heldout"),
    }
    monkeypatch.setattr(autograder.heldout, "load_heldout", lambda name, *a, **k: splits[name])
    entry = lambda thr: {"ci": {"threshold": thr, "loose_bound": 1.5 * thr, "measured": [thr], "seeds": [0]}}
    calib = {"assignment": "hw1", "schema": 1, "margin_rule": "test", "questions": {
        "made_shapes_test": {"shapes": entry(0.52)},
        "made_picture2d_test": {"picture2d_small": entry(3.30), "picture2d_large": entry(5.4)}}}
    (tmp_path / "hw1.json").write_text(json.dumps(calib))
    monkeypatch.setenv("ARKIT_CALIBRATION_DIR", str(tmp_path))
    return tmp_path


def _constant_bernoulli(p):
    return lambda x: torch.full(x.shape, float(torch.logit(torch.tensor(p))))


def test_shapes_threshold_uses_bernoulli_logits_and_records(fake_heldout):
    """Does a model at the data's entropy pass, and is its held-out NLL reported for calibration?"""
    result = grade("made_shapes_test", made_shapes_params=_constant_bernoulli(0.2))
    assert result.passed, result.message
    from autograder.calibration.record import from_details

    measured = from_details("made_shapes_test", result.details)
    assert list(measured) == [("made_shapes_test", "shapes")]
    assert abs(measured[("made_shapes_test", "shapes")] - result.details["nats_per_dim"]) < 1e-12


@pytest.mark.parametrize("param_fn, expected", [
    (_constant_bernoulli(0.3), "partial credit"),                                   # a worse model: partial credit
    (_constant_bernoulli(0.5), "Not better than a uniform"),                        # untrained: nothing
    (lambda x: torch.sigmoid(torch.zeros(x.shape)) * 0 + torch.nan, "NaN"),         # diverged training
    (lambda x: torch.zeros(x.shape[0], 400), "shape of x"),                         # flattened logits
])
def test_bad_shapes_models_fail_with_cause(fake_heldout, param_fn, expected):
    """Partial credit above the threshold, none for a uniform model, clear messages for broken outputs."""
    result = grade("made_shapes_test", made_shapes_params=param_fn)
    assert not result.passed and expected in result.message, result.message
    assert (0 < result.score < 1) == (expected == "partial credit")


def test_picture2d_needs_both_datasets_and_class_axis_one(fake_heldout, monkeypatch):
    """Is the (B, K, 2) layout required, and are both 2D datasets graded (half the credit each)?"""
    uniform = lambda x: torch.zeros(x.shape[0], 25, 2)                 # log 25 = 3.22 nats/dim < 3.30
    result = grade("made_picture2d_test", made_picture2d_small_params=uniform)
    assert not result.passed and "did not provide made_picture2d_large_params" in result.message
    wrong_layout = lambda x: torch.zeros(x.shape[0], 2, 25)
    uniform_large = lambda x: torch.zeros(x.shape[0], 200, 2)          # log 200 = 5.30 nats/dim < 5.4
    result = grade("made_picture2d_test", made_picture2d_small_params=wrong_layout,
                   made_picture2d_large_params=uniform_large)
    assert not result.passed and "class axis of size" in result.message, result.message
    assert result.score == 0.5
    result = grade("made_picture2d_test", made_picture2d_small_params=uniform, made_picture2d_large_params=uniform_large)
    assert result.passed, result.message


# -- inpainting --------------------------------------------------------------------------------------

@pytest.fixture()
def digits(monkeypatch):
    monkeypatch.setattr(q, "inpaint_images", lambda n: fake_digits(n))


def _inpaint_fn(sol, fn=None):
    model = inpainting_model(sol)
    fn = fn or sol["made_inpaint"]
    return lambda x, missing, seed=0: fn(model, x, missing, int(seed))


def test_reference_inpainting_passes(sol, digits):
    result = grade("made_inpaint_test", made_inpaint=_inpaint_fn(sol))
    assert result.passed, result.message


def _wrong_inpainters(sol):
    order_fn = sol["inpainting_order"]

    @torch.no_grad()
    def missing_first(model, x, missing, seed):
        done, order = sol["made_inpaint"](model, x, missing, seed)
        return done, torch.cat([order[missing[order]], order[~missing[order]]])

    @torch.no_grad()
    def full_sample(model, x, missing, seed):
        model.set_order(order_fn(missing))
        return model.sample(x.shape[0], torch.Generator().manual_seed(seed)).view(x.shape).to(x.dtype), order_fn(missing)

    @torch.no_grad()
    def one_pass(model, x, missing, seed):
        order = order_fn(missing)
        model.set_order(order)
        flat = x.reshape(x.shape[0], -1).long().clone()
        probs = F.softmax(model(flat), -1)[:, missing]                      # stale context
        gen = torch.Generator().manual_seed(seed)
        flat[:, missing] = torch.multinomial(probs.reshape(-1, 2), 1, generator=gen).view(x.shape[0], -1)
        return flat.view(x.shape).to(x.dtype), order

    @torch.no_grad()
    def argmax(model, x, missing, seed):
        order = order_fn(missing)
        model.set_order(order)
        flat = x.reshape(x.shape[0], -1).long().clone()
        for d in order[int((~missing).sum()):].tolist():
            flat[:, d] = model(flat)[:, d].argmax(-1)
        return flat.view(x.shape).to(x.dtype), order

    @torch.no_grad()
    def unconditional(model, x, missing, seed):
        model.set_order(order_fn(missing))
        s = model.sample(x.shape[0], torch.Generator().manual_seed(seed)).view(x.shape).to(x.dtype)
        flat = torch.where(missing, s.reshape(x.shape[0], -1), x.reshape(x.shape[0], -1))
        return flat.view(x.shape), order_fn(missing)

    return {"missing pixel after all visible": missing_first, "visible pixels were changed": full_sample,
            "depends on the values given at missing pixels": one_pass, "two different seeds": argmax,
            "ignores the visible pixels": unconditional}


def test_wrong_inpainting_fail_with_cause(sol, digits):
    """Is each wrong inpainting (order, visible pixels, stale context, no sampling, no conditioning) named?"""
    for expected, fn in _wrong_inpainters(sol).items():
        result = grade("made_inpaint_test", made_inpaint=_inpaint_fn(sol, fn))
        assert not result.passed and expected in result.message, (fn.__name__, result.message)


def test_inpainting_stub_fails_cleanly(digits):
    """Does the untouched stub give 0 points with the 'not implemented' message?"""
    def stub(x, missing, seed=0):
        raise NotImplementedError()
    result = grade("made_inpaint_test", made_inpaint=stub)
    assert not result.passed and "not implemented" in result.message
