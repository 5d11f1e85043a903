"""check_autoregressive on whole models: each WRONG model fails naming its cause, each
RIGHT model (written differently) passes."""
import pytest
import torch
from mutants import color_models, conditional_models, gated_models, made_models, pixelcnn_models

from arkit.checks.autoregressive import check_autoregressive

MADE_D = 10
MADE_ORDER = torch.randperm(MADE_D, generator=torch.Generator().manual_seed(3))

# family -> (module, input_shape, keyword arguments, how to build a model from a factory)
FAMILIES = {
    "made": (made_models, (MADE_D,), {"order": MADE_ORDER}, lambda f: f(MADE_D, MADE_ORDER)),
    "pixelcnn": (pixelcnn_models, (1, 10, 10), {}, lambda f: f()),
    "gated": (gated_models, (1, 10, 10), {"family": "gated"}, lambda f: f()),
    "colour": (color_models, (3, 8, 8), {"num_values": 4}, lambda f: f()),
    "conditional": (conditional_models, (1, 8, 8), {"num_classes": 3}, lambda f: f()),
}
RIGHT = [(fam, name) for fam, (mod, *_) in FAMILIES.items() for name in sorted(mod.RIGHT)]
WRONG = [(fam, name) for fam, (mod, *_) in FAMILIES.items() for name in sorted(mod.WRONG)]


def _run(family, factory):
    module, shape, kwargs, build = FAMILIES[family]
    kwargs = dict(kwargs)
    if family == "made" and factory is made_models.RIGHT.get("evenly_spread"):
        kwargs["num_values"] = 3
    if family == "pixelcnn" and factory is pixelcnn_models.WRONG["far_position_leak"][0]:
        shape = (1, 12, 12)                      # the leak sits outside a 10x10 image
    return check_autoregressive(build(factory), shape, **kwargs)


@pytest.mark.parametrize("family,name", RIGHT)
def test_correct_models_pass(family, name):
    result = _run(family, FAMILIES[family][0].RIGHT[name])
    assert result.passed, result.message


@pytest.mark.parametrize("family,name", WRONG)
def test_wrong_models_fail_naming_the_cause(family, name):
    factory, cause = FAMILIES[family][0].WRONG[name]
    result = _run(family, factory)
    assert not result.passed
    assert cause in result.message, result.message


def test_pixelcnn_blind_spot_is_reported_as_a_region():
    """Does a correct masked PixelCNN pass but report its above-right blind spot?"""
    result = check_autoregressive(pixelcnn_models.SmallPixelCNN(), (1, 10, 10))
    assert result.passed
    cells = result.details["blind_spot"]
    assert cells and all(r < 9 and c > 5 for r, c in cells)       # above-right of (9, 5)
    assert "blind spot" in result.message and "rows" in result.message
    assert result.figure is not None                                 # drawn because of the blind spot


def test_blind_spot_fails_for_the_gated_family():
    result = check_autoregressive(pixelcnn_models.SmallPixelCNN(), (1, 10, 10), family="gated")
    assert not result.passed and "must have no blind spot" in result.message


def test_gated_reference_has_no_blind_spot():
    result = check_autoregressive(gated_models.reference(), (1, 10, 10), family="gated")
    assert result.passed and result.details["blind_spot"] is None


def test_integer_input_models_use_the_embedding_gradient():
    model = pixelcnn_models.EmbeddingPixelCNN()
    result = check_autoregressive(model, (1, 8, 8))
    assert result.passed, result.message
    assert result.details["dependency"] == "gradients"


def test_fixed_size_model_falls_back_to_the_full_jacobian():
    result = check_autoregressive(pixelcnn_models.FixedSize(10), (1, 10, 10))
    assert result.passed and result.details["path"] == "full"


def test_model_training_mode_is_restored():
    model = made_models.RIGHT["deterministic"](MADE_D, MADE_ORDER).train()
    check_autoregressive(model, (MADE_D,), MADE_ORDER)
    assert model.training


def test_results_are_deterministic():
    a = check_autoregressive(pixelcnn_models.SmallPixelCNN(), (1, 8, 8))
    b = check_autoregressive(pixelcnn_models.SmallPixelCNN(), (1, 8, 8))
    assert a.message == b.message and a.details["blind_spot"] == b.details["blind_spot"]


@pytest.mark.parametrize("name,how", [("embedding_input", "gradients"),
                                      ("integer_only_input", "gradients"),
                                      ("no_gradient_path", "single-input perturbations")])
def test_dependencies_without_an_input_gradient(name, how):
    """Integer inputs use the embedding output; no gradient at all falls back to perturbations."""
    result = check_autoregressive(made_models.RIGHT[name](MADE_D, MADE_ORDER), (MADE_D,), MADE_ORDER)
    assert result.passed, result.message
    assert result.details["dependency"] == how


def test_unrunnable_model_fails_with_the_reason():
    def broken(x):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")
    result = check_autoregressive(broken, (4,))
    assert not result.passed and "mat1 and mat2" in result.message


def test_ambiguous_output_layout_asks_for_to_vars():
    result = check_autoregressive(lambda x: x.float().repeat(1, 4, 1, 1), (3, 4, 4))
    assert not result.passed and "to_vars" in result.message
