"""Calibration: thresholds per assignment, question, dataset and profile.

* :mod:`.store` -- read/write ``<assignment>.json``, the margin rule;
* :mod:`.record` -- :func:`record_measurement`, the hook hidden tests call;
* :mod:`.runner` -- :func:`register_measurement`, notebook execution per seed;
* :mod:`.cli` -- ``autograder calibrate``.
"""
from autograder.calibration.record import record_measurement
from autograder.calibration.runner import register_measurement
from autograder.calibration.store import load_calibration, threshold_entry

__all__ = ["load_calibration", "record_measurement", "register_measurement", "threshold_entry"]
