"""Trusted reference models (instructor-only): used by tests, calibration and the benchmark.

``MADE``, ``PixelCNN`` (also colour, with R|G|B channel groups), ``GatedPixelCNN``
and ``ConditionalPixelCNN``. All take integer-valued inputs as floats
(B, *var_shape) and return logits the checks understand: MADE (B, D, K),
image models (B, K, C, H, W).

Fast generation (issue 13): ``WaveNet`` (dilated causal convolutions, a ring buffer
per layer) and ``KVTransformer`` (masked attention with a KV cache); both take
x (B, D) and return logits (B, D, K), with a cached ``step`` under the step contract of
:func:`arkit.checks.check_step_consistency`.
"""
from autograder.reference.models.gated_pixelcnn import GatedPixelCNN
from autograder.reference.models.kv_attention import KVTransformer
from autograder.reference.models.layers import MaskedConv2d, MaskedLinear
from autograder.reference.models.made import MADE
from autograder.reference.models.pixelcnn import ConditionalPixelCNN, PixelCNN
from autograder.reference.models.wavenet import WaveNet

__all__ = ["MADE", "PixelCNN", "ConditionalPixelCNN", "GatedPixelCNN", "MaskedConv2d", "MaskedLinear",
           "WaveNet", "KVTransformer"]
