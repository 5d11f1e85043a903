"""Makes the ``mutants`` package next to these tests importable (one torch thread per
test comes from tests/conftest.py)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
