"""Finding, verifying, downloading and caching real data files (no network: file:// URLs and stubs)."""
import gzip
import hashlib
import io
import urllib.error

import numpy as np
import pytest

from arkit.data import files, paths
from arkit.data.errors import DataChecksumError, DataFormatError, DataNotFoundError
from arkit.data.idx import parse_idx
from arkit.data.parsed_cache import load_parsed
from arkit.data.download import fetch


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def served(tmp_path, make_idx):
    """A tiny IDX file served from a local 'mirror' folder as .gz, and its FileSpec."""
    raw = make_idx(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
    gz = gzip.compress(raw, mtime=0)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "tiny-idx3-ubyte.gz").write_bytes(gz)
    spec = files.FileSpec("tiny-idx3-ubyte", "tinyset", sha(raw), sha(gz),
                          ((mirror / "tiny-idx3-ubyte.gz").as_uri(),))
    return spec, raw, gz


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("ARKIT_CACHE_DIR", str(cache))
    monkeypatch.delenv("ARKIT_DATA_DIR", raising=False)
    return cache


def test_does_fetch_verify_and_place_the_file(served, tmp_path):
    spec, _, gz = served
    dest = fetch(spec.urls[0], tmp_path / "out" / "x.gz", spec.sha256_gz, progress=False)
    assert dest.read_bytes() == gz
    assert [p.name for p in dest.parent.iterdir()] == ["x.gz"]  # no temp files left


def test_does_a_checksum_mismatch_keep_nothing(served, tmp_path):
    spec, _, _ = served
    with pytest.raises(DataChecksumError, match="expected 0000"):
        fetch(spec.urls[0], tmp_path / "out" / "x.gz", "0000", progress=False)
    assert list((tmp_path / "out").iterdir()) == []


def test_does_resolve_download_into_the_cache_when_nothing_is_local(served, fresh_cache, monkeypatch):
    spec, raw, _ = served
    monkeypatch.delenv("ARKIT_NO_DOWNLOAD")
    path = files.resolve(spec)
    assert path == fresh_cache / "tinyset" / "tiny-idx3-ubyte.gz"
    assert files.read_bytes(path) == raw
    assert files.resolve(spec) == path  # the second time it is found locally


def test_does_resolve_prefer_data_dir_then_the_env_folders(served, fresh_cache, tmp_path, monkeypatch):
    spec, raw, gz = served
    a, b = tmp_path / "a", tmp_path / "b"
    (a / "mnist").mkdir(parents=True)
    b.mkdir()
    (a / "mnist" / "tiny-idx3-ubyte").write_bytes(raw)   # raw file in a subfolder
    (b / "tiny-idx3-ubyte.gz").write_bytes(gz)
    monkeypatch.setenv("ARKIT_DATA_DIR", f"{tmp_path / 'missing'}{paths.os.pathsep}{a}")
    assert files.resolve(spec) == a / "mnist" / "tiny-idx3-ubyte"
    assert files.resolve(spec, data_dir=b) == b / "tiny-idx3-ubyte.gz"


def test_is_a_damaged_local_file_refused_with_the_fix(served, fresh_cache, tmp_path):
    spec, raw, _ = served
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "tiny-idx3-ubyte").write_bytes(raw[:-1])
    with pytest.raises(DataChecksumError, match=r"tiny-idx3-ubyte has sha256 .* Delete it"):
        files.resolve(spec, data_dir=tmp_path / "d")


def test_does_no_download_name_the_file_the_places_and_the_fix(served, fresh_cache):
    spec, _, _ = served
    with pytest.raises(DataNotFoundError) as err:
        files.resolve(spec)
    text = str(err.value)
    assert "tiny-idx3-ubyte not found" in text and "ARKIT_NO_DOWNLOAD" in text
    assert str(fresh_cache / "tinyset" / "tiny-idx3-ubyte.gz") in text
    assert "set ARKIT_DATA_DIR" in text


def test_does_a_network_failure_list_every_mirror(served, fresh_cache, monkeypatch):
    spec, _, _ = served
    monkeypatch.delenv("ARKIT_NO_DOWNLOAD")
    spec = files.FileSpec(spec.name, spec.folder, spec.sha256_raw, spec.sha256_gz,
                          ("https://mirror-one.invalid/tiny-idx3-ubyte.gz",
                           "https://mirror-two.invalid/tiny-idx3-ubyte.gz"))

    def offline(url, timeout):
        raise urllib.error.URLError("no network in tests")

    with pytest.raises(DataNotFoundError) as err:
        files.resolve(spec, opener=offline)
    assert "mirror-one.invalid" in str(err.value) and "mirror-two.invalid" in str(err.value)
    assert "check the network" in str(err.value)


def test_does_a_bad_mirror_fall_through_to_the_next_one(served, fresh_cache, monkeypatch):
    spec, _, gz = served
    monkeypatch.delenv("ARKIT_NO_DOWNLOAD")
    calls = []

    def stub(url, timeout):
        calls.append(url)
        return io.BytesIO(b"<html>moved</html>" if "bad" in url else gz)

    spec = files.FileSpec(spec.name, spec.folder, spec.sha256_raw, spec.sha256_gz,
                          ("https://bad.invalid/tiny-idx3-ubyte.gz", "https://good.invalid/tiny-idx3-ubyte.gz"))
    path = files.resolve(spec, opener=stub)
    assert calls == list(spec.urls) and path.read_bytes() == gz


def test_does_a_raw_url_use_the_raw_checksum(served, fresh_cache, monkeypatch, tmp_path):
    spec, raw, _ = served
    monkeypatch.delenv("ARKIT_NO_DOWNLOAD")
    (tmp_path / "tiny-idx3-ubyte").write_bytes(raw)
    spec = files.FileSpec(spec.name, spec.folder, spec.sha256_raw, spec.sha256_gz,
                          ((tmp_path / "tiny-idx3-ubyte").as_uri(),))
    path = files.resolve(spec)
    assert path.name == "tiny-idx3-ubyte" and path.read_bytes() == raw


def test_is_the_parsed_array_cached_by_checksum_and_a_bad_cache_ignored(served, fresh_cache, tmp_path):
    spec, raw, gz = served
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "tiny-idx3-ubyte.gz").write_bytes(gz)
    first = load_parsed(spec, parse_idx, tmp_path / "d", shape=(2, 3, 4))
    cached = fresh_cache / "parsed" / f"tiny-idx3-ubyte-{spec.sha256_raw[:16]}.npy"
    assert cached.is_file()
    np.testing.assert_array_equal(np.load(cached), first)
    np.save(cached, np.zeros((5,), np.uint8))           # wrong shape: reparsed and rewritten
    again = load_parsed(spec, parse_idx, tmp_path / "d", shape=(2, 3, 4))
    np.testing.assert_array_equal(again, first)
    assert np.load(cached).shape == (2, 3, 4)


def test_is_a_corrupt_gzip_with_the_right_name_a_checksum_error_first(served, fresh_cache, tmp_path):
    spec, _, gz = served
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "tiny-idx3-ubyte.gz").write_bytes(gz[:-8])
    with pytest.raises(DataChecksumError):
        load_parsed(spec, parse_idx, tmp_path / "d")


def test_is_a_file_that_parses_to_the_wrong_shape_refused(served, fresh_cache, tmp_path):
    spec, raw, _ = served
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "tiny-idx3-ubyte").write_bytes(raw)
    with pytest.raises(DataFormatError, match=r"expected \(9, 3, 4\)"):
        load_parsed(spec, parse_idx, tmp_path / "d", shape=(9, 3, 4), use_cache=False)
