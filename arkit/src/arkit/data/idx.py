"""Parser for the IDX format of the MNIST files (big-endian header + raw array).

Layout: two zero bytes, one type byte, one byte ``ndim``, then ``ndim``
big-endian uint32 sizes, then the array in C order (big-endian items).
"""
from __future__ import annotations

import math

import numpy as np

from arkit.data.errors import DataFormatError

# IDX type byte -> big-endian numpy dtype
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def parse_idx(buf: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse an uncompressed IDX file.

    Args:
        buf: the whole file's bytes (already gunzipped).
        source: file name used in error messages.

    Returns:
        array of the stored shape in native byte order (e.g. uint8 ``(60000, 28, 28)``).

    Raises:
        DataFormatError: wrong magic, unknown type, truncated header or data, trailing bytes.
    """
    fix = "delete the file so that it is downloaded again, or replace it with the original"
    if len(buf) < 4 or buf[0] != 0 or buf[1] != 0:
        raise DataFormatError(f"{source} is not an IDX file (magic bytes {bytes(buf[:4]).hex() or 'missing'}, "
                              f"expected 0000TTNN); {fix}")
    type_code, ndim = buf[2], buf[3]
    if type_code not in IDX_TYPES:
        raise DataFormatError(f"{source}: unknown IDX type byte 0x{type_code:02x} "
                              f"(known: {', '.join(f'0x{t:02x}' for t in IDX_TYPES)}); {fix}")
    if ndim == 0:
        raise DataFormatError(f"{source}: IDX header says 0 dimensions; {fix}")
    header = 4 + 4 * ndim
    if len(buf) < header:
        raise DataFormatError(f"{source} is truncated: {len(buf)} bytes, the header alone needs {header}; {fix}")
    dims = tuple(int(d) for d in np.frombuffer(buf, ">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_TYPES[type_code])
    need = math.prod(dims) * dtype.itemsize
    have = len(buf) - header
    if have < need:
        raise DataFormatError(f"{source} is truncated: shape {dims} needs {need} data bytes, found {have}; {fix}")
    if have > need:
        raise DataFormatError(f"{source} has {have - need} unexpected bytes after the {dims} array; {fix}")
    return np.frombuffer(buf, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))
