"""Colour PixelCNN models (C = 3, R -> G -> B within a pixel): WRONG in one way each, or RIGHT."""
from __future__ import annotations

from mutants import pixelcnn_masks as pm
from mutants.pixelcnn_models import SmallPixelCNN


def colour(**kw):
    return SmallPixelCNN(c=3, hidden=4, num_values=4, **kw)


RIGHT = {
    "groups_via_loops": lambda: colour(mask_fn=pm.loops),
    "groups_via_slicing": lambda: colour(mask_fn=pm.slicing),
}
WRONG = {  # name -> (factory, substring the failure message must contain)
    "unmasked_1x1_head": (lambda: colour(plain_head=True), "1x1"),
    "colour_groups_reversed": (lambda: colour(mask_fn=pm.reversed_groups), "later channel of the same pixel"),
    "colour_groups_interleaved": (lambda: colour(mask_fn=pm.interleaved), "not contiguous R|G|B blocks"),
    "first_layer_type_B": (lambda: colour(types=("B", "B", "B")), "sees itself"),
}
