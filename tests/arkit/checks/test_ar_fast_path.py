"""The convolutional fast path: same verdicts as the full Jacobian, and cut planning
that covers every row start, every column and every channel boundary."""
import pytest
import torch
from mutants import color_models, pixelcnn_models

from arkit.checks.autoregressive import check_autoregressive
from arkit.checks.conv_fast import plan_cuts
from arkit.checks.orders import raster_order, ranks


def test_cuts_cover_every_row_start_column_and_channel():
    c, h, w = 3, 9, 11
    order = raster_order(c, h, w)
    rank = ranks(order)
    cuts = plan_cuts((c, h, w), order, exhaustive=False)
    cut_vars = order[torch.tensor(cuts)]
    chan, row, col = cut_vars // (h * w), (cut_vars // w) % h, cut_vars % w
    assert {int(rank[i * w]) for i in range(h)} <= set(cuts)        # channel R of (i, 0)
    assert set(col.tolist()) == set(range(w))
    assert set(chan.tolist()) == set(range(c))
    assert set(row.tolist()) == set(range(h))
    assert len(cuts) < c * h * w / 4


def test_exhaustive_plan_is_every_step():
    assert plan_cuts((1, 3, 3), raster_order(1, 3, 3), exhaustive=True) == list(range(9))


CASES = [("pixelcnn", n) for n in ("slicing_masks", "first_layer_type_B", "future_row_unmasked",
                                    "right_unmasked", "all_type_A", "detach_trick")] + \
        [("colour", n) for n in ("groups_via_loops", "unmasked_1x1_head")]


@pytest.mark.parametrize("family,name", CASES)
def test_fast_path_gives_the_full_jacobian_verdict(family, name):
    module = pixelcnn_models if family == "pixelcnn" else color_models
    factory = module.RIGHT.get(name) or module.WRONG[name][0]
    shape, kw = ((1, 9, 9), {}) if family == "pixelcnn" else ((3, 7, 7), {"num_values": 4})
    fast = check_autoregressive(factory(), shape, **kw)
    full = check_autoregressive(factory(), shape, convolutional=False, **kw)
    assert fast.details["path"] == "convolutional" and full.details["path"] == "full"
    assert fast.passed == full.passed, (fast.message, full.message)


def test_far_position_leak_is_caught_by_full_size_row_cuts():
    """A leak only at one position outside the small canvas, hidden from autograd."""
    result = check_autoregressive(pixelcnn_models.Leaky("far"), (1, 12, 12))
    assert not result.passed and result.details["path"] == "convolutional"


class RowLeak(pixelcnn_models.SmallPixelCNN):
    """Correct PixelCNN plus, at ONE position, a detached read of the pixel to its right."""

    def forward(self, x):
        out = super().forward(x)
        leak = torch.zeros_like(x, dtype=torch.float)
        leak[..., 5, 2] = x.float().detach()[..., 5, 3]
        return out + leak.unsqueeze(1)


def test_within_row_position_leak_is_caught_by_exhaustive_cuts():
    """Not guaranteed by the fast path (see conv_fast docstring); exhaustive=True catches it."""
    result = check_autoregressive(RowLeak(), (1, 12, 12), exhaustive=True)
    assert not result.passed
    assert "pixel (5,2) depends on input pixel (5,3)" in result.message


def test_convolutional_true_on_a_fixed_size_model_explains():
    result = check_autoregressive(pixelcnn_models.FixedSize(10), (1, 10, 10), convolutional=True)
    assert not result.passed and "smaller canvas" in result.message


def test_padding_only_removes_dependencies():
    """Border outputs never see more than interior ones (the fast path relies on it)."""
    model = pixelcnn_models.SmallPixelCNN()
    x = torch.zeros(1, 1, 9, 9, requires_grad=True)
    out = model(x)[:, 1, 0]                                          # (1, 9, 9)
    (g_border,) = torch.autograd.grad(out[0, 8, 0], x, retain_graph=True)
    (g_inner,) = torch.autograd.grad(out[0, 8, 4], x)
    border = (g_border[0, 0] != 0).nonzero() - torch.tensor([8, 0])
    inner = {tuple(v) for v in ((g_inner[0, 0] != 0).nonzero() - torch.tensor([8, 4])).tolist()}
    assert {tuple(v) for v in border.tolist()} <= inner
