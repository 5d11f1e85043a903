"""Calibration files: ``autograder/calibration/<assignment>.json``.

Layout::

    {"assignment": "hw1", "schema": 1, "margin_rule": "...",
     "questions": {QUESTION_ID: {DATASET: {PROFILE: ENTRY}}}}

An ENTRY (all NLLs in **nats/dim**, held-out split)::

    threshold      full credit at or below this
    loose_bound    zero credit at or above this (linear in between)
    measured       the reference solution's NLL, one per seed
    seeds          the seeds, same order
    machine        {"platform", "cpu_count", "python"};  torch: version;  date: ISO date
    provisional    true when not measured on this profile (GPU entries made from an anchor)
    anchor         {"nats_per_dim", "source"} for provisional entries

Margin rule (:func:`margin`): ``threshold = worst + max(0.02 * worst, 3 * std, 0.002)``
where ``worst`` is the largest measured NLL over seeds and ``std`` their sample
standard deviation (0 for one seed); ``loose_bound = 1.5 * threshold``.
Provisional entries (:func:`provisional_entry`): ``threshold = 1.10 * anchor``,
``loose_bound = 1.5 * threshold``.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

PROFILES = ("ci", "cpu", "gpu")
SCHEMA = 1
MARGIN_RULE = ("threshold = worst + max(0.02 * worst, 3 * std, 0.002); loose_bound = 1.5 * threshold "
               "(nats/dim; worst = largest NLL over seeds, std = sample std over seeds, 0 for one seed). "
               "Provisional entries: threshold = 1.10 * anchor.")
DIR_ENV = "ARKIT_CALIBRATION_DIR"


class CalibrationMissing(KeyError):
    """No calibration entry for (assignment, question, dataset, profile)."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0]) if self.args else ""


def calibration_dir() -> Path:
    """``$ARKIT_CALIBRATION_DIR`` if set, else the folder of this module."""
    return Path(os.environ.get(DIR_ENV) or Path(__file__).parent)


def calibration_path(assignment: str, path: str | os.PathLike | None = None) -> Path:
    return Path(path) if path is not None else calibration_dir() / f"{assignment}.json"


def empty(assignment: str) -> dict:
    return {"assignment": assignment, "schema": SCHEMA, "margin_rule": MARGIN_RULE, "questions": {}}


def load_calibration(assignment: str, path=None) -> dict:
    """The calibration data of ``assignment`` (an empty skeleton if the file does not exist)."""
    p = calibration_path(assignment, path)
    if not p.exists():
        return empty(assignment)
    data = json.loads(p.read_text())
    if data.get("assignment") != assignment:
        raise ValueError(f"{p} is for assignment {data.get('assignment')!r}, not {assignment!r}")
    data.setdefault("questions", {})
    return data


def save_calibration(data: Mapping, assignment: str, path=None) -> Path:
    """Write ``data`` as stable, sorted, 2-space JSON; returns the path."""
    p = calibration_path(assignment, path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return p


def threshold_entry(assignment: str, question: str, dataset: str, profile: str, path=None) -> dict:
    """The entry for one (question, dataset, profile); :class:`CalibrationMissing` names what is missing."""
    data = load_calibration(assignment, path)
    try:
        return dict(data["questions"][question][dataset][profile])
    except KeyError:
        raise CalibrationMissing(
            f"no calibrated threshold for {assignment}/{question}/{dataset}/{profile} in "
            f"{calibration_path(assignment, path)}; run `autograder calibrate --assignment {assignment} "
            f"--profile {profile} --seeds 0 1 2 --only {question}`") from None


def margin(measured: Sequence[float]) -> tuple[float, float]:
    """``(threshold, loose_bound)`` from per-seed NLLs (nats/dim) by :data:`MARGIN_RULE`."""
    vals = [float(v) for v in measured]
    if not vals:
        raise ValueError("no measurements")
    worst = max(vals)
    std = statistics.stdev(vals) if len(vals) > 1 else 0.0
    thr = worst + max(0.02 * worst, 3.0 * std, 0.002)
    return thr, 1.5 * thr


def machine() -> dict:
    return {"platform": platform.platform(), "cpu_count": os.cpu_count(), "python": sys.version.split()[0]}


def _torch_version() -> str:
    try:
        import torch
        return torch.__version__
    except ImportError:  # pragma: no cover
        return "unknown"


def measured_entry(measured: Sequence[float], seeds: Sequence[int], **extra: Any) -> dict:
    """A non-provisional entry from per-seed measurements (nats/dim)."""
    thr, loose = margin(measured)
    return {"threshold": round(thr, 6), "loose_bound": round(loose, 6),
            "measured": [round(float(v), 6) for v in measured], "seeds": [int(s) for s in seeds],
            "machine": machine(), "torch": _torch_version(), "date": _dt.date.today().isoformat(),
            "provisional": False, **extra}


def provisional_entry(anchor: float, source: str) -> dict:
    """A provisional entry from a published figure (nats/dim), e.g. for GPU without a GPU."""
    thr = 1.10 * anchor
    return {"threshold": round(thr, 6), "loose_bound": round(1.5 * thr, 6), "measured": [], "seeds": [],
            "provisional": True, "anchor": {"nats_per_dim": anchor, "source": source}}


def set_entry(data: dict, question: str, dataset: str, profile: str, entry: Mapping) -> dict:
    """Insert/replace one entry in ``data`` (in place) and return ``data``."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    data.setdefault("questions", {}).setdefault(question, {}).setdefault(dataset, {})[profile] = dict(entry)
    data["margin_rule"] = MARGIN_RULE
    return data


def threshold_strings(path) -> set[str]:
    """Every threshold and loose bound in a calibration JSON file as text: as written there
    and rounded to 3 and 4 decimals. Leak tests grep student-facing files for these."""
    import re

    found: set[str] = set()

    def walk(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and re.fullmatch(r"-?\d+\.\d+(?:[eE][-+]?\d+)?", node) and \
                re.search("threshold|bound", key, re.I):
            found.update({node, f"{float(node):.3f}", f"{float(node):.4f}"})

    walk(json.loads(Path(path).read_text(), parse_float=str))
    return found


def thresholds_in(text: str, values: set[str]) -> list[str]:
    """The ``values`` (from :func:`threshold_strings`) written in ``text`` as whole numbers: ``0.075``
    is found in ``x < 0.075`` but not inside ``0.0756`` or ``10.075`` (a digit or point on either
    side makes it another number)."""
    import re

    return sorted(v for v in values if re.search(rf"(?<![\d.]){re.escape(v)}(?!\d)", text))
