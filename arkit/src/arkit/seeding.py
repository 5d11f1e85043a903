"""Deterministic seeding for numpy, torch and Python's ``random``."""
from __future__ import annotations

import os
import random

import numpy as np


def seed_everything(seed: int, deterministic_torch: bool = True) -> np.random.Generator:
    """Seed Python, numpy and torch (CPU and CUDA) and return a numpy Generator.

    With ``deterministic_torch`` the torch algorithms that have a deterministic
    variant use it (``warn_only`` so that models without one still run).
    """
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if torch.cuda.is_available():  # pragma: no cover - GPU only
        torch.cuda.manual_seed_all(seed)
    if deterministic_torch:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
    return np.random.default_rng(seed)


def derive_seed(*keys: object, base: int = 0) -> int:
    """A stable 32-bit seed derived from ``base`` and any hashable-as-text keys.

    Unlike ``hash()``, the value does not change between processes.
    """
    import hashlib

    text = "/".join([str(base), *map(str, keys)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
