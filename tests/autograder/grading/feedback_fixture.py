"""A one-bug StudentResult for the feedback-page tests: every hw1-like question passes except the
PixelCNN autoregressive check, whose first masked layer is type 'B' (a pixel sees itself); its
figure is the real dependency heatmap from ``check_autoregressive``."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from autograder.grading.feedback import figure_png
from autograder.grading.student_result import QuestionResult, StudentResult


class MaskedConv(nn.Conv2d):
    """Conv2d whose weight is multiplied by the reference PixelCNN mask."""

    def __init__(self, mask_type: str, cin: int, cout: int, k: int):
        from autograder.reference.masks import pixelcnn_mask

        super().__init__(cin, cout, k, padding=k // 2)
        self.register_buffer("mask", pixelcnn_mask(k, mask_type, cin, cout).float())

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class OneBugPixelCNN(nn.Module):
    """(B, 1, H, W) -> (B, 2, H, W) logits; the bug: the first layer is type 'B', not 'A'."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.layers = nn.ModuleList([MaskedConv("B", 1, 8, 5), MaskedConv("B", 8, 8, 3), MaskedConv("B", 8, 2, 1)])

    def forward(self, x):
        x = x.float()
        for i, layer in enumerate(self.layers):
            x = layer(x) if i == len(self.layers) - 1 else F.relu(layer(x))
        return x


def one_bug_result() -> StudentResult:
    from arkit.checks.autoregressive import check_autoregressive

    check = check_autoregressive(OneBugPixelCNN(), (1, 12, 12), num_values=2)
    assert not check.passed and check.figure is not None
    qs = [
        QuestionResult("made_masks_test", "02_made", "MADE masks: autoregressive and alive", 5, 5, True,
                       message="autoregressive for 64 orders/sizes"),
        QuestionResult("made_shapes_test", "02_made", "MADE on shapes: held-out NLL", 2, 2, True,
                       message="held-out NLL on 1000 shapes examples: 0.118 nats/dim (0.170 bits/dim)",
                       flags=["review: held-out NLL far below the reference"], status="review"),
        QuestionResult("pixelcnn_mask_test", "03_pixelcnn", "PixelCNN masks", 5, 5, True,
                       message="pixelcnn_mask follows the contract for 20 configurations"),
        QuestionResult("pixelcnn_ar_test", "03_pixelcnn", "PixelCNN: autoregressive and live", 5, 0.0, False,
                       message=check.message,
                       hint=check.hint or "a type 'A' mask (first layer) has centre tap 0",
                       details={"offending_pairs": 2}, figure_png=figure_png(check.figure)),
        QuestionResult("pixelcnn_nll_test", "03_pixelcnn", "PixelCNN: held-out NLL on shapes and mnist_binary",
                       6, 3.0, False, message=("shapes: held-out NLL on 1000 shapes examples: 0.31 nats/dim; "
                                               "full credit at or below 0.2 nats/dim: above the full-credit "
                                               "level (partial credit)."),
                       hint="train longer or check your model"),
    ]
    return StudentResult("carol", "hw1", "ci", {q.id: q for q in qs},
                         cell_errors={"03_pixelcnn": ["cell 9 (your cell 'pixelcnn_train_shapes') raised "
                                                      "<ValueError>: bad <b>shape</b>"]})
