"""Search folders, cache folder and the download switch."""
import os
from pathlib import Path

from arkit.data import paths


def test_is_the_search_order_data_dir_env_then_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("ARKIT_DATA_DIR", os.pathsep.join([str(tmp_path / "e1"), "", str(tmp_path / "e2")]))
    monkeypatch.setenv("ARKIT_CACHE_DIR", str(tmp_path / "c"))
    roots = paths.search_roots([tmp_path / "d1", str(tmp_path / "d2")])
    assert roots == [tmp_path / n for n in ("d1", "d2", "e1", "e2", "c")]


def test_are_the_mnist_subfolders_searched(monkeypatch, tmp_path):
    monkeypatch.delenv("ARKIT_DATA_DIR", raising=False)
    monkeypatch.setenv("ARKIT_CACHE_DIR", str(tmp_path / "c"))
    found = paths.candidate_paths(["f.gz"], tmp_path / "d")
    assert tmp_path / "d" / "mnist" / "f.gz" in found and tmp_path / "d" / "binarized_mnist" / "f.gz" in found


def test_does_the_checkout_use_data_cache(monkeypatch):
    monkeypatch.delenv("ARKIT_CACHE_DIR", raising=False)
    root = Path(__file__).resolve().parents[3]
    assert paths.repo_root() == root
    assert paths.cache_dir() == root / "data" / "cache"


def test_does_an_installed_copy_use_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("ARKIT_CACHE_DIR", raising=False)
    monkeypatch.setattr(paths, "repo_root", lambda: None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.cache_dir() == tmp_path / "xdg" / "arkit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert paths.cache_dir() == Path.home() / ".cache" / "arkit"


def test_does_arkit_no_download_switch_downloads_off(monkeypatch):
    for value, allowed in [("1", False), ("true", False), ("", True), ("0", True)]:
        monkeypatch.setenv("ARKIT_NO_DOWNLOAD", value)
        assert paths.downloads_allowed() is allowed
