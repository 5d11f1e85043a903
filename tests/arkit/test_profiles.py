import pytest

from arkit import profiles


def test_env_var_forces_profile(monkeypatch):
    monkeypatch.setenv("ARKIT_PROFILE", "gpu")
    assert profiles.active_profile() == "gpu"


def test_ci_env_selects_ci(monkeypatch):
    monkeypatch.delenv("ARKIT_PROFILE", raising=False)
    monkeypatch.setenv("CI", "true")
    assert profiles.active_profile() == "ci"


def test_without_gpu_or_ci_the_profile_is_cpu(monkeypatch):
    monkeypatch.delenv("ARKIT_PROFILE", raising=False)
    monkeypatch.delenv("CI", raising=False)
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is visible")
    assert profiles.active_profile() == "cpu"


def test_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("ARKIT_PROFILE", "tpu")
    with pytest.raises(ValueError, match="tpu"):
        profiles.active_profile()


def test_pick_names_missing_profile():
    assert profiles.pick({"ci": 1, "cpu": 2}, "cpu") == 2
    with pytest.raises(KeyError, match="gpu"):
        profiles.pick({"ci": 1}, "gpu")
