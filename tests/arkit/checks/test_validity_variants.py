"""Validity suite (issue 10): correct designs written differently from ours must pass, designs
wrong in one named way must fail with that cause in the message. Models in ``variants/``."""
import pytest
import torch
from variants import made_random, mask_bugs
from variants.attention_image import CausalAttentionImage
from variants.colour_independence import ColourPixelCNN
from variants.gated_layouts import BLIND, LAYOUTS, LayoutGated
from variants.public_bugs import SwappedLayoutPixelCNN, sign_flipped_history

from arkit.checks.autoregressive import check_autoregressive
from arkit.checks.masks import check_made_masks, check_pixelcnn_mask
from autograder.reference.models import GatedPixelCNN as GatedReference

SEEDS = range(20)
MADE_D = 12


# -- random-degree MADE (paper recipe): widths D and 2D, 20 seeds -------------------
@pytest.mark.parametrize("factor", [1, 2])
def test_random_degree_made_masks_pass_for_every_seed(factor):
    failed = {}
    for seed in SEEDS:
        configs = [(torch.randperm(n, generator=torch.Generator().manual_seed(seed)), [factor * n] * layers)
                   for n in (6, MADE_D, 30) for layers in (1, 2, 3)]
        result = check_made_masks(made_random.seeded(seed), configs)
        if not result.passed:
            failed[seed] = result.message
    assert not failed, failed


@pytest.mark.parametrize("factor", [1, 2])
@pytest.mark.parametrize("num_vars", [5, 8, MADE_D])
def test_random_degree_made_models_pass_for_every_seed(factor, num_vars):
    """Before issue 10, width D failed for 4 of these 60 (D, seed) pairs (dead prefixes longer
    than half the outputs)."""
    failed = {}
    for seed in SEEDS:
        order = torch.randperm(num_vars, generator=torch.Generator().manual_seed(seed))
        model = made_random.RandomDegreeMade(num_vars, order, factor * num_vars, num_values=3, seed=seed)
        result = check_autoregressive(model, (num_vars,), order=order, num_values=3, family="made", figure=False)
        if not result.passed:
            failed[seed] = result.message
    assert not failed, failed


def test_dead_output_after_a_live_one_fails():
    """Dead outputs that are not a prefix of the order never come from degrees."""
    from arkit.checks.masks import check_made_masks

    def holes(order, hidden_sizes):
        masks = made_random.random_degree_masks(order, hidden_sizes, seed=0)
        masks[-1][int(list(order)[-1])] = 0.0        # the last-generated output sees nothing
        return masks

    result = check_made_masks(holes, [(list(range(8)), [16, 16])])
    assert not result.passed and "after a live one" in result.message, result.message


# -- gated layouts ------------------------------------------------------------------
GATED_RIGHT = [(name, layers, size) for name in sorted(LAYOUTS) for layers in (2, 6) for size in (10, 20)]


@pytest.mark.parametrize("name,layers,size", GATED_RIGHT)
def test_gated_layouts_have_no_blind_spot(name, layers, size):
    result = check_autoregressive(LayoutGated(layers, 3, **LAYOUTS[name]), (1, size, size), family="gated",
                                  figure=False)
    assert result.passed, result.message


@pytest.mark.parametrize("name,layers", [("centre_only", 2), ("centre_only", 6), ("staircase", 6)])
def test_blind_gated_designs_fail(name, layers):
    """The 1x1-current-row design has the same 4-cell wedge at 2 and 6 layers; the staircase
    design's wedge is one corner cell at 2 layers (indistinguishable from a field that has not
    reached it yet, so only reported) and grows with depth."""
    result = check_autoregressive(LayoutGated(layers, 3, **BLIND[name]), (1, 10, 10), family="gated",
                                  figure=False)
    assert not result.passed
    assert "blind spot" in result.message and "does not shrink" in result.message, result.message


@pytest.mark.parametrize("layers,size", [(2, 10), (6, 10), (6, 20)])
def test_blind_quadrant_gated_design_fails(layers, size):
    """A vertical stack that covers only the columns at and left of the pixel: the upper-right
    quadrant is never seen. No wedge (the wedge rule needs a seen cell higher up in the same
    column), so the gated family also asks for the pixel above and to the right."""
    result = check_autoregressive(LayoutGated(layers, 3, **BLIND["left_only"]), (1, size, size), family="gated",
                                  figure=False)
    assert not result.passed
    assert "above and to its right" in result.message and "blind quadrant" in result.message, result.message
    lenient = check_autoregressive(LayoutGated(layers, 3, **BLIND["left_only"]), (1, size, size),
                                   family="pixelcnn", figure=False)
    assert lenient.passed, lenient.message          # a plain PixelCNN may have a limited field


@pytest.mark.parametrize("size", [6, 10])
def test_attention_image_model_passes_the_gated_rules(size):
    result = check_autoregressive(CausalAttentionImage(size, size), (1, size, size), family="gated", figure=False)
    assert result.passed, result.message


# -- colour dependence as a stated parameter ------------------------------------------
def test_independent_colour_passes_when_independence_is_asked():
    result = check_autoregressive(ColourPixelCNN(independent=True), (3, 8, 8), num_values=4,
                                  channels="independent", figure=False)
    assert result.passed, result.message


def test_autoregressive_colour_passes_when_autoregression_is_asked():
    result = check_autoregressive(ColourPixelCNN(independent=False), (3, 8, 8), num_values=4,
                                  channels="autoregressive", figure=False)
    assert result.passed, result.message


def test_independent_colour_fails_when_autoregression_is_asked():
    result = check_autoregressive(ColourPixelCNN(independent=True), (3, 8, 8), num_values=4,
                                  channels="autoregressive", figure=False)
    assert not result.passed
    assert "channels='autoregressive'" in result.message and "same pixel" in result.message, result.message


def test_autoregressive_colour_fails_when_independence_is_asked():
    result = check_autoregressive(ColourPixelCNN(independent=False), (3, 8, 8), num_values=4,
                                  channels="independent", figure=False)
    assert not result.passed
    assert "channels='independent'" in result.message and "same pixel" in result.message, result.message


# -- wrong cause: mask checks -----------------------------------------------------------
def test_pixelcnn_mask_reports_the_most_severe_violation_first_and_all_classes():
    result = check_pixelcnn_mask(mask_bugs.one_row_below)
    assert not result.passed
    assert result.message.startswith("future row not masked"), result.message
    assert "also" in result.message and "type 'A' mask lets colour" in result.message, result.message


def test_made_masks_names_the_order_type_that_breaks_it():
    assert check_made_masks(mask_bugs.list_only_made_masks).passed
    result = check_made_masks(mask_bugs.list_only_made_masks, order_type=torch.tensor)
    assert not result.passed
    assert "int64 tensor" in result.message and "works for a list" in result.message, result.message


# -- public checks catch impossible results ----------------------------------------------
def test_public_ar_check_catches_a_swapped_output_layout():
    result = check_autoregressive(SwappedLayoutPixelCNN(), (3, 8, 8), num_values=4, output_shape=(4, 3, 8, 8),
                                  figure=False)
    assert not result.passed
    assert "(B, C, K, H, W)" in result.message and "(B, K, C, H, W)" in result.message, result.message


def test_public_nll_check_catches_a_flipped_loss_sign():
    from arkit.checks import check_nll_plausible

    train, valid = sign_flipped_history()
    result = check_nll_plausible(valid[-1], num_values=20)
    assert not result.passed
    assert "negative" in result.message and "sign" in result.message, result.message
    assert check_nll_plausible(2.3, num_values=20).passed


# -- blind-spot geometry: border cells and the enlarged canvas ------------------------------
def test_cells_outside_the_real_image_are_not_a_blind_spot():
    """A region measured on an enlarged canvas is reported at the real pixel; offsets that fall
    outside the student's image (where only the border would have cut them off) are dropped."""
    from arkit.checks.liveness import blind_spot

    seen = torch.zeros(12, 21, dtype=torch.bool)
    seen[:11, 10] = True                       # the column above the pixel (11, 10)
    seen[2:11, 3:17] = True                    # a wide rectangle ...
    seen[9:11, 16] = False                     # ... with a 2-cell notch 6 columns to the right
    assert blind_spot(seen, (11, 10), (9, 5), (10, 10)) is None          # column 11 is outside a 10x10 image
    inside = blind_spot(seen, (11, 10), (9, 5), (10, 14))
    assert inside is not None and inside.wedge and sorted(inside.cells) == [(7, 11), (8, 11)]


def test_a_single_corner_cell_is_reported_not_failed():
    """The staircase design at 2 layers leaves one corner cell: indistinguishable from a field
    that has not reached it yet, so reported (message) but not failed."""
    result = check_autoregressive(LayoutGated(2, 3, **BLIND["staircase"]), (1, 10, 10), family="gated", figure=False)
    assert result.passed and "not a blind spot" in result.message, result.message


def test_deep_reference_gated_model_has_no_numerical_blind_spot():
    """Before issue 10 the reference Gated PixelCNN (10 layers, 28x28) failed with "blind spot: 4
    allowed pixels": real paths whose gradients are a millionth of the largest one. Liveness
    now counts any nonzero gradient as seen."""
    from autograder.reference.models import GatedPixelCNN

    torch.manual_seed(0)
    result = check_autoregressive(GatedPixelCNN(hidden=16, kernel_size=3, num_layers=10), (1, 28, 28),
                                  family="gated", figure=False)
    assert result.passed, result.message


BORDER_ONLY = {  # correct models whose only cells reported before issue 10 lay on the image border
    "reference_8_layers": (lambda: GatedReference(hidden=16, kernel_size=3, num_layers=8),
                           "3 cells in column 15 (right border)"),
    "split_conv_masked_8_layers": (lambda: LayoutGated(8, 3, **LAYOUTS["split_conv_masked"]),
                                   "3 cells in column 0 (left border)"),
}


@pytest.mark.parametrize("name", sorted(BORDER_ONLY))
def test_border_only_unseen_cells_are_not_a_blind_spot(name):
    """On 16x16 these failed before issue 10 with "blind spot" cells only at the border."""
    torch.manual_seed(0)
    result = check_autoregressive(BORDER_ONLY[name][0](), (1, 16, 16), family="gated", figure=False)
    assert result.passed, result.message
