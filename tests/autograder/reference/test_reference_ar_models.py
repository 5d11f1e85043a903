"""The trusted reference models and masks pass the public checks (they are what the
tests of the checks and the calibration rely on)."""
import pytest
import torch

from arkit.checks.autoregressive import check_autoregressive
from arkit.checks.masks import check_made_masks, check_pixelcnn_mask
from autograder.reference.masks import made_degrees, made_masks, pixelcnn_mask
from autograder.reference.models import MADE, ConditionalPixelCNN, GatedPixelCNN, PixelCNN


def test_reference_masks_pass_the_public_checks():
    assert check_made_masks(made_masks).passed
    assert check_pixelcnn_mask(pixelcnn_mask).passed


def test_made_degrees_follow_the_order():
    order = torch.tensor([2, 0, 1])
    m_in, m_h = made_degrees(order, [4])
    assert m_in.tolist() == [2, 3, 1] and m_h.min() >= 1 and m_h.max() <= 2


MODELS = {
    "made": (lambda: MADE(12, [20, 20], num_values=3, order=torch.arange(12).flip(0)), (12,),
             {"order": torch.arange(12).flip(0), "num_values": 3}),
    "made_random": (lambda: MADE(9, [16], degrees="random", single_logit=True), (9,), {}),
    "pixelcnn": (lambda: PixelCNN(hidden=8, kernel_size=5, num_b_layers=2), (1, 10, 10), {}),
    "colour_pixelcnn": (lambda: PixelCNN(in_channels=3, num_values=4, hidden=12, kernel_size=3,
                                         num_b_layers=2), (3, 7, 7), {"num_values": 4}),
    "gated": (lambda: GatedPixelCNN(hidden=8, kernel_size=3, num_layers=3), (1, 9, 9),
              {"family": "gated"}),
    "conditional": (lambda: ConditionalPixelCNN(4, hidden=8, kernel_size=3, num_b_layers=2),
                    (1, 8, 8), {"num_classes": 4}),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_reference_models_pass_check_autoregressive(name):
    factory, shape, kwargs = MODELS[name]
    torch.manual_seed(0)
    result = check_autoregressive(factory(), shape, **kwargs)
    assert result.passed, result.message


def test_pixelcnn_output_layout_is_b_k_c_h_w():
    model = PixelCNN(in_channels=3, num_values=4, hidden=6, kernel_size=3, num_b_layers=1)
    assert model(torch.zeros(2, 3, 5, 5)).shape == (2, 4, 3, 5, 5)
