"""Fast parser for Larochelle & Murray's binarized MNIST ``.amat`` text files.

Each line is one image: ``width`` space-separated ``0``/``1`` characters
ending with a newline, i.e. exactly ``2 * width`` bytes per line. The bytes are
read with ``np.frombuffer`` instead of ``np.loadtxt`` (about 100x faster).
"""
from __future__ import annotations

import numpy as np

from arkit.data.errors import DataFormatError


def parse_amat(buf: bytes, width: int = 784, source: str = "<bytes>") -> np.ndarray:
    """Parse a binary ``.amat`` file into uint8 ``(N, width)`` with values 0/1.

    Raises:
        DataFormatError: a line of the wrong length, a separator other than one
            space (newline at the end of the line), or a value other than 0/1.
    """
    line = 2 * width
    fix = "delete the file so that it is downloaded again, or replace it with the original"
    if len(buf) == 0 or len(buf) % line:
        raise DataFormatError(f"{source}: {len(buf)} bytes is not a whole number of {width}-value lines "
                              f"({line} bytes each); the file is truncated or not a binary .amat; {fix}")
    rows = np.frombuffer(buf, np.uint8).reshape(-1, line)
    seps = rows[:, 1::2]
    if not ((seps[:, :-1] == ord(" ")).all() and (seps[:, -1] == ord("\n")).all()):
        bad = int(np.argwhere((seps[:, :-1] != ord(" ")).any(1) | (seps[:, -1] != ord("\n")))[0, 0])
        raise DataFormatError(f"{source}: line {bad + 1} is not {width} single-space-separated values; {fix}")
    values = rows[:, 0::2] - np.uint8(ord("0"))
    if (values > 1).any():
        bad = int(np.argwhere((values > 1).any(1))[0, 0])
        raise DataFormatError(f"{source}: line {bad + 1} holds a value other than 0 or 1; {fix}")
    return values
