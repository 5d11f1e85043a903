"""Orders, variable names and the output-layout mapping."""
import pytest
import torch

from arkit.checks.orders import VarNamer, allowed_matrix, as_order, ordinal, ranks, raster_order
from arkit.checks.outputs import default_to_vars


def test_raster_order_is_row_major_with_rgb_inside_a_pixel():
    """Is pixel (0,0) R, G, B generated first, then pixel (0,1)?"""
    order = raster_order(3, 2, 2)
    hw = 4
    assert order[:4].tolist() == [0, hw, 2 * hw, 1]
    assert sorted(order.tolist()) == list(range(12))


def test_ranks_invert_the_order_and_allowed_is_strict():
    order = torch.tensor([2, 0, 1])
    assert ranks(order).tolist() == [1, 2, 0]
    allowed = allowed_matrix(order)
    assert not allowed.diagonal().any()
    assert allowed[0, 2] and not allowed[2, 0]


def test_as_order_rejects_non_permutations():
    with pytest.raises(ValueError, match="permutation"):
        as_order([0, 0, 1], 3)


def test_names_are_in_the_students_terms():
    namer = VarNamer((3, 4, 6), raster_order(3, 4, 6))
    d_out = 1 * 24 + 3 * 6 + 5      # channel G, pixel (3,5)
    d_in = 2 * 24 + 3 * 6 + 5       # channel B, pixel (3,5)
    assert namer.pair(d_out, d_in) == "output pixel (3,5) channel G depends on input pixel (3,5) channel B"
    flat = VarNamer((8,), torch.tensor([3, 4, 0, 1, 7, 2, 5, 6]))
    assert flat.pair(4, 7) == "output x_4 (generated 2nd) depends on x_7 (generated 5th)"
    assert [ordinal(k) for k in (1, 2, 3, 4, 11, 12, 13, 21, 22)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd"]


@pytest.mark.parametrize("shape,feat", [((2, 1, 4, 5), 1), ((2, 7, 1, 4, 5), 7), ((2, 7, 4, 5), 7),
                                        ((2, 1, 4, 5, 7), 7)])
def test_default_to_vars_layouts(shape, feat):
    """Does variable d end up in row d for each accepted layout?"""
    out = torch.randn(shape)
    got = default_to_vars(out, (1, 4, 5))
    assert got.shape == (2, 20, feat)


def test_default_to_vars_colour_channel_major_layout():
    out = torch.arange(2 * 3 * 4 * 2 * 2.0).view(2, 3, 4, 2, 2)  # (B, C, K, H, W)
    got = default_to_vars(out, (3, 2, 2))
    assert torch.equal(got[0, 4 + 1], out[0, 1, :, 0, 1])        # channel 1, pixel (0,1)


def test_default_to_vars_names_the_fix_when_ambiguous():
    with pytest.raises(ValueError, match="to_vars"):
        default_to_vars(torch.randn(2, 12, 4, 4), (3, 4, 4))
