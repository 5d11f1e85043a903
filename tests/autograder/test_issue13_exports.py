"""Do the issue-13 checks and reference models import from where docs/design.md says?"""
from __future__ import annotations

import importlib

import pytest

PUBLIC = ["check_autoregressive", "check_step_consistency", "check_sampler_equivalence", "sample_with_uniforms",
          "check_cost_scaling", "WorkCounter", "check_causal_attention_mask"]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_checks_are_exported_by_arkit_and_the_grader(name):
    """Each public check is in arkit.checks.__all__ and re-exported by autograder.checks."""
    arkit_checks = importlib.import_module("arkit.checks")
    grader_checks = importlib.import_module("autograder.checks")
    assert name in arkit_checks.__all__
    assert getattr(grader_checks, name) is getattr(arkit_checks, name)


def test_fisher_check_is_a_lazy_grader_export():
    """check_fisher_scores is instructor-only: in autograder.checks (lazily), never in arkit.checks."""
    import arkit.checks
    import autograder.checks
    from autograder.checks.fisher import check_fisher_scores

    assert "check_fisher_scores" in autograder.checks.__all__
    assert autograder.checks.check_fisher_scores is check_fisher_scores
    assert not hasattr(arkit.checks, "check_fisher_scores")


def test_cached_reference_models_are_exported():
    """WaveNet and KVTransformer come from autograder.reference.models and have a cached step."""
    from autograder.reference.models import KVTransformer, WaveNet
    from autograder.reference.models.kv_attention import KVTransformer as KV
    from autograder.reference.models.wavenet import WaveNet as WN

    assert (WaveNet, KVTransformer) == (WN, KV)
    for cls in (WaveNet, KVTransformer):
        assert callable(getattr(cls, "step"))
