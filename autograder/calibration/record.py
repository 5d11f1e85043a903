"""The hook hidden tests call to hand measured held-out NLLs to a calibration run.

``record_measurement(question, dataset, nats_per_dim)`` appends one JSON object
per line to the file named by ``$ARKIT_CALIBRATION_OUT`` (JSON Lines) and does
nothing when the variable is unset, so graded notebooks can always call it.
Each line: ``{"question", "dataset", "nats_per_dim", "seed", "profile"}`` where
seed/profile come from ``$ARKIT_SEED`` / :func:`arkit.profiles.active_profile`.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

OUT_ENV = "ARKIT_CALIBRATION_OUT"


def record_measurement(question: str, dataset: str, nats_per_dim: float) -> bool:
    """Append a measurement (nats/dim) when ``$ARKIT_CALIBRATION_OUT`` is set; return whether it did."""
    out = os.environ.get(OUT_ENV)
    if not out:
        return False
    from arkit.profiles import active_profile

    value = float(nats_per_dim)
    if not math.isfinite(value):
        raise ValueError(f"measurement for {question}/{dataset} is not finite: {value}")
    seed = os.environ.get("ARKIT_SEED")
    line = {"question": question, "dataset": dataset, "nats_per_dim": value,
            "seed": None if seed is None else int(seed), "profile": active_profile()}
    with Path(out).open("a") as fh:
        fh.write(json.dumps(line) + "\n")
    return True


def read_records(path) -> list[dict]:
    """All records of a JSON Lines file written by :func:`record_measurement` (missing file -> [])."""
    p = Path(path)
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text().splitlines() if line.strip()]
