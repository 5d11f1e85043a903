"""check_made_masks against MADE masks that are wrong in one named way, or right but different."""
import pytest
import torch
from mutants import made_masks as mm

from arkit.checks.masks import check_made_masks


@pytest.mark.parametrize("name", sorted(mm.RIGHT))
def test_correct_made_masks_pass(name):
    result = check_made_masks(mm.RIGHT[name])
    assert result.passed, result.message


@pytest.mark.parametrize("name", sorted(mm.WRONG))
def test_wrong_made_masks_fail_naming_the_cause(name):
    impl, cause = mm.WRONG[name]
    result = check_made_masks(impl)
    assert not result.passed
    assert cause in result.message, result.message


def test_square_transposed_masks_are_diagnosed_as_transposed():
    """With hidden width D every mask is square: can the check still say 'transposed'?"""
    order = torch.tensor([3, 1, 4, 0, 2, 5])
    result = check_made_masks(mm.transposed, [(order, [6, 6])])
    assert not result.passed and "transposed" in result.message, result.message


def test_offending_pair_is_named_with_generation_steps():
    order = torch.tensor([2, 0, 1, 3])
    result = check_made_masks(mm.self_dependence, [(order, [8, 8])])
    assert "output x_2 (generated 1st) depends on itself" in result.message


def test_orders_may_be_passed_as_tensors():
    assert check_made_masks(mm.deterministic, order_type=torch.tensor).passed


def test_exceptions_are_reported_with_the_configuration():
    def broken(order, hidden_sizes):
        raise RuntimeError("boom")
    result = check_made_masks(broken)
    assert not result.passed and "boom" in result.message and "hidden_sizes" in result.message


def test_cause_in_message_fix_only_in_hint():
    """The message names the cause; the fix ('strict inequality') is only in the hint."""
    result = check_made_masks(mm.self_dependence)
    assert "depends on its own input" in result.message
    assert "strict inequality" not in result.message and "strict inequality" in result.hint
    assert "strict inequality" in result.text("fix") and "strict inequality" not in result.text("cause")


def test_stub_raises_not_implemented():
    """A stub is 'not implemented yet' (reported by the caller), not an error repeated per configuration."""
    def stub(order, hidden_sizes):
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        check_made_masks(stub)


def test_exception_type_is_not_repeated():
    def broken(order, hidden_sizes):
        raise ValueError("ValueError: widths must be positive")
    message = check_made_masks(broken).message
    assert message.count("ValueError") == 1, message
