"""Calibration runner: measure the reference solution per seed, write thresholds.

Two sources of measurements (both give ``{(question, dataset): [(seed, nats/dim), ...]}``):

* registered measurement functions -- ``register_measurement(assignment, question, fn)``
  with ``fn(seed, profile) -> {"dataset": ..., "nats_per_dim": ...}`` (or a list of
  such dicts, one per dataset);
* solution notebooks -- each notebook is executed once per seed with nbclient and
  the environment ``ARKIT_SEED=<seed>``, ``ARKIT_PROFILE=<profile>``,
  ``ARKIT_CALIBRATION_OUT=<tmp file>``; its hidden tests call
  :func:`autograder.calibration.record.record_measurement`, which fills the file.

:func:`write_calibration` turns the per-seed values into entries with
:func:`autograder.calibration.store.measured_entry` (margin rule documented there).
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from autograder.calibration import store
from autograder.calibration.record import OUT_ENV, read_records

MeasureFn = Callable[[int, str], "dict | list[dict]"]
Results = dict[tuple[str, str], list[tuple[int, float]]]

_MEASUREMENTS: dict[str, dict[str, MeasureFn]] = {}


def register_measurement(assignment: str, question: str, fn: MeasureFn) -> MeasureFn:
    """Register ``fn(seed, profile)`` as the measurement of ``question``; returns ``fn``."""
    _MEASUREMENTS.setdefault(assignment, {})[question] = fn
    return fn


def registered(assignment: str) -> dict[str, MeasureFn]:
    """Registered measurement functions of ``assignment`` (question -> fn)."""
    return dict(_MEASUREMENTS.get(assignment, {}))


def run_measurements(assignment: str, profile: str, seeds: Sequence[int],
                     only: Iterable[str] | None = None) -> Results:
    """Call every registered (or ``only`` the named) measurement once per seed."""
    table = registered(assignment)
    wanted = list(only) if only else list(table)
    unknown = [q for q in wanted if q not in table]
    if unknown:
        raise KeyError(f"no measurement registered for {assignment}: {', '.join(unknown)} "
                       f"(registered: {', '.join(sorted(table)) or 'none'})")
    results: Results = defaultdict(list)
    for question in wanted:
        for seed in seeds:
            out = table[question](int(seed), profile)
            for rec in (out if isinstance(out, list) else [out]):
                results[(question, rec["dataset"])].append((int(seed), float(rec["nats_per_dim"])))
    return dict(results)


@contextlib.contextmanager
def _environ(**values: str):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def read_notebook(path: str | os.PathLike):
    """A notebook from ``.ipynb`` or a jupytext ``.py``/``.md`` source."""
    p = Path(path)
    if p.suffix == ".ipynb":
        import nbformat
        return nbformat.read(p, as_version=4)
    import jupytext
    return jupytext.read(p)


def execute_notebook(path, seed: int, profile: str, timeout: int = 3600,
                     kernel_name: str = "python3") -> tuple[list[dict], list[str]]:
    """Run a notebook once; return (records it wrote, error summaries of failing cells)."""
    from nbclient import NotebookClient

    nb = read_notebook(path)
    with tempfile.TemporaryDirectory(prefix="arkit-calib-") as tmp:
        out = Path(tmp) / "records.jsonl"
        env = {"ARKIT_SEED": str(seed), "ARKIT_PROFILE": profile, OUT_ENV: str(out)}
        with _environ(**env):
            client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, allow_errors=True,
                                    resources={"metadata": {"path": str(Path(path).resolve().parent)}})
            client.execute()
        records = read_records(out)
    errors = [f"cell {i}: {o.get('ename')}: {o.get('evalue')}" for i, cell in enumerate(nb.cells)
              for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    return records, errors


def run_notebooks(notebooks: Sequence[str], profile: str, seeds: Sequence[int],
                  only: Iterable[str] | None = None, timeout: int = 3600,
                  log: Callable[[str], None] = print) -> Results:
    """Execute each notebook per seed and collect its records (the last one per question/dataset)."""
    wanted = set(only) if only else None
    results: Results = defaultdict(list)
    for nb in notebooks:
        for seed in seeds:
            records, errors = execute_notebook(nb, int(seed), profile, timeout)
            for e in errors:
                log(f"  warning: {nb} seed {seed}: {e}")
            last: dict[tuple[str, str], float] = {}
            for r in records:
                if wanted is None or r["question"] in wanted:
                    last[(r["question"], r["dataset"])] = float(r["nats_per_dim"])
            if not last:
                log(f"  warning: {nb} seed {seed} recorded no measurements")
            for key, value in last.items():
                results[key].append((int(seed), value))
    return dict(results)


def write_calibration(assignment: str, profile: str, results: Mapping[tuple[str, str], list],
                      path=None, **extra) -> Path:
    """Merge entries for ``results`` into the calibration file (other entries are kept)."""
    data = store.load_calibration(assignment, path)
    for (question, dataset), pairs in sorted(results.items()):
        seeds, values = [s for s, _ in pairs], [v for _, v in pairs]
        store.set_entry(data, question, dataset, profile, store.measured_entry(values, seeds, **extra))
    return store.save_calibration(data, assignment, path)
