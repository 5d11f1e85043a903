"""Public checks: pure functions returning :class:`CheckResult`.

They need no reference solution, so students may run them. The grader uses
the same functions on the trusted side.
"""
from arkit.checks.result import CheckResult, combine

__all__ = ["CheckResult", "combine"]

# Autoregressive-dependency and mask-contract checks (see each module's docstring).
from arkit.checks.autoregressive import check_autoregressive  # noqa: E402
from arkit.checks.masks import check_made_masks, check_pixelcnn_mask  # noqa: E402
from arkit.checks.orders import VarNamer, identity_order, raster_order  # noqa: E402

__all__ += ["check_autoregressive", "check_made_masks", "check_pixelcnn_mask", "raster_order",
            "identity_order", "VarNamer"]
