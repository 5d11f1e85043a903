"""Compute profiles: how big a run is allowed to be.

``ci``  -- tiny: 2 CPU cores, whole notebook in a few minutes (used by CI).
``cpu`` -- a laptop CPU: small models, minutes per model.
``gpu`` -- one CUDA GPU: the full-size assignment.

The profile is read from the environment variable ``ARKIT_PROFILE``; when it
is unset, ``CI=true`` selects ``ci``, a visible CUDA device selects ``gpu``,
and anything else ``cpu``. Notebooks pick dataset sizes, epochs and widths
from a dict keyed by profile (see :func:`pick`).
"""
from __future__ import annotations

import os

PROFILES = ("ci", "cpu", "gpu")
ENV_VAR = "ARKIT_PROFILE"


def active_profile() -> str:
    """Return the active profile name (``'ci'``, ``'cpu'`` or ``'gpu'``)."""
    forced = os.environ.get(ENV_VAR, "").strip().lower()
    if forced:
        if forced not in PROFILES:
            raise ValueError(f"{ENV_VAR}={forced!r} is not one of {PROFILES}")
        return forced
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        return "ci"
    try:
        import torch

        if torch.cuda.is_available():  # pragma: no cover - GPU only
            return "gpu"
    except ImportError:  # pragma: no cover
        pass
    return "cpu"


def default_device(profile: str | None = None) -> str:
    """``'cuda'`` for the gpu profile when CUDA is available, else ``'cpu'``."""
    import torch

    profile = profile or active_profile()
    return "cuda" if profile == "gpu" and torch.cuda.is_available() else "cpu"


def pick(settings: dict, profile: str | None = None):
    """Pick ``settings[profile]``; a clear error names the missing profile."""
    profile = profile or active_profile()
    if profile not in settings:
        raise KeyError(f"no settings for profile {profile!r}; have {sorted(settings)}")
    return settings[profile]
