"""Dependency heatmaps: a violating model and a blind-spot model produce PNGs."""
import os
import shutil
from pathlib import Path

import torch
from mutants import made_models, pixelcnn_models

from arkit.checks.autoregressive import check_autoregressive
from arkit.checks.heatmap import categories, dependency_heatmap
from arkit.checks.orders import raster_order

SAVE = os.environ.get("ARKIT_SAVE_FIGURES") == "1"
FIGURES = Path(__file__).resolve().parents[3] / "out" / "figures"


def _save(fig, tmp_path, name):
    path = tmp_path / name
    fig.savefig(path, dpi=90)
    assert path.stat().st_size > 2000
    if SAVE:
        FIGURES.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, FIGURES / name)
    return path


def test_violation_heatmap_png(tmp_path):
    result = check_autoregressive(pixelcnn_models.SmallPixelCNN(mask_fn=pixelcnn_models.pm.right_unmasked),
                                  (1, 10, 10))
    assert not result.passed and result.figure is not None
    _save(result.figure, tmp_path, "heatmap_violation_pixelcnn.png")


def test_blind_spot_heatmap_png(tmp_path):
    from autograder.reference.models import PixelCNN
    torch.manual_seed(0)
    result = check_autoregressive(PixelCNN(hidden=8, kernel_size=3, num_b_layers=4), (1, 12, 12))
    assert result.passed and result.details["blind_spot"]
    _save(result.figure, tmp_path, "heatmap_blind_spot_pixelcnn.png")


def test_detach_violation_is_marked_although_gradients_miss_it(tmp_path):
    result = check_autoregressive(pixelcnn_models.Leaky("far"), (1, 12, 12), figure=True)
    assert not result.passed
    _save(result.figure, tmp_path, "heatmap_detach_leak.png")


def test_made_heatmap_png(tmp_path):
    order = torch.randperm(10, generator=torch.Generator().manual_seed(3))
    result = check_autoregressive(made_models.WRONG["self_dependence"][0](10, order), (10,), order)
    assert not result.passed and result.figure is not None
    _save(result.figure, tmp_path, "heatmap_violation_made.png")


def test_categories_mark_offending_inputs():
    order = raster_order(1, 2, 2)
    dep = torch.tensor([True, True, False, True])
    cat = categories(dep, 1, order)                  # output pixel (0,1)
    assert cat.tolist() == [2, 3, 0, 3]


def test_colour_heatmap_has_one_panel_per_channel_pair():
    order = raster_order(3, 4, 4)
    dep = torch.zeros(3, 48, dtype=torch.bool)
    rows = torch.tensor([5, 21, 37])
    fig = dependency_heatmap(dep, rows, (3, 4, 4), order, (1, 1))
    assert len(fig.axes) == 9
