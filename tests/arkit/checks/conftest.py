"""Fixtures for the check-library tests: one torch thread per test (the machine is
shared; OpenMP threads spinning against each other make tiny models 10x slower),
restored afterwards so that other tests are unaffected."""
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))  # makes ``mutants`` importable


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
