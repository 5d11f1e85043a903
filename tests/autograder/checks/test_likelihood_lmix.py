"""check_logistic_mixture_log_prob: every mutant fails naming its cause; correct rewrites pass."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from mutants_likelihood import lmix_variants as V  # noqa: E402

from autograder.checks.likelihood import check_logistic_mixture_log_prob  # noqa: E402
from autograder.reference.likelihoods import (  # noqa: E402
    logistic_mixture_log_prob, logistic_mixture_log_prob_small_mass,
)


@pytest.mark.parametrize("fn", [logistic_mixture_log_prob, logistic_mixture_log_prob_small_mass,
                                *V.CORRECT.values()],
                         ids=["reference_exact", "reference_small_mass", *V.CORRECT])
def test_correct_implementations_pass(fn):
    res = check_logistic_mixture_log_prob(fn)
    assert res.passed, res.message
    assert res.score == 1.0


@pytest.mark.parametrize("name", sorted(V.MUTANTS))
def test_mutant_fails_with_its_cause(name):
    fn, needle = V.MUTANTS[name]
    res = check_logistic_mixture_log_prob(fn)
    assert not res.passed
    assert needle in res.message, res.message
    assert res.score < 1.0


def test_inputs_are_not_shared_between_probes():
    """A function that modifies its inputs in place must not corrupt later probes or later checks."""
    def in_place(x, params, k):
        out = logistic_mixture_log_prob(x, params, k)
        x.zero_()
        return out
    assert check_logistic_mixture_log_prob(in_place).passed
    assert check_logistic_mixture_log_prob(logistic_mixture_log_prob).passed
