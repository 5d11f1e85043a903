"""Fixtures for the whole suite."""
import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tests use tiny tensors: one torch thread is faster, and much faster when the machine
    is busy (spare threads spin on shared cores). Notebook kernels and sandboxes are other
    processes and keep their own settings."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
