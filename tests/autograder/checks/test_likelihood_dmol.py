"""check_dmol_log_prob: every mutant fails naming its cause; correct rewrites pass."""
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from mutants_likelihood import dmol_variants as V  # noqa: E402

from autograder.checks.likelihood import DMOL_TAIL_CONTRACT, check_dmol_log_prob  # noqa: E402
from autograder.reference.likelihoods import dmol_log_prob, dmol_log_prob_small_mass  # noqa: E402


@pytest.mark.parametrize("fn", [dmol_log_prob, dmol_log_prob_small_mass, *V.CORRECT.values()],
                         ids=["reference_exact", "reference_small_mass", *V.CORRECT])
def test_correct_implementations_pass(fn):
    res = check_dmol_log_prob(fn)
    assert res.passed, res.message
    assert res.score == 1.0


@pytest.mark.parametrize("name", sorted(V.MUTANTS))
def test_mutant_fails_with_its_cause(name):
    fn, needle = V.MUTANTS[name]
    res = check_dmol_log_prob(fn)
    assert not res.passed
    assert needle in res.message, res.message
    assert res.score < 1.0


def test_clamp_above_the_tail_floor_is_rejected():
    """The tail contract accepts log(clamp(delta, 1e-12)) but not a clamp at 1e-8 (-18.4 nats)."""
    def clamp_1e8(x, logits, means, log_scales, num_values):
        lp = V.student_style(x, logits, means, log_scales, num_values, small_mass=False, mix=False)
        return torch.logsumexp(torch.clamp(lp, min=torch.log(torch.tensor(1e-8)).item()), -1)
    res = check_dmol_log_prob(clamp_1e8)
    assert not res.passed and "extreme_parameters" in res.message


def test_student_errors_become_messages():
    def broken(x, logits, means, log_scales, num_values):
        raise TypeError("boom")
    res = check_dmol_log_prob(broken)
    assert not res.passed and "raised TypeError: boom" in res.message


def test_tail_contract_is_printable():
    assert "-20" in DMOL_TAIL_CONTRACT and "1e-12" in DMOL_TAIL_CONTRACT and "nats" in DMOL_TAIL_CONTRACT
