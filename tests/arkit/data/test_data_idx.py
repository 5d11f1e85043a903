"""IDX parser: headers, types, and damaged files."""
import gzip

import numpy as np
import pytest

from arkit.data.errors import DataFormatError
from arkit.data.files import read_bytes
from arkit.data.idx import parse_idx


def test_does_a_uint8_image_stack_round_trip(make_idx):
    x = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    out = parse_idx(make_idx(x))
    assert out.dtype == np.uint8 and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, x)


def test_are_big_endian_int32_labels_read_in_native_order(make_idx):
    y = np.array([0, 1, 258, -5, 70000], dtype=np.int32)
    out = parse_idx(make_idx(y, 0x0C))
    assert out.dtype == np.dtype("int32") and out.dtype.isnative
    np.testing.assert_array_equal(out, y)


def test_does_the_real_mnist_magic_number_parse(make_idx):
    buf = make_idx(np.zeros((1, 28, 28), np.uint8))
    assert buf[:4] == bytes.fromhex("00000803")
    assert parse_idx(buf).shape == (1, 28, 28)


@pytest.mark.parametrize("buf, words", [
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x07", "not an IDX file"),
    (b"", "not an IDX file"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x07", "unknown IDX type"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (b"\x00\x00\x08\x03\x00\x00", "truncated"),
])
def test_is_a_bad_header_refused_with_a_reason(buf, words):
    with pytest.raises(DataFormatError, match=words):
        parse_idx(buf, source="fixture.idx")


def test_is_a_truncated_data_block_refused(make_idx):
    buf = make_idx(np.zeros((10, 28, 28), np.uint8))
    with pytest.raises(DataFormatError, match=r"truncated: shape \(10, 28, 28\) needs 7840 data bytes, found 7839"):
        parse_idx(buf[:-1], source="fixture.idx")


def test_are_trailing_bytes_refused(make_idx):
    with pytest.raises(DataFormatError, match="3 unexpected bytes"):
        parse_idx(make_idx(np.zeros(5, np.uint8)) + b"abc")


def test_is_a_truncated_gzip_reported_as_a_format_error(make_idx, tmp_path):
    path = tmp_path / "labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(make_idx(np.arange(1000, dtype=np.uint8) % 10))[:-20])
    with pytest.raises(DataFormatError, match="not a complete gzip file"):
        read_bytes(path)


def test_is_a_gzipped_idx_read_like_the_raw_one(make_idx, tmp_path):
    x = np.arange(60, dtype=np.uint8).reshape(3, 4, 5)
    (tmp_path / "a.gz").write_bytes(gzip.compress(make_idx(x)))
    (tmp_path / "a").write_bytes(make_idx(x))
    np.testing.assert_array_equal(parse_idx(read_bytes(tmp_path / "a.gz")), parse_idx(read_bytes(tmp_path / "a")))
