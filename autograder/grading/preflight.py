"""Preflight: check what an assignment needs before grading anyone.

An instructor-side problem must never cost a student points. Before the first student,
:func:`preflight` checks, in the trusted parent:

* every instructor source ``NN_name.py`` reads, and every question's notebook has one;
* every dataset a question scores (its :class:`~autograder.assignments.spec.ParamFnSpec`
  datasets and the datasets of its calibration entries) loads: held-out split in the parent,
  and the data folders (``ARKIT_DATA_DIR``) are not hidden from the sandbox;
* every calibrated question has a threshold for the profile being graded.

It returns the problems as one-line messages (empty: all good).
"""
from __future__ import annotations

import os
from pathlib import Path

from .grade_student import GradeSpec


def datasets_of(spec: GradeSpec, calibration: dict | None) -> dict[str, set[str]]:
    """question id -> datasets it scores (trusted declarations and calibration entries)."""
    out: dict[str, set[str]] = {}
    cal = (calibration or {}).get("questions", {})
    for q in spec.questions:
        names = {p.dataset for p in q.param_fns if p.calibrated} | set(q.meta.get("datasets", ())) | set(cal.get(q.id, {}))
        if names:
            out[q.id] = names
    return out


def preflight(spec: GradeSpec, thresholds: bool = True, load_data: bool = True) -> list[str]:
    """One-line problems that would make grading wrong for every student (empty list: go)."""
    from autograder.grading import merge

    problems: list[str] = []
    stems = spec.stems
    if not stems:
        return [f"no instructor sources NN_name.py in {spec.source_dir}"]
    for stem in stems:
        try:
            merge.read_instructor(Path(spec.source_dir) / f"{stem}.py")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"instructor source {stem}.py cannot be read: {type(exc).__name__}: {exc}")
    orphan = sorted({q.notebook for q in spec.questions} - set(stems))
    if orphan:
        problems.append(f"questions of notebook(s) {', '.join(orphan)} have no instructor source in {spec.source_dir}")
    if not spec.questions:
        problems.append(f"assignment {spec.assignment!r} has no questions")
    calibration = _calibration(spec.assignment)
    needs = datasets_of(spec, calibration)
    if thresholds and calibration is not None:
        cal = calibration.get("questions", {})
        for qid, names in sorted(needs.items()):
            for ds in sorted(names):
                if spec.profile not in cal.get(qid, {}).get(ds, {}):
                    problems.append(f"no threshold for {qid} on {ds} under the {spec.profile} profile in "
                                    f"autograder/calibration/{spec.assignment}.json: run `autograder calibrate "
                                    f"{spec.assignment} --profile {spec.profile}` first")
    all_ds = sorted(set().union(*needs.values())) if needs else []
    if load_data:
        problems += _check_data(all_ds)
    hidden = [Path(h) for h in spec.sandbox.hide]
    for d in filter(None, os.environ.get("ARKIT_DATA_DIR", "").split(os.pathsep)):
        real = Path(d).resolve()
        if any(real == h or h in real.parents for h in hidden):
            problems.append(f"the data folder {d} (ARKIT_DATA_DIR) is hidden from the sandbox: move the data "
                            "out of the submissions/output/instructor folders")
    return problems


def _calibration(assignment: str) -> dict | None:
    try:
        from autograder.calibration.store import load_calibration

        return load_calibration(assignment)
    except Exception:  # noqa: BLE001 - an assignment without a calibration file
        return None


def _check_data(datasets: list[str]) -> list[str]:
    problems = []
    for ds in datasets:
        try:
            from autograder.heldout import load_heldout

            load_heldout(ds)
        except Exception as exc:  # noqa: BLE001 - DataNotFoundError names the places searched
            text = " ".join(str(exc).split())  # one line: the places searched included
            text = text if len(text) <= 400 else text[:400] + " ..."
            problems.append(f"dataset {ds} is not available to the grader ({type(exc).__name__}: {text}); "
                            "set ARKIT_DATA_DIR to the folder holding the data files")
    return problems
