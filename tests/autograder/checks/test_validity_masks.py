"""Validity suite (issue 10), hidden mask check: a made_masks that takes lists but not the int
tensors the contract allows loses only the tensor half of the question, and the message names
the input type that broke it."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "arkit" / "checks"))

from variants import mask_bugs  # noqa: E402

from autograder.checks.masks_reference import check_made_masks_hidden  # noqa: E402


def test_list_only_made_masks_costs_only_the_tensor_half():
    result = check_made_masks_hidden(mask_bugs.list_only_made_masks)
    assert not result.passed and result.score == 0.5, (result.score, result.message)
    assert "int64 tensor" in result.message and "works for a list" in result.message, result.message
    assert "cannot run the model" not in result.message
