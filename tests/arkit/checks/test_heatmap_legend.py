"""The heatmap legend is readable (>= 10 pt) and names every mark, the outlined output pixel included."""
import torch

from arkit.checks.heatmap import LABELS, LEGEND_FONTSIZE, dependency_heatmap
from arkit.checks.orders import identity_order, raster_order


def _legend_texts(fig):
    (legend,) = fig.legends
    return [t.get_text() for t in legend.get_texts()], [t.get_fontsize() for t in legend.get_texts()]


def test_image_legend_names_the_outlined_pixel_and_is_readable():
    order = raster_order(1, 4, 4)
    dep = torch.zeros(1, 16, dtype=torch.bool)
    dep[0, [0, 1, 5, 9]] = True                      # output pixel (2,1) = var 9 sees itself
    fig = dependency_heatmap(dep, torch.tensor([9]), (1, 4, 4), order, pixel=(2, 1))
    texts, sizes = _legend_texts(fig)
    assert "output pixel (2,1)" in texts
    assert LABELS[3] in texts and LABELS[2] in texts  # the offending and the allowed inputs
    assert min(sizes) >= LEGEND_FONTSIZE >= 10


def test_flat_legend_is_readable():
    dep = torch.tril(torch.ones(5, 5, dtype=torch.bool))   # diagonal: each output sees itself
    fig = dependency_heatmap(dep, torch.arange(5), (5,), identity_order(5))
    texts, sizes = _legend_texts(fig)
    assert LABELS[3] in texts and min(sizes) >= 10
