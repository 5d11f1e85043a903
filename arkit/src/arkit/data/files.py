"""Finding, verifying, downloading and reading the real data files.

A :class:`FileSpec` names one file (stored gzipped or raw) with the sha256 of
both forms and its mirrors. :func:`resolve` returns a verified local path
(searching as described in :mod:`arkit.data.paths`, downloading as a last
resort); :func:`read_bytes` returns its uncompressed contents.
"""
from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from arkit.data import download, paths
from arkit.data.errors import DataChecksumError, DataFormatError, DataNotFoundError
from arkit.data.spec import DataDirs


@dataclass(frozen=True)
class FileSpec:
    """One real data file.

    Attributes:
        name: file name without ``.gz`` (e.g. ``"train-images-idx3-ubyte"``).
        folder: subfolder used in the cache (``"mnist"``, ``"binarized_mnist"``).
        sha256_raw: sha256 of the uncompressed bytes (the cache key of the parsed array).
        sha256_gz: sha256 of the published ``.gz`` file, or ``None`` if there is none.
        urls: mirrors in order; a URL ending in ``.gz`` serves the gzipped file.
    """

    name: str
    folder: str
    sha256_raw: str
    sha256_gz: str | None
    urls: tuple[str, ...]

    def expected_sha256(self, path_or_url: str | Path) -> str:
        """The checksum a local file or URL must have (gz or raw, by suffix)."""
        if str(path_or_url).endswith(".gz"):
            if self.sha256_gz is None:
                raise DataChecksumError(f"no published sha256 for a gzipped {self.name}; use the raw file")
            return self.sha256_gz
        return self.sha256_raw


_VERIFIED: dict[tuple[str, int, int], str] = {}


def sha256_file(path: Path) -> str:
    """sha256 hex digest of a file (memoised per process by path, size and mtime)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _VERIFIED:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        _VERIFIED[key] = digest.hexdigest()
    return _VERIFIED[key]


def verify(spec: FileSpec, path: Path) -> Path:
    """Return ``path`` if its sha256 is the published one, else raise :class:`DataChecksumError`."""
    expected, got = spec.expected_sha256(path), sha256_file(path)
    if got != expected:
        raise DataChecksumError(
            f"{path} has sha256 {got}, expected {expected}: the file is damaged or a different version. "
            f"Delete it (it will be downloaded again) or replace it with the original from {spec.urls[0]}.")
    return path


def resolve(spec: FileSpec, data_dir: DataDirs = None, *, opener: Callable | None = None) -> Path:
    """A verified local path of ``spec``: found in the search folders, else downloaded.

    Raises:
        DataChecksumError: a found or downloaded file has the wrong checksum.
        DataNotFoundError: not found and downloads are disabled or all mirrors failed;
            the message lists every place searched and the fix.
    """
    names = [spec.name + ".gz", spec.name] if spec.sha256_gz else [spec.name]
    searched = paths.candidate_paths(names, data_dir, spec.folder)
    for path in searched:
        if path.is_file():
            return verify(spec, path)
    where = "\n  ".join(str(p) for p in searched)
    fix = (f"Fix: set {paths.ENV_DATA_DIR} to a folder holding {names[0]} (or {spec.folder}/{names[0]}), "
           f"or pass data_dir=...")
    if not paths.downloads_allowed():
        raise DataNotFoundError(f"{spec.name} not found and downloads are off ({paths.ENV_NO_DOWNLOAD} is set). "
                                f"Searched:\n  {where}\n{fix}.")
    errors = []
    for url in spec.urls:
        dest = paths.cache_dir() / spec.folder / url.rsplit("/", 1)[-1]
        try:
            return download.fetch(url, dest, spec.expected_sha256(url),
                                  **({"opener": opener} if opener else {}))
        except DataChecksumError as exc:
            errors.append(str(exc))
        except OSError as exc:  # URLError, HTTPError, timeouts, disk errors
            errors.append(f"{url}: {exc}")
    raise DataNotFoundError(f"{spec.name} not found and could not be downloaded. Searched:\n  {where}\n"
                            f"Download errors:\n  " + "\n  ".join(errors) + f"\n{fix}, or check the network.")


def read_bytes(path: Path) -> bytes:
    """The uncompressed contents of ``path`` (gunzipped if it ends in ``.gz``)."""
    data = Path(path).read_bytes()
    if not str(path).endswith(".gz"):
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        raise DataFormatError(f"{path} is not a complete gzip file ({exc}); it is truncated or damaged: "
                              f"delete it so that it is downloaded again, or replace it with the original") from exc
