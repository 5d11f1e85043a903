"""Whole PixelCNN-family models (one channel): WRONG in one way each, or RIGHT.

Factories ``f() -> nn.Module``; models map x (B, 1, H, W) -> logits (B, K, 1, H, W).
Small widths so that the tests stay fast.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from mutants import pixelcnn_masks as pm


class MaskedConv(nn.Conv2d):
    """Conv with a mask from any ``pixelcnn_mask`` implementation; 'same' zero padding."""

    def __init__(self, cin, cout, k, mask_type, mask_fn=pm.slicing, c=1, explicit_pad=False):
        super().__init__(cin, cout, k, padding=0 if explicit_pad else k // 2)
        self.explicit_pad = explicit_pad
        self.register_buffer("mask", mask_fn(k, mask_type, cin, cout, c).float())

    def forward(self, x):
        if self.explicit_pad:
            p = self.kernel_size[0] // 2
            x = F.pad(x, (p, p, p, p))
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class SmallPixelCNN(nn.Module):
    """types[0] is the first layer's mask type; a masked 1x1 head (unless ``plain_head``)."""

    def __init__(self, types=("A", "B", "B"), mask_fn=pm.slicing, c=1, k=3, hidden=6,
                 num_values=2, explicit_pad=False, plain_head=False, in_channels=None):
        super().__init__()
        torch.manual_seed(0)
        self.c, self.k_values = c, num_values
        cin = c if in_channels is None else in_channels
        hidden = hidden * c
        layers = [MaskedConv(cin if i == 0 else hidden, hidden, k, t, mask_fn, c, explicit_pad)
                  for i, t in enumerate(types)]
        self.convs = nn.ModuleList(layers)
        self.head = (nn.Conv2d(hidden, c * num_values, 1) if plain_head
                     else MaskedConv(hidden, c * num_values, 1, "B", mask_fn, c))

    def features(self, x):
        return x.float() - 0.5

    def forward(self, x):
        h = self.features(x)
        for conv in self.convs:
            h = torch.relu(conv(h))
        b, _, hh, ww = h.shape
        return self.head(h).view(b, self.c, self.k_values, hh, ww).transpose(1, 2)


class EmbeddingPixelCNN(SmallPixelCNN):
    """Integer input: x int64 (B, 1, H, W) -> nn.Embedding -> (B, E, H, W) -> masked convs."""

    def __init__(self, dim=4):
        super().__init__(in_channels=dim)
        self.emb = nn.Embedding(2, dim)

    def features(self, x):
        return self.emb(x.long()[:, 0]).permute(0, 3, 1, 2)


class FixedSize(nn.Module):
    """A correct PixelCNN that refuses any other image size: not detectable as convolutional."""

    def __init__(self, size):
        super().__init__()
        self.net, self.size = SmallPixelCNN(), size

    def forward(self, x):
        if x.shape[-1] != self.size:
            raise ValueError(f"this model only takes {self.size}x{self.size} images")
        return self.net(x)


class Leaky(SmallPixelCNN):
    """Correct PixelCNN plus ``how``: 'detach' (x.detach() of the pixel to the right),
    'no_grad' (the row below, computed under no_grad), or 'far' (one output pixel,
    far from the small canvas, reads a pixel two rows below, via detach)."""

    def __init__(self, how):
        super().__init__()
        self.how = how

    def forward(self, x):
        out = super().forward(x)
        xf = x.float()
        if self.how == "detach":
            leak = F.pad(xf.detach()[..., 1:], (0, 1))            # (i, j) <- (i, j+1)
        elif self.how == "no_grad":
            with torch.no_grad():
                leak = F.pad(xf[..., 1:, :], (0, 0, 0, 1))        # (i, j) <- (i+1, j)
        else:
            leak = torch.zeros_like(xf)
            if x.shape[-1] >= 12:
                leak[..., 8, 10] = xf.detach()[..., 10, 2]
        return out + leak.unsqueeze(1)


RIGHT = {
    "slicing_masks": lambda: SmallPixelCNN(),
    "loop_masks_explicit_padding": lambda: SmallPixelCNN(mask_fn=pm.loops, explicit_pad=True),
    "tril_masks_5x5": lambda: SmallPixelCNN(mask_fn=pm.with_tril, k=5),
    "embedding_input": lambda: EmbeddingPixelCNN(),
    "fixed_size_not_convolutional": lambda: FixedSize(10),
}
WRONG = {  # name -> (factory, substring the failure message must contain)
    "first_layer_type_B": (lambda: SmallPixelCNN(types=("B", "B", "B")), "a pixel sees itself"),
    "centre_wrong_A": (lambda: SmallPixelCNN(mask_fn=pm.centre_wrong_a), "a pixel sees itself"),
    "future_row_unmasked": (lambda: SmallPixelCNN(mask_fn=pm.future_row_unmasked), "later row"),
    "right_unmasked": (lambda: SmallPixelCNN(mask_fn=pm.right_unmasked), "to its right"),
    "all_type_A": (lambda: SmallPixelCNN(types=("A", "A", "A")), "left neighbour"),
    "detach_trick": (lambda: Leaky("detach"), "hides a dependency from autograd"),
    "no_grad_leak": (lambda: Leaky("no_grad"), "hides a dependency from autograd"),
    "far_position_leak": (lambda: Leaky("far"), "pixel (8,10) depends on input pixel (10,2)"),
}
