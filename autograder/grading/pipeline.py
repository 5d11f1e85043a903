"""Grade a class: discover, skip unchanged, grade in parallel, write results atomically."""
from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import multiprocessing as mp
import os
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.assignments.base import GradingContext

from . import feedback, gradebook, inputs, results, runner
from .progress import ClassProgress
from .sandbox import Limits, probe_isolation

GRADING_DIR = Path(__file__).resolve().parent
REPO_ROOT = GRADING_DIR.parents[1]
# Folders of the checkout the sandbox needs: the interpreter's venv, the student package, data.
SANDBOX_VISIBLE = {".venv", "arkit", "data"}

PROFILE_LIMITS = {
    "ci": Limits(memory_mb=4096, cpu_s=1800, cell_timeout_s=300, call_timeout_s=60, notebook_timeout_s=1200),
    "cpu": Limits(memory_mb=8192, cpu_s=7200, cell_timeout_s=1200, call_timeout_s=120, notebook_timeout_s=3600),
    "gpu": Limits(memory_mb=None, cpu_s=7200, cell_timeout_s=1800, call_timeout_s=120, notebook_timeout_s=7200),
}


@dataclass
class Config:
    """Everything one grading run needs (all paths absolute)."""

    assignment: str
    submissions: Path
    out: Path
    source_dir: Path
    profile: str
    seed: int = 0
    workers: int = 1
    limits: Limits = field(default_factory=Limits)
    questions_module: str | None = None
    gradebook: Path | None = None
    force: bool = False
    keep_extra_cells: bool = True
    allow_namespaces: bool = True
    progress: bool | None = None

    def stems(self) -> list[str]:
        return sorted(p.stem for p in self.source_dir.glob("[0-9][0-9]_*.py"))


def fingerprint(cfg: Config) -> str:
    """Hash of what decides a grade besides the submission: instructor sources, grader code, settings."""
    h = hashlib.sha256()
    files = sorted(cfg.source_dir.glob("*.py")) + sorted(GRADING_DIR.glob("*.py"))
    files += sorted((REPO_ROOT / "autograder" / "assignments").rglob("*.py"))
    files += sorted((REPO_ROOT / "autograder" / "calibration").glob("*.json"))
    if cfg.questions_module and cfg.questions_module.endswith(".py"):
        files.append(Path(cfg.questions_module))
    for f in files:
        h.update(str(f.name).encode() + b"\0" + f.read_bytes())
    h.update(json.dumps([cfg.assignment, cfg.profile, cfg.seed, asdict(cfg.limits), cfg.keep_extra_cells]).encode())
    return h.hexdigest()


def hidden_paths(cfg: Config) -> list[str]:
    """Folders covered by an empty tmpfs in the sandbox: everything secret or belonging to others."""
    hide = [REPO_ROOT / e for e in os.listdir(REPO_ROOT) if e not in SANDBOX_VISIBLE and (REPO_ROOT / e).is_dir()]
    hide += [cfg.source_dir, cfg.out]
    hide.append(cfg.submissions if cfg.submissions.is_dir() else cfg.submissions.parent)
    if cfg.gradebook:
        hide.append(cfg.gradebook.parent)
    if cfg.questions_module and cfg.questions_module.endswith(".py"):
        hide.append(Path(cfg.questions_module).resolve().parent)
    unique = sorted({str(Path(p).resolve()) for p in hide if Path(p).is_dir()})
    tmp = Path(tempfile.gettempdir()).resolve()  # the sandbox's own folder lives there
    return [p for p in unique if p != "/" and not (tmp == Path(p) or Path(p) in tmp.parents)]


# ------------------------------------------------------------------ per student
_WORKER: dict = {}


def _init_worker(cfg: Config, slots) -> None:
    _WORKER["cfg"] = cfg
    _WORKER["slot"] = slots.get() if slots is not None else 0
    _WORKER["questions"] = runner.load_questions(cfg.assignment, cfg.questions_module)


def grade_submission(sub: inputs.Submission, key: str) -> tuple[str, dict, str]:
    """Grade one student in this process; writes their folder; returns (student, results, status)."""
    cfg, slot, questions = _WORKER["cfg"], _WORKER["slot"], _WORKER["questions"]
    start = time.monotonic()
    folder = cfg.out / sub.student
    try:
        ctx = GradingContext(cfg.assignment, cfg.profile, _device(cfg.profile), cfg.seed, "remote")
        env = {"ARKIT_PROFILE": cfg.profile, "ARKIT_SEED": str(cfg.seed)}
        kw = {"slot": slot, "env": env, "hide": hidden_paths(cfg), "allow_namespaces": cfg.allow_namespaces}
        reports = []
        for stem in cfg.stems():
            qs = [q for q in questions if q.notebook == stem]
            reports.append(runner.grade_notebook(stem, cfg.source_dir / f"{stem}.py", sub.notebooks.get(stem), qs,
                                                 ctx, cfg.limits, kw, keep_extra_cells=cfg.keep_extra_cells))
        for rep in reports:
            rep.notes[:0] = [p for p in sub.problems]
            sub.problems = []
        extra = {"sandbox": probe_isolation(allow_namespaces=cfg.allow_namespaces).summary(), "key": key}
        res = results.build_results(reports, time.monotonic() - start, extra)
        results.write_atomic(folder / "feedback.html", feedback.render(sub.student, cfg.assignment, reports, res))
        results.write_atomic(folder / "results.json", results.dumps(res))
        return sub.student, res, "graded"
    except Exception as exc:  # noqa: BLE001 - one student's failure never stops the class
        res = {"score": 0.0, "max_score": float(sum(q.points for q in questions)), "tests": [],
               "execution_time": round(time.monotonic() - start, 2),
               "output": f"internal grader error, please tell the instructor: {type(exc).__name__}: {exc}",
               "extra_data": {"traceback": traceback.format_exc()[-3000:]}}
        results.write_atomic(folder / "results.json", results.dumps(res))
        return sub.student, res, "failed"


def _device(profile: str) -> str:
    from arkit.profiles import default_device

    return default_device(profile)


def _cached(folder: Path, key: str) -> dict | None:
    try:
        res = json.loads((folder / "results.json").read_text())
    except (OSError, ValueError):
        return None
    return res if res.get("extra_data", {}).get("key") == key else None


# ------------------------------------------------------------------ the class
def run(cfg: Config) -> dict[str, dict]:
    """Grade every submission; returns student -> results dict (also written to ``cfg.out``)."""
    questions = runner.load_questions(cfg.assignment, cfg.questions_module)
    cfg.out.mkdir(parents=True, exist_ok=True)
    subs = inputs.discover(cfg.submissions, cfg.assignment, cfg.stems())
    base_key = fingerprint(cfg)
    rows: dict[str, dict] = {}
    todo = []
    bar = ClassProgress(len(subs), cfg.progress)
    for sub in subs:
        key = hashlib.sha256((base_key + sub.digest()).encode()).hexdigest()
        cached = None if cfg.force else _cached(cfg.out / sub.student, key)
        if cached is not None:
            rows[sub.student] = cached
            bar.update("skipped")
        else:
            todo.append((sub, key))
    try:
        if cfg.workers <= 1 or len(todo) <= 1:
            _init_worker(cfg, None)
            for sub, key in todo:
                student, res, status = grade_submission(sub, key)
                rows[student] = res
                bar.update(status)
        else:
            ctx = mp.get_context("spawn")
            slots = ctx.Queue()
            for i in range(cfg.workers):
                slots.put(i)
            with cf.ProcessPoolExecutor(cfg.workers, mp_context=ctx, initializer=_init_worker,
                                        initargs=(cfg, slots)) as pool:
                futures = {pool.submit(grade_submission, sub, key): sub for sub, key in todo}
                for fut in cf.as_completed(futures):
                    try:
                        student, res, status = fut.result()
                    except Exception as exc:  # noqa: BLE001 - a worker died
                        student, status = futures[fut].student, "failed"
                        res = {"score": 0.0, "max_score": float(sum(q.points for q in questions)), "tests": [],
                               "output": f"internal grader error: {exc}", "execution_time": 0.0}
                    rows[student] = res
                    bar.update(status)
    finally:
        bar.close()
        if rows:
            gradebook.write_grades_csv(cfg.out / "grades.csv", rows, questions)
            if cfg.gradebook is not None:
                gradebook.update_gradebook(cfg.gradebook, cfg.assignment, questions, rows)
    return rows
