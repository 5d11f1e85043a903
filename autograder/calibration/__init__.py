"""Calibration: thresholds per assignment, question, dataset and profile.

* :mod:`.store` -- read/write ``<assignment>.json``, the margin rule;
* :mod:`.record` -- :func:`measurements`: the held-out NLLs a graded result reports;
* :mod:`.runner` -- :func:`register_measurement`, grading the solution per seed;
* :mod:`.cli` -- ``autograder calibrate``.
"""
from autograder.calibration.record import measurements
from autograder.calibration.runner import register_measurement
from autograder.calibration.store import load_calibration, threshold_entry

__all__ = ["load_calibration", "measurements", "register_measurement", "threshold_entry"]
