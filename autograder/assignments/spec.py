"""What a trusted :class:`~autograder.assignments.base.Question` declares about the objects it grades.

The student's process may expose anything with any metadata; none of that
metadata decides trust. A question says, here, which exposed names are
parameter functions of trained models (audited for the autoregressive
property on every scored call), what one variable looks like, in which order
the variables are generated and how colour channels depend on each other.

Shapes: ``var_shape`` is the shape of one example without the batch axis:
``()`` for a scalar (1D) variable, ``(2,)`` for a 2D joint, ``(C, H, W)`` for
images (channels first).
"""
from __future__ import annotations

from dataclasses import dataclass

ORDERS = ("raster",)                      # raster: row-major pixels, channels innermost (R -> G -> B)
COLOR_RULES = ("autoregressive", "independent")


@dataclass(frozen=True)
class ParamFnSpec:
    """A trained model's parameter function that a question scores.

    Attributes:
        name: the exposed name, e.g. ``"made_mnist_params"``.
        dataset: dataset whose held-out split is scored.
        likelihood: ``categorical`` | ``bernoulli`` | ``dmol`` | ``pixelcnnpp``.
        var_shape: shape of one example (see module docstring).
        order: variable order the model must respect (see :data:`ORDERS`).
        color: ``autoregressive`` (G sees R of its own pixel, B sees R and G) or
            ``independent`` (channels of one pixel are independent given the past).
        conditional: called as ``fn(x, y)`` with class labels.
        same_model_as: exposed name of the model object whose AR property another
            question proves; the grader checks both give the same outputs on audited rows.
    """

    name: str
    dataset: str
    likelihood: str
    var_shape: tuple[int, ...]
    order: str = "raster"
    color: str = "autoregressive"
    conditional: bool = False
    same_model_as: str | None = None

    def __post_init__(self) -> None:
        if self.order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {self.order!r}")
        if self.color not in COLOR_RULES:
            raise ValueError(f"color must be one of {COLOR_RULES}, got {self.color!r}")
