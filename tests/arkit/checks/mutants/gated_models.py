"""Gated PixelCNN models: the reference (RIGHT) and two one-line mistakes (WRONG)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from autograder.reference.models.gated_pixelcnn import GatedLayer, GatedPixelCNN, shift_down


class MistakenLayer(GatedLayer):
    """``mistake``: 'h_sees_right' (horizontal kernel centred, padded both sides) or
    'v_not_shifted' (vertical features reach the horizontal stack without the shift down)."""

    mistake = ""

    def forward(self, v, h):
        n = self.n
        v_feat = self.v_conv(F.pad(v, (n, n, n, 0)))
        w = self.h_conv.weight * self.h_mask if self.first else self.h_conv.weight
        if self.mistake == "h_sees_right":
            h_feat = F.conv2d(F.pad(h, (0, n, 0, 0)), w, self.h_conv.bias)  # cols j..j+n
        else:
            h_feat = F.conv2d(F.pad(h, (n, 0, 0, 0)), w, self.h_conv.bias)
        v_in = v_feat if self.mistake == "v_not_shifted" else shift_down(v_feat)
        h_feat = h_feat + self.v_to_h(v_in)
        v_new = torch.tanh(v_feat.chunk(2, 1)[0]) * torch.sigmoid(v_feat.chunk(2, 1)[1])
        h_new = self.h_out(torch.tanh(h_feat.chunk(2, 1)[0]) * torch.sigmoid(h_feat.chunk(2, 1)[1]))
        return v_new, (h_new if self.first else h + h_new)


def mistaken(mistake: str) -> GatedPixelCNN:
    torch.manual_seed(0)
    model = GatedPixelCNN(hidden=8, kernel_size=3, num_layers=3)
    for layer in model.layers:
        layer.__class__ = type(f"Mistaken_{mistake}", (MistakenLayer,), {"mistake": mistake})
    return model


def reference() -> GatedPixelCNN:
    torch.manual_seed(0)
    return GatedPixelCNN(hidden=8, kernel_size=3, num_layers=3)


RIGHT = {"reference": reference}
WRONG = {  # name -> (factory, substring the failure message must contain)
    "horizontal_sees_right": (lambda: mistaken("h_sees_right"), "horizontal kernel reaches right"),
    "vertical_not_shifted": (lambda: mistaken("v_not_shifted"), "shifted down by one row"),
}
