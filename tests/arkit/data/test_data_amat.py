"""Binarized-MNIST .amat parser."""
import numpy as np
import pytest

from arkit.data.amat import parse_amat
from arkit.data.errors import DataFormatError


def amat(rows: np.ndarray) -> bytes:
    return "".join(" ".join(map(str, r)) + "\n" for r in rows).encode()


def test_does_it_agree_with_loadtxt():
    rows = np.random.default_rng(0).integers(0, 2, size=(7, 6)).astype(np.uint8)
    out = parse_amat(amat(rows), width=6)
    assert out.dtype == np.uint8 and out.shape == (7, 6)
    np.testing.assert_array_equal(out, np.loadtxt(amat(rows).decode().splitlines(), dtype=np.uint8))


def test_is_a_truncated_file_refused():
    with pytest.raises(DataFormatError, match="not a whole number"):
        parse_amat(amat(np.ones((3, 6), np.uint8))[:-1], width=6)


def test_is_a_bad_separator_refused_with_the_line_number():
    buf = bytearray(amat(np.ones((3, 6), np.uint8)))
    buf[12 + 3] = ord("\t")
    with pytest.raises(DataFormatError, match="line 2 is not 6 single-space"):
        parse_amat(bytes(buf), width=6)


def test_is_a_value_other_than_0_or_1_refused():
    buf = bytearray(amat(np.zeros((2, 6), np.uint8)))
    buf[12 + 4] = ord("2")
    with pytest.raises(DataFormatError, match="line 2 holds a value other than 0 or 1"):
        parse_amat(bytes(buf), width=6)
