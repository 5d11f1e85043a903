"""check_pixelcnn_mask against masks that are wrong in one named way, or right but different."""
import pytest
from mutants import pixelcnn_masks as pm

from arkit.checks.masks import check_pixelcnn_mask


@pytest.mark.parametrize("name", sorted(pm.RIGHT))
def test_correct_masks_pass(name):
    result = check_pixelcnn_mask(pm.RIGHT[name])
    assert result.passed, result.message


@pytest.mark.parametrize("name", sorted(pm.WRONG))
def test_wrong_masks_fail_naming_the_cause(name):
    impl, cause = pm.WRONG[name]
    result = check_pixelcnn_mask(impl)
    assert not result.passed
    assert cause in result.message, result.message


def test_message_does_not_print_the_expected_mask():
    """A public check must not reveal the solution: no tensor dump in the message."""
    result = check_pixelcnn_mask(pm.WRONG["colour_reversed"][0])
    assert "tensor(" not in result.message and "[[" not in result.message


def test_non_float_masks_are_rejected_with_the_fix():
    result = check_pixelcnn_mask(lambda *a: pm.slicing(*a).bool())
    assert not result.passed and "float" in result.message


@pytest.mark.parametrize("name", sorted(pm.WRONG))
def test_every_wrong_mask_gets_a_hint_kept_out_of_the_message(name):
    result = check_pixelcnn_mask(pm.WRONG[name][0])
    assert result.hint and result.hint not in result.message
