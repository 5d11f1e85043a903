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


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models: one thread is faster, and much faster on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def sol():
    return load_solution()


def grade(qid: str, **objects):
    return base.grade_question(base.get_question("hw1", qid), objects, CTX)


def test_questions_sum_to_twenty_points():
    """Do the MADE questions add up to the notebook's 20 points, with grade_ids present in the source?"""
    made = [x for x in base.questions("hw1") if x.notebook == "02_made"]
    assert sum(x.points for x in made) == 20
    source = load_solution.__globals__["SOURCE"].read_text()
    for x in made:
        assert f'"grade_id": "{x.id}"' in source and f'grade_in_notebook("hw1", "{x.id}")' in source


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
    (lambda o, s: _masks_from_degrees(o, s, torch.ge), "sees its own input"),
    (lambda o, s: _masks_from_degrees(o, s, torch.gt, ignore_order=True), "generated later"),
    (lambda o, s: [m.T for m in _masks_from_degrees(o, s, torch.gt)], "transposed"),
    (lambda o, s: [torch.zeros_like(m) for m in _masks_from_degrees(o, s, torch.gt)], "connected to no input"),
    (lambda o, s: _masks_from_degrees(o, s, torch.gt, hidden_cmp=torch.gt), "connected"),
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
