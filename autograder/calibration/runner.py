"""Calibration runner: measure the reference solution per seed, write thresholds.

Two sources of measurements (both give ``{(question, dataset): [(seed, nats/dim), ...]}``):

* registered measurement functions -- ``register_measurement(assignment, question, fn)``
  with ``fn(seed, profile) -> {"dataset": ..., "nats_per_dim": ...}`` (or a list of
  such dicts, one per dataset);
* solution notebooks -- the instructor's solution of each notebook is graded through the
  grading spine (:func:`autograder.grading.grade_student.grade_student`) once per seed, with
  ``ARKIT_SEED=<seed>`` and ``ARKIT_PROFILE=<profile>``; the measurements are read from the
  :class:`~autograder.grading.student_result.StudentResult`
  (:func:`autograder.calibration.record.measurements`). No environment variable changes
  what a check decides.

:func:`write_calibration` turns the per-seed values into entries with
:func:`autograder.calibration.store.measured_entry` (margin rule documented there).
"""
from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from autograder.calibration import record, store

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


def solution_submission(paths: Sequence[str | os.PathLike], student: str = "solution"):
    """A :class:`~autograder.grading.inputs.Submission` holding the instructor solutions of ``paths``
    (jupytext sources or ``.ipynb``), keyed by notebook stem."""
    import nbformat

    from autograder.grading.inputs import Submission

    return Submission(student, {Path(p).stem: nbformat.writes(read_notebook(p)).encode() for p in paths})


def read_notebook(path: str | os.PathLike):
    """A notebook from ``.ipynb`` or a jupytext ``.py``/``.md`` source."""
    p = Path(path)
    if p.suffix == ".ipynb":
        import nbformat
        return nbformat.read(p, as_version=4)
    import jupytext
    return jupytext.read(p)


# Torch/OpenMP threads of the calibration sandbox (recorded in each entry as ``sandbox_threads``);
# ``pipeline.PINNED_THREADS`` grades the ``ci`` profile with the same count.
CALIBRATION_THREADS = 1


def grade_solution(assignment: str, notebooks: Sequence[str | os.PathLike], profile: str, seed: int,
                   timeout: int = 3600, questions_module: str | None = None):
    """Grade the solution notebooks once with ``seed`` through the spine; returns the StudentResult."""
    import dataclasses

    from autograder.grading import pipeline
    from autograder.grading.grade_student import grade_student

    source_dir = Path(notebooks[0]).resolve().parent
    base = pipeline.PROFILE_LIMITS[profile]
    limits = dataclasses.replace(base, cell_timeout_s=float(timeout), threads=CALIBRATION_THREADS,
                                 notebook_timeout_s=max(float(timeout), base.notebook_timeout_s))
    cfg = pipeline.Config(assignment, source_dir, Path(tempfile.gettempdir()) / "arkit-calibration", source_dir,
                          profile, seed=int(seed), limits=limits, questions_module=questions_module)
    spec = pipeline.spec_from_config(cfg)
    stems = {Path(p).stem for p in notebooks}
    spec = dataclasses.replace(spec, questions=tuple(q for q in spec.questions if q.notebook in stems))
    return grade_student(solution_submission(notebooks, f"solution-seed{seed}"), spec)


class SolutionCellError(RuntimeError):
    """A cell of the instructor's solution raised while it was calibrated (the message lists them):
    thresholds measured from a solution that does not run cleanly under the profile are not written."""


def run_notebooks(assignment: str, notebooks: Sequence[str], profile: str, seeds: Sequence[int],
                  only: Iterable[str] | None = None, timeout: int = 3600,
                  log: Callable[[str], None] = print, questions_module: str | None = None,
                  strict: bool = False) -> Results:
    """Grade the solution notebooks per seed and collect the measurements of their results.
    ``strict``: raise :class:`SolutionCellError` after the last seed if any solution cell raised
    (a locked cell of hw2 notebook 4 failed under ``cpu`` only, on a split too small for the profile)."""
    wanted = set(only) if only else None
    results: Results = defaultdict(list)
    failed: list[str] = []
    for seed in seeds:
        res = grade_solution(assignment, notebooks, profile, int(seed), timeout, questions_module)
        for stem, errors in sorted(res.cell_errors.items()):
            for e in errors:
                log(f"  warning: {stem} seed {seed}: {e}")
                failed.append(f"{stem} seed {seed}: {e}")
        if res.output:
            log(f"  warning: seed {seed}: {res.output}")
        found = {k: v for k, v in record.measurements(res).items() if wanted is None or k[0] in wanted}
        if not found:
            log(f"  warning: seed {seed} measured nothing")
        for key, value in sorted(found.items()):
            results[key].append((int(seed), value))
    if strict and failed:
        raise SolutionCellError("; ".join(failed))
    return dict(results)


def write_calibration(assignment: str, profile: str, results: Mapping[tuple[str, str], list],
                      path=None, **extra) -> Path:
    """Merge entries for ``results`` into the calibration file (other entries are kept); an entry
    keeps the ``unit`` its question states elsewhere (:func:`known_units`)."""
    data = store.load_calibration(assignment, path)
    units = known_units(assignment, results, path)
    for (question, dataset), pairs in sorted(results.items()):
        seeds, values = [s for s, _ in pairs], [v for _, v in pairs]
        unit = units.get((question, dataset))
        more = {**extra, "unit": unit} if unit and "unit" not in extra else extra
        store.set_entry(data, question, dataset, profile, store.measured_entry(values, seeds, **more))
    return store.save_calibration(data, assignment, path)


def known_units(assignment: str, keys: Iterable[tuple[str, str]], path=None) -> dict[tuple[str, str], str]:
    """``{(question, dataset): unit}`` for the keys whose entries state a ``unit`` for some profile
    (accuracy questions: an error rate, not nats/dim), in the file at ``path`` or else in the
    assignment's own calibration file (a first measurement written to a fresh ``--out`` file)."""
    files = [store.load_calibration(assignment, path)]
    if path is not None:
        files.append(store.load_calibration(assignment))
    found = {}
    for question, dataset in keys:
        for data in files:
            per_profile = data.get("questions", {}).get(question, {}).get(dataset, {})
            unit = next((e["unit"] for e in per_profile.values() if isinstance(e, Mapping) and e.get("unit")), None)
            if unit:
                found[(question, dataset)] = unit
                break
    return found
