"""Questions of notebook 03_pixelcnn: the reference earns full marks, each wrong variant fails with its cause."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from autograder.assignments import base
from autograder.assignments.hw1 import pixelcnn as q
from pixelcnn_solution import (ClassIgnored, LeakyConditioning, StackPixelCNN, UnshiftedGated, complete_fn,
                               conv_probe_variant, load_solution, mask_variant, seeded, tiny_pixelcnn)

CTX = base.GradingContext("hw1", "ci")
REMOTE = base.GradingContext("hw1", "ci", mode="remote")


@pytest.fixture(scope="module")
def sol():
    return load_solution()


def grade(qid: str, ctx=CTX, **objects):
    return base.grade_question(base.get_question("hw1", qid), objects, ctx)


def forward_only(model):
    """What the sandboxed pipeline hands the grader: forward calls, no autograd, fresh tensors out."""
    def call(*args):
        with torch.no_grad():
            return model(*[a.clone() if isinstance(a, torch.Tensor) else a for a in args]).detach().clone()
    return call


# -- masks -----------------------------------------------------------------------------------------

def test_reference_mask_passes(sol):
    result = grade("pixelcnn_mask_test", pixelcnn_mask=sol["pixelcnn_mask"])
    assert result.passed and result.score == 1.0, result.message


@pytest.mark.parametrize("how, expected", [
    ("centre_A_open", "type 'A' mask is 1"),
    ("centre_B_closed", "type 'B' mask is 0"),
    ("future_row", "future row not masked"),
    ("interleaved", "interleaved"),
    ("transposed", "transposed"),
    ("reversed", "colour groups reversed"),
])
def test_wrong_masks_fail_with_cause(sol, how, expected):
    """Is each wrong pixelcnn_mask refused with a message naming what is wrong?"""
    result = grade("pixelcnn_mask_test", pixelcnn_mask=mask_variant(sol, how))
    assert not result.passed and expected in result.message, result.message


# -- MaskedConv2d ----------------------------------------------------------------------------------

def test_reference_conv_passes(sol):
    result = grade("pixelcnn_conv_test", pixelcnn_conv_probe=sol["masked_conv_probe"])
    assert result.passed, result.message


@pytest.mark.parametrize("how, expected", [
    ("overwrite_weights", "changed self.weight"),
    ("mask_ignored", "mask is not applied"),
    ("mask_parameter", "not a buffer"),
    ("no_padding", "same height and width as the input"),
])
def test_wrong_conv_fails_with_cause(sol, how, expected):
    result = grade("pixelcnn_conv_test", pixelcnn_conv_probe=conv_probe_variant(sol, how))
    assert not result.passed and expected in result.message, result.message


# -- PixelCNN: autoregressive and live -------------------------------------------------------------

@pytest.mark.parametrize("ctx", [CTX, REMOTE], ids=["local", "remote"])
def test_reference_pixelcnn_is_autoregressive(sol, ctx):
    """Does an (untrained) reference PixelCNN pass, by gradients locally and forward-only remotely?"""
    model = tiny_pixelcnn(sol)
    obj = model if ctx.mode == "local" else forward_only(model)
    result = grade("pixelcnn_ar_test", ctx, pixelcnn_shapes_model=obj)
    assert result.passed, result.message


@pytest.mark.parametrize("types, expected, ctx", [
    (("B", "B", "B"), "a pixel sees itself", CTX),
    (("B", "B", "B"), "a pixel sees itself", REMOTE),
    (("A", "A", "A"), "left neighbour", CTX),
])
def test_wrong_pixelcnn_fails_with_cause(sol, types, expected, ctx):
    """A type-B first layer leaks the current pixel; an all-'A' stack never sees its left neighbour."""
    model = seeded(lambda: StackPixelCNN(sol, types))
    obj = model if ctx.mode == "local" else forward_only(model)
    result = grade("pixelcnn_ar_test", ctx, pixelcnn_shapes_model=obj)
    assert not result.passed and expected in result.message, result.message


# -- held-out NLL ----------------------------------------------------------------------------------

@pytest.fixture
def fake_heldout(monkeypatch, tmp_path):
    """Fake held-out splits (16 images each) and a fake threshold 0.70 nats/dim, loose 0.80."""
    import autograder.calibration.store as store
    import autograder.heldout as heldout

    def load(name):
        c, h, w = {"shapes": (1, 20, 20), "mnist_binary": (1, 28, 28), "shapes_color": (3, 20, 20)}[name]
        k = 4 if name == "shapes_color" else 2
        gen = torch.Generator().manual_seed(0)
        x = torch.randint(0, k, (16, c, h, w), generator=gen).to(torch.uint8).numpy()
        return SimpleNamespace(x=x, y=torch.arange(16).remainder(5).numpy(), info=SimpleNamespace(num_values=k))

    monkeypatch.setattr(heldout, "load_heldout", load)
    monkeypatch.setattr(store, "threshold_entry", lambda *a, **k: {"threshold": 0.70, "loose_bound": 0.80})
    return tmp_path


def uniform(k, c):
    """param_fn with uniform logits: NLL = ln k nats/dim."""
    return lambda x, y=None: torch.zeros(x.shape[0], k, c, *x.shape[2:])


def test_threshold_questions_pass_and_record(fake_heldout):
    """Is a uniform binary model (ln 2 = 0.693 nats/dim) under 0.70 everywhere, with measurements recorded?"""
    from autograder.calibration.record import from_details

    result = grade("pixelcnn_nll_test", pixelcnn_shapes_params=uniform(2, 1), pixelcnn_mnist_params=uniform(2, 1),
                   pixelcnn_shapes_model=uniform(2, 1))
    assert result.passed, result.message
    cond = grade("pixelcnn_cond_nll_test", pixelcnn_cond_params=uniform(2, 1), pixelcnn_cond_model=uniform(2, 1))
    assert cond.passed
    records = {**from_details("pixelcnn_nll_test", result.details), **from_details("pixelcnn_cond_nll_test",
                                                                                  cond.details)}
    assert set(records) == {
        ("pixelcnn_nll_test", "shapes"), ("pixelcnn_nll_test", "mnist_binary"), ("pixelcnn_cond_nll_test", "shapes")}
    assert all(abs(v - 0.6931) < 1e-3 for v in records.values())


def test_threshold_questions_fail_with_cause(fake_heldout):
    """Too high an NLL earns nothing; NaN logits, wrong layouts and a missing y are named."""
    result = grade("pixelcnn_color_nll_test", pixelcnn_color_params=uniform(4, 3),  # ln 4 = 1.386
                   pixelcnn_color_model=uniform(4, 3))
    assert not result.passed and result.score == 0.0 and "held-out NLL" in result.message
    nan = lambda x: torch.full((x.shape[0], 2, 1, *x.shape[2:]), float("nan"))
    result = grade("pixelcnn_nll_test", pixelcnn_shapes_params=nan, pixelcnn_mnist_params=uniform(2, 1),
                   pixelcnn_shapes_model=nan)
    assert not result.passed and result.score == 0.5 and "NaN" in result.message
    flat = lambda x: torch.zeros(x.shape[0], 2, *x.shape[2:])                         # (B, K, H, W): no C axis
    result = grade("pixelcnn_nll_test", pixelcnn_shapes_params=flat, pixelcnn_mnist_params=flat, pixelcnn_shapes_model=flat)
    assert not result.passed and "class axis" in result.message
    no_y = lambda x: torch.zeros(x.shape[0], 2, *x.shape[1:])  # noqa: E731
    result = grade("pixelcnn_cond_nll_test", pixelcnn_cond_params=no_y, pixelcnn_cond_model=no_y)
    assert not result.passed and "TypeError" in result.message


# -- blind spot ------------------------------------------------------------------------------------

@pytest.mark.parametrize("config", q.BLIND_SPOT_CONFIGS + ((3, 7, 30, 30, (29, 29)),))
def test_closed_form_blind_spot_matches_a_reference_mask_stack(config):
    """Is the grader's closed form equal to backpropagation through reference masked convolutions?"""
    from autograder.reference.masks import pixelcnn_mask
    layers, k, h, w, (i, j) = config
    x = torch.zeros(1, 1, h, w, dtype=torch.float64, requires_grad=True)
    y = x
    for n in range(layers):
        y = torch.nn.functional.conv2d(y, pixelcnn_mask(k, "A" if n == 0 else "B", 1, 1).double(), padding=k // 2)
    y[0, 0, i, j].backward()
    seen = x.grad[0, 0] != 0
    r, c = torch.arange(h)[:, None], torch.arange(w)[None, :]
    before = (r < i) | ((r == i) & (c < j))
    window = before & (i - r <= layers * (k // 2)) & ((c - j).abs() <= layers * (k // 2))
    assert torch.equal(q.reference_blind_spot(*config), window & ~seen)


def test_reference_blind_spot_passes(sol):
    result = grade("pixelcnn_blindspot_test", pixelcnn_blind_spot=sol["blind_spot_mask"])
    assert result.passed, result.message


def test_wrong_blind_spots_fail_with_cause(sol):
    """Returning the receptive field, forgetting the window, or a wrong shape is refused with the cause."""
    good = sol["blind_spot_mask"]

    def receptive(L, k, h, w, pixel):
        return ~good(L, k, h, w, pixel) & (torch.arange(h)[:, None] < pixel[0])

    def unclipped(L, k, h, w, pixel):          # the whole above-right triangle, ignoring the causal window
        d = pixel[0] - torch.arange(h)[:, None]
        e = torch.arange(w)[None, :] - pixel[1]
        return (d >= 1) & (e > (k // 2) * d)

    for wrong, expected in ((receptive, "wrongly included"), (unclipped, "wrongly included"),
                            (lambda *a: good(*a).T[:, :], "cases wrong"), (lambda *a: good(*a)[1:], "expected a bool tensor")):
        result = grade("pixelcnn_blindspot_test", pixelcnn_blind_spot=wrong)
        assert not result.passed and expected in result.message, result.message


# -- Gated PixelCNN --------------------------------------------------------------------------------

@pytest.mark.parametrize("ctx", [CTX, REMOTE], ids=["local", "remote"])
def test_reference_gated_has_no_blind_spot(sol, ctx):
    model = seeded(lambda: sol["GatedPixelCNN"](2, 6, 3, 3))
    obj = model if ctx.mode == "local" else forward_only(model)
    result = grade("pixelcnn_gated_test", ctx, pixelcnn_gated_model=obj)
    assert result.passed and result.score == 1.0, result.message


def test_wrong_gated_fails_with_cause(sol):
    """An unshifted vertical stack leaks; a plain PixelCNN handed in as 'gated' keeps its blind spot (half credit)."""
    result = grade("pixelcnn_gated_test", pixelcnn_gated_model=UnshiftedGated(sol))
    assert not result.passed and result.score == 0.0 and "shifted down" in result.message, result.message
    result = grade("pixelcnn_gated_test", pixelcnn_gated_model=seeded(lambda: sol["PixelCNN"](1, 2, 6, 3, 3)))
    assert not result.passed and result.score == 0.5 and "no blind spot" in result.message, result.message


# -- colour ----------------------------------------------------------------------------------------

def test_reference_colour_pixelcnn_passes(sol):
    result = grade("pixelcnn_color_ar_test", pixelcnn_color_model=tiny_pixelcnn(sol, 3, 4, hidden=12))
    assert result.passed, result.message


@pytest.mark.parametrize("kwargs, expected", [
    (dict(color_channels=1), "channel G never sees input pixel"),
    (dict(reverse_colours=True), "sees a later channel of the same pixel"),
    (dict(hidden_color_channels=1), "may mix channels"),
])
def test_wrong_colour_order_fails_with_cause(sol, kwargs, expected):
    """No colour groups at all: channels never see each other (liveness); groups generated
    B -> G -> R, or hidden layers mixing the groups at the centre, leak later channels."""
    model = seeded(lambda: StackPixelCNN(sol, in_channels=3, num_values=4, **kwargs))
    result = grade("pixelcnn_color_ar_test", pixelcnn_color_model=model)
    assert not result.passed and expected in result.message, result.message


# -- conditional -----------------------------------------------------------------------------------

@pytest.mark.parametrize("ctx", [CTX, REMOTE], ids=["local", "remote"])
def test_reference_conditional_passes(sol, ctx):
    model = tiny_pixelcnn(sol, num_classes=5)
    obj = model if ctx.mode == "local" else forward_only(model)
    result = grade("pixelcnn_cond_test", ctx, pixelcnn_cond_model=obj)
    assert result.passed, result.message


def test_wrong_conditional_fails_with_cause(sol):
    """Ignoring the class costs the class part; a conditioning path fed with x leaks the future."""
    result = grade("pixelcnn_cond_test", pixelcnn_cond_model=ClassIgnored(sol))
    assert not result.passed and result.score == 0.5 and "do not change with any class" in result.message
    result = grade("pixelcnn_cond_test", pixelcnn_cond_model=LeakyConditioning(sol))
    assert not result.passed and "not autoregressive" in result.message, result.message


# -- completion ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_images():
    gen = torch.Generator().manual_seed(0)
    return (torch.rand(3, 1, 8, 8, generator=gen) < 0.3).long()


def test_reference_completion_passes(sol, small_images):
    model = tiny_pixelcnn(sol)
    result = q.check_completion(complete_fn(sol, model), small_images, 4, seed=0)
    assert result.passed, result.message


def test_wrong_completions_fail_with_cause(sol, small_images):
    """Regenerating the visible rows, copying the hidden rows, or returning probabilities is refused."""
    model, good = tiny_pixelcnn(sol), sol["sample_pixelcnn"]
    everything = lambda m, n, shape, k, x=None, start_row=0, generator=None: good(m, n, shape, k, x=x, generator=generator)
    copy = lambda m, n, shape, k, x=None, start_row=0, generator=None: x.clone()
    reads = lambda m, n, shape, k, x=None, start_row=0, generator=None: (  # noqa: E731
        good(m, n, shape, k, x=x, start_row=start_row, generator=generator) | (x * (torch.arange(8) >= start_row).view(1, 1, 8, 1)))
    probs = lambda m, n, shape, k, x=None, start_row=0, generator=None: good(m, n, shape, k, x=x, start_row=start_row, generator=generator).float() * 0.5
    for sampler, expected in ((everything, "were changed"),
                              (copy, "reads pixels it should generate"),
                              (reads, "reads pixels it should generate"),
                              (probs, "non-integer values")):
        result = q.check_completion(complete_fn(sol, model, sampler), small_images, 4, seed=0)
        assert not result.passed and expected in result.message, (expected, result.message)


def test_completion_question_uses_valid_mnist(sol):
    """Does the question itself run end to end (28x28, an untrained model) and pass the reference?"""
    model = tiny_pixelcnn(sol, hidden=4)
    result = grade("pixelcnn_completion_test", pixelcnn_complete=complete_fn(sol, model))
    assert result.passed, result.message
