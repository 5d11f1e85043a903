"""Tiny data sets and count-fitted reference models of the attack fixture.

One home: the locked setup cell (``atk_setup``) of ``source/atk1/01_models.py``; the trusted
questions exec the same code. Everything is fitted in well under a second: the point is the
grader, not the models.
"""
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "source" / "atk1" / "01_models.py"


def setup_code() -> str:
    """The code of the notebook's setup cell, up to ``from arkit.submission import expose``."""
    text = SOURCE.read_text()
    cell = text.split('"grade_id": "atk_setup"', 1)[1].split("\n", 1)[1].split("\n# %%", 1)[0]
    return cell.split("from arkit.submission import expose")[0]


exec(setup_code())  # noqa: S102 - the code the notebook runs
