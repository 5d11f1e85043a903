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

ORDERS = ("raster", "multiscale")        # raster: row-major pixels, channels innermost (R -> G -> B);
# multiscale: one-channel images in the groups of Reed et al. (2017)
# (autograder.reference.models.multiscale.multiscale_groups): a variable may see earlier groups only
COLOR_RULES = ("autoregressive", "independent")
LIKELIHOODS = ("categorical", "bernoulli", "dmol", "pixelcnnpp")


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
        class_dim: position of the class axis of ``categorical`` logits (default 1:
            ``(B, V, *var_shape)``, the ``F.cross_entropy`` layout).
        calibrated: the threshold comes from ``autograder/calibration/<assignment>.json`` and
            the held-out split from :mod:`autograder.heldout` (preflight checks both); False for
            questions that bring their own (test fixtures).

    The output layout follows from ``likelihood`` (see
    :func:`autograder.checks.threshold.batch_log_prob`); the audit
    (:mod:`autograder.checks.ar_audit`) maps it to one output *unit* per variable
    (per pixel for ``pixelcnnpp``) and knows which variables each unit may see.
    """

    name: str
    dataset: str
    likelihood: str
    var_shape: tuple[int, ...]
    order: str = "raster"
    color: str = "autoregressive"
    conditional: bool = False
    same_model_as: str | None = None
    class_dim: int = 1
    calibrated: bool = True

    def __post_init__(self) -> None:
        if self.order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {self.order!r}")
        if self.color not in COLOR_RULES:
            raise ValueError(f"color must be one of {COLOR_RULES}, got {self.color!r}")
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {self.likelihood!r}")
        object.__setattr__(self, "var_shape", tuple(int(s) for s in self.var_shape))

    @property
    def names(self) -> tuple[str, ...]:
        """Every exposed name this declaration needs (the param_fn and its same-model object)."""
        return (self.name,) + ((self.same_model_as,) if self.same_model_as else ())
