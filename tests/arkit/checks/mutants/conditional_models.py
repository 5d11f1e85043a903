"""Class-conditional PixelCNN models, called as ``model(x, y)``."""
from __future__ import annotations

import torch
import torch.nn as nn

from autograder.reference.models import ConditionalPixelCNN

NUM_CLASSES = 3


def reference():
    torch.manual_seed(0)
    return ConditionalPixelCNN(NUM_CLASSES, hidden=6, kernel_size=3, num_b_layers=2, num_1x1=1)


class GlobalConditioning(ConditionalPixelCNN):
    """Mistake: the conditioning vector is computed from the whole image x (mean over
    pixels through a linear map) and added to every layer: every output sees the future."""

    def __init__(self):
        torch.manual_seed(0)
        super().__init__(NUM_CLASSES, hidden=6, kernel_size=3, num_b_layers=2, num_1x1=1)
        self.from_image = nn.Linear(1, 6)

    def forward(self, x, y=None):
        self._summary = self.from_image(x.float().mean(dim=(1, 2, 3)).unsqueeze(1))
        return super().forward(x, y)

    def hidden_bias(self, h, y):
        return super().hidden_bias(h, y) + self._summary[:, :, None, None]


RIGHT = {"reference": reference}
WRONG = {"conditioning_sees_image": (GlobalConditioning, "summarises the whole image")}
