"""check_causal_attention_mask: masks wrong in one named way fail naming it; both conventions,
with or without the diagonal, pass when right."""
import numpy as np
import pytest
import torch

from arkit.checks import check_causal_attention_mask

NEG = float("-inf")


def additive_masked_fill(n):
    return torch.zeros(n, n).masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), NEG)


def additive_finfo_min(n):
    return torch.full((n, n), torch.finfo(torch.float32).min).triu(1)


def multiplicative_float(n):
    return torch.ones(n, n).tril()


def multiplicative_bool(n):
    return torch.ones(n, n, dtype=torch.bool).tril()


def numpy_tril(n):
    return np.tril(np.ones((n, n)))


def strict_additive(n):
    m = torch.full((n, n), NEG).triu(0)
    m[0, 0] = 0.0                      # the first query attends to itself only
    return m


def strict_bool(n):
    m = torch.ones(n, n, dtype=torch.bool).tril(-1)
    m[0, 0] = True
    return m


RIGHT = {  # name -> (fn, diagonal)
    "additive_masked_fill": (additive_masked_fill, True),
    "additive_finfo_min": (additive_finfo_min, True),
    "multiplicative_float": (multiplicative_float, True),
    "multiplicative_bool": (multiplicative_bool, True),
    "numpy_tril": (numpy_tril, True),
    "strict_additive": (strict_additive, False),
    "strict_bool": (strict_bool, False),
}

WRONG = {  # name -> (fn, diagonal, phrase)
    "transposed_triu": (lambda n: torch.ones(n, n).triu(), True, "transposed"),
    "zero_times_inf_nan": (lambda n: torch.ones(n, n).triu(1) * NEG, True, "NaN"),
    "diagonal_blocked": (lambda n: torch.ones(n, n).tril(-1) + torch.eye(n) * (torch.arange(n) == 0).float(),
                         True, "diagonal is blocked"),
    "diagonal_allowed_in_strict_contract": (multiplicative_float, False, "diagonal is allowed"),
    "strict_first_row_all_blocked": (lambda n: torch.full((n, n), NEG).triu(0), False, "NaN row"),
    "multihead_attention_bool_convention": (lambda n: torch.ones(n, n, dtype=torch.bool).triu(1), True,
                                            "inverted"),
    "additive_minus_one_leaks": (lambda n: -torch.ones(n, n).triu(1), True, "leaks"),
    "fixed_size": (lambda n: torch.ones(16, 16).tril(), True, "shape"),
    "sees_one_ahead": (lambda n: torch.ones(n, n).tril(1), True, "future is visible"),
    "blocks_the_past_beyond_a_window": (lambda n: torch.ones(n, n).tril().triu(-2), True, "past is blocked"),
}


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_right_masks_pass(name):
    fn, diagonal = RIGHT[name]
    result = check_causal_attention_mask(fn, diagonal=diagonal)
    assert result.passed, result.message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_masks_fail_naming_the_cause(name):
    fn, diagonal, cause = WRONG[name]
    result = check_causal_attention_mask(fn, diagonal=diagonal)
    assert not result.passed
    assert cause in result.message, result.message


def test_a_declared_convention_is_enforced():
    assert not check_causal_attention_mask(multiplicative_bool, convention="additive").passed
    assert check_causal_attention_mask(additive_masked_fill, convention="additive").passed
    assert check_causal_attention_mask(multiplicative_float, convention="multiplicative").passed
