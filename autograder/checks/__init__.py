"""All checks the grader uses: the public ``arkit.checks`` plus reference-based ones.

Re-exports everything ``arkit.checks`` exports (solution-free checks), and adds,
lazily (imported on first use):

* ``check_dmol_log_prob``, ``check_logistic_mixture_log_prob``, ``DMOL_TAIL_CONTRACT``
  (:mod:`.likelihood`);
* ``evaluate_nll``, ``check_threshold`` (:mod:`.threshold`);
* ``check_samples``, ``samples_nll``, ``check_sample_quality`` (:mod:`.samples`);
* ``check_fisher_scores`` (:mod:`.fisher`: per-example d log p(x_i) / d theta against the reference).
"""
from __future__ import annotations

import importlib

import arkit.checks as _arkit_checks
from arkit.checks import *  # noqa: F401,F403  (the public API, whatever it holds today)
from arkit.checks.finite import check_finite, check_finite_gradients
from arkit.checks.normalization import check_log_prob_normalized, check_normalized

_LAZY = {
    "check_dmol_log_prob": "likelihood", "check_logistic_mixture_log_prob": "likelihood",
    "DMOL_TAIL_CONTRACT": "likelihood",
    "evaluate_nll": "threshold", "check_threshold": "threshold",
    "check_samples": "samples", "samples_nll": "samples", "check_sample_quality": "samples",
    "check_fisher_scores": "fisher",
}

__all__ = sorted(set(getattr(_arkit_checks, "__all__", [])) | set(_LAZY) | {
    "check_finite", "check_finite_gradients", "check_normalized", "check_log_prob_normalized"})


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f"autograder.checks.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'autograder.checks' has no attribute {name!r}")
