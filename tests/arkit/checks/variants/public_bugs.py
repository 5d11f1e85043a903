"""Wrong in one way that the PUBLIC notebook checks must catch (issue 10 item 7).

* ``SwappedLayoutPixelCNN``: a correct colour PixelCNN that returns logits
  (B, C, K, H, W) instead of the documented (B, K, C, H, W).
* ``sign_flipped_history``: what a 1D mixture trained with the loss sign flipped
  reports: a held-out "NLL" of about -30 nats/dim on discrete data.
"""
from __future__ import annotations

from variants.colour_independence import ColourPixelCNN


class SwappedLayoutPixelCNN(ColourPixelCNN):
    def __init__(self):
        super().__init__(independent=False)

    def forward(self, x):
        return super().forward(x).transpose(1, 2)                # (B, C, K, H, W)


def sign_flipped_history():
    """(train, valid) curves in 'nats/dim' of a model that maximised the NLL: negative values."""
    train = [-0.5 * t for t in range(61)]                         # ends at -30
    valid = [-0.5 * t + 0.1 for t in range(61)]
    return train, valid
