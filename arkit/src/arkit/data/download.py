"""Verified, atomic downloads with a progress bar."""
from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path
from typing import Callable

from arkit.data.atomic import atomic_write
from arkit.data.errors import DataChecksumError

CHUNK = 1 << 20


def fetch(url: str, dest: Path, sha256: str, *, opener: Callable = urllib.request.urlopen,
          progress: bool = True, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` if its sha256 is ``sha256``.

    The bytes go to a temporary file next to ``dest`` and are renamed into
    place only after the checksum matched, so ``dest`` is either absent or
    complete. ``opener(url, timeout=...)`` must return a file-like response
    (``urllib.request.urlopen`` by default; ``file://`` URLs work too).

    Raises:
        DataChecksumError: the downloaded bytes have another sha256 (nothing is kept).
        OSError / urllib.error.URLError: network or disk errors, unchanged.
    """
    from tqdm.auto import tqdm

    digest = hashlib.sha256()
    with atomic_write(dest) as out, opener(url, timeout=timeout) as response:
        headers = getattr(response, "headers", None)
        total = headers.get("Content-Length") if headers is not None else None
        with tqdm(total=int(total) if total else None, unit="B", unit_scale=True,
                  desc=f"downloading {Path(dest).name}", disable=not progress) as bar:
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
        got = digest.hexdigest()
        if got != sha256:
            raise DataChecksumError(
                f"download of {url} has sha256 {got}, expected {sha256}: the mirror served a different or "
                f"damaged file. Nothing was saved. Try again later, or place the original file in a folder "
                f"listed in ARKIT_DATA_DIR.")
    return Path(dest)
