import math

import numpy as np
import pytest
import torch

from arkit import units


def test_one_nat_is_1_4427_bits():
    """Is the conversion the documented formula bits = nats / ln 2?"""
    assert units.nats_to_bits(1.0) == pytest.approx(1 / math.log(2))
    assert units.bits_to_nats(units.nats_to_bits(0.0756)) == pytest.approx(0.0756)


def test_conversions_work_on_arrays_and_tensors():
    x = np.array([0.5, 1.0])
    assert np.allclose(units.nats_to_bits(x), x / math.log(2))
    t = torch.tensor([0.5, 1.0])
    assert torch.allclose(units.nats_to_bits(t), t / math.log(2))


def test_per_dim_rejects_nonpositive_dims():
    assert units.per_dim(784.0, 784) == 1.0
    with pytest.raises(ValueError):
        units.per_dim(1.0, 0)


def test_format_shows_both_units():
    text = units.format_nll(0.0756)
    assert "nats/dim" in text and "bits/dim" in text and "0.1091" in text
