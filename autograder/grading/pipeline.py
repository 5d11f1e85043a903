"""Grade a class: discover, skip unchanged, grade in parallel with :func:`grade_student`, write results.

Crash safety: the run holds ``<out>/.lock``; workers die with the run (``lifetime``); each
student's folder, ``grades.csv`` and the gradebook are replaced atomically after every finished
student, so a ``kill -9`` at any moment leaves a consistent, current state and a rerun resumes.

Per student folder: ``result.json`` (the :class:`StudentResult`, also the resume cache),
``results.json`` (Gradescope schema) and ``feedback.html``.
"""
from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import multiprocessing as mp
import os
import signal
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import feedback, gradebook, inputs, results, runner
from .grade_student import GradeSpec, SandboxSpec, default_device, grade_student
from .lifetime import OutputLock, die_with_parent
from .progress import ClassProgress
from .ray_executor import RayOptions
from .sandbox import Limits
from .student_result import StudentResult

GRADING_DIR = Path(__file__).resolve().parent
REPO_ROOT = GRADING_DIR.parents[1]

# CPU-time limits are what is meant (they survive a loaded machine): per cell ``cell_cpu_s`` (per
# allowed thread) and per notebook process ``cpu_s`` (RLIMIT_CPU); wall-clock limits are a
# generous outer bound (3x) for cells that wait instead of computing.
PROFILE_LIMITS = {
    "ci": Limits(memory_mb=4096, cpu_s=1800, cell_cpu_s=300, cell_timeout_s=900, call_timeout_s=60,
                 notebook_timeout_s=3600),
    "cpu": Limits(memory_mb=8192, cpu_s=7200, cell_cpu_s=1200, cell_timeout_s=3600, call_timeout_s=120,
                  notebook_timeout_s=10800),
    "gpu": Limits(memory_mb=None, cpu_s=7200, cell_cpu_s=1800, cell_timeout_s=5400, call_timeout_s=120,
                  notebook_timeout_s=21600),
}

# Torch/OpenMP threads of the sandbox, fixed per profile where thresholds are tight. Training
# numerics depend on the thread count (reduction order), and calibration grades the solution with
# one thread (``Limits.threads`` default), so a ``ci`` grade runs exactly as it was calibrated
# whatever the machine's cores or ``--workers``. Profiles not listed get cores // workers threads
# (long cpu/gpu training; their margins absorb the difference, and the count is recorded).
PINNED_THREADS = {"ci": 1}


def sandbox_threads(profile: str, workers: int, cpu_count: int | None, ray_cpus: float | None = None) -> int:
    """Threads one sandbox gets: the profile's pinned count, else its share of the CPUs."""
    if profile in PINNED_THREADS:
        return PINNED_THREADS[profile]
    if ray_cpus is not None:
        return max(1, int(ray_cpus))
    return max(1, (cpu_count or 1) // max(1, workers))


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
    progress: str | None = None  # bar | lines | none (None: bar on a terminal, else lines)
    mapping: dict[str, str] | None = None  # submitted file name -> notebook stem (``--map``)
    hint_level: str | None = None  # cause | fix: does feedback show the fix (None: $ARKIT_HINT_LEVEL, else cause)
    ray: "RayOptions | None" = None  # grade on Ray (``--executor ray``, see ray_executor); None: local pool

    def stems(self) -> list[str]:
        return sorted(p.stem for p in self.source_dir.glob("[0-9][0-9]_*.py"))


def fingerprint(cfg: Config) -> str:
    """Hash of what decides a grade besides the submission: instructor sources, grader code, settings."""
    import arkit  # the public checks decide verdicts too

    h = hashlib.sha256()
    files = sorted(cfg.source_dir.glob("*.py"))
    # every line of trusted code that can change a verdict: the instructor package (questions,
    # checks, references, grading) and the student package's checks
    files += sorted((REPO_ROOT / "autograder").rglob("*.py"))
    files += sorted(Path(arkit.__file__).resolve().parent.rglob("*.py"))
    files += sorted((REPO_ROOT / "autograder" / "calibration").glob("*.json"))
    if cfg.questions_module and cfg.questions_module.endswith(".py"):
        files.append(Path(cfg.questions_module))
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    h.update(json.dumps([cfg.assignment, cfg.profile, cfg.seed, asdict(cfg.limits), cfg.keep_extra_cells]).encode())
    return h.hexdigest()


def hidden_paths(cfg: Config) -> list[str]:
    """Secret paths of this run: instructor sources, results, submissions, gradebook, questions module.

    The sandbox sees an allow-list (``sandbox_view.build_view``: interpreter, packages, ``arkit``,
    training data, its own folder) so none of these exists in there anyway; they are passed on so
    that one lying inside a revealed folder is covered too. A path that contains a revealed folder
    (e.g. the submissions zip lies next to the checkout) is never covered.
    """
    secret = [cfg.source_dir, cfg.out, cfg.submissions]
    if cfg.gradebook:
        secret.append(cfg.gradebook)
    if cfg.questions_module and cfg.questions_module.endswith(".py"):
        secret.append(Path(cfg.questions_module).resolve().parent)
    return sorted({str(Path(p).resolve()) for p in secret if Path(p).exists()})


def spec_from_config(cfg: Config, questions=None) -> GradeSpec:
    """The trusted grading spec of a class run."""
    qs = tuple(questions if questions is not None else runner.load_questions(cfg.assignment, cfg.questions_module))
    return GradeSpec(cfg.assignment, cfg.source_dir, qs, cfg.profile, cfg.limits,
                     SandboxSpec(tuple(hidden_paths(cfg)), cfg.allow_namespaces), cfg.seed,
                     default_device(cfg.profile), cfg.keep_extra_cells)


def discover(cfg: Config) -> list[inputs.Submission]:
    """The submissions under ``cfg.submissions`` (``--map`` passed on when given)."""
    if cfg.mapping:
        return inputs.discover(cfg.submissions, cfg.assignment, cfg.stems(), mapping=cfg.mapping)
    return inputs.discover(cfg.submissions, cfg.assignment, cfg.stems())


# ------------------------------------------------------------------ per student
_WORKER: dict = {}


def _init_worker(cfg: Config, slots, die: bool = True, parent: int | None = None) -> None:
    if die:
        die_with_parent(expected_parent=parent)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    slot = slots.get() if slots is not None else 0
    _WORKER["cfg"] = cfg
    _WORKER["spec"] = spec_from_config(cfg).with_slot(slot)


def write_student(folder: Path, result: StudentResult, hint_level: str | None = None) -> None:
    """The student's folder: feedback page, Gradescope results.json, then result.json (the cache) last.

    ``hint_level`` (``cause`` / ``fix``) decides whether the pages show the fix (:mod:`.hints`).
    The pages are rendered from the cache record as it will be read back (``result.json`` rounds
    times to ms), so a later run that finds the student unchanged renders byte-identical pages and
    leaves them untouched (:func:`refresh_pages`); rendering from the unrounded result differed
    whenever rounding twice (3 then 2 decimals) moved the Gradescope ``execution_time``."""
    record = result.dumps()
    stored = StudentResult.loads(record)
    results.write_atomic(folder / "feedback.html", feedback.render(stored, hint_level))
    results.write_atomic(folder / "results.json", results.dumps(results.gradescope(stored, hint_level)))
    results.write_atomic(folder / "result.json", record)


def refresh_pages(folder: Path, result: StudentResult, hint_level: str | None = None) -> None:
    """Rewrite a cached student's pages only where they change (e.g. another ``--hint-level``)."""
    for name, text in (("feedback.html", feedback.render(result, hint_level)),
                       ("results.json", results.dumps(results.gradescope(result, hint_level)))):
        try:
            same = (folder / name).read_text() == text
        except OSError:
            same = False
        if not same:
            results.write_atomic(folder / name, text)


def grade_submission(sub: inputs.Submission, key: str) -> StudentResult:
    """Grade one student in this process and write their folder."""
    cfg, spec = _WORKER["cfg"], _WORKER["spec"]
    result = grade_student(sub, spec, key=key)
    write_student(cfg.out / sub.student, result, cfg.hint_level)
    return result


def _cached(folder: Path, key: str) -> StudentResult | None:
    try:
        res = StudentResult.loads((folder / "result.json").read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return res if res.key == key else None


def _failed(spec: GradeSpec, sub: inputs.Submission, key: str, exc: BaseException) -> StudentResult:
    res = spec.empty_result(sub.student)
    # No cache key: the next run grades this student again (as the Ray executor does), instead of
    # keeping a worker's death as the student's result until --force.
    res.status, res.key = "failed", ""
    res.output = f"internal grader error (a grading worker died): {type(exc).__name__}: {exc}"
    for q in res.questions.values():
        q.status, q.message = "grader_error", "not graded: the grader failed (not your fault)"
    return res


# ------------------------------------------------------------------ the class
class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run; ``rows`` holds what was saved."""

    def __init__(self, rows: dict[str, StudentResult]):
        super().__init__()
        self.rows = rows


def run(cfg: Config, progress: ClassProgress | None = None,
        subs: list[inputs.Submission] | None = None) -> dict[str, StudentResult]:
    """Grade every submission; returns student -> :class:`StudentResult` (also written to ``cfg.out``).

    ``subs``: the submissions when the caller discovered them already (the CLI does, to fail fast);
    otherwise :func:`discover` reads ``cfg.submissions`` (intake hashes every notebook once).

    Raises :class:`~autograder.grading.lifetime.LockedError` when another run writes to ``cfg.out``
    and :class:`Interrupted` on Ctrl-C (everything finished so far is saved).
    """
    questions = runner.load_questions(cfg.assignment, cfg.questions_module)
    with OutputLock(cfg.out):
        return _run(cfg, questions, progress, subs)


def _run(cfg: Config, questions, progress: ClassProgress | None,
         subs: list[inputs.Submission] | None) -> dict[str, StudentResult]:
    subs = discover(cfg) if subs is None else subs
    base_key = fingerprint(cfg)
    rows: dict[str, StudentResult] = {}
    todo = []
    bar = progress or ClassProgress(len(subs), cfg.progress)
    bar.total = len(subs)
    for sub in subs:
        key = hashlib.sha256((base_key + sub.digest()).encode()).hexdigest()
        cached = None if cfg.force else _cached(cfg.out / sub.student, key)
        if cached is not None:
            rows[sub.student] = cached
            refresh_pages(cfg.out / sub.student, cached, cfg.hint_level)
            bar.update("skipped", sub.student)
        else:
            todo.append((sub, key))

    def finished(res: StudentResult) -> None:
        rows[res.student] = res
        gradebook.write_grades_csv(cfg.out / "grades.csv", rows, questions)
        if cfg.gradebook is not None:
            gradebook.update_gradebook(cfg.gradebook, cfg.assignment, questions, {res.student: res})
        bar.update("failed" if res.status == "failed" else "graded", res.student, res.score, res.max_score,
                   res.execution_time_s)

    def saved() -> None:  # what is already graded, and the gradebook's skeleton (slow first import)
        if rows:
            gradebook.write_grades_csv(cfg.out / "grades.csv", rows, questions)
        if cfg.gradebook is not None:
            gradebook.update_gradebook(cfg.gradebook, cfg.assignment, questions, rows)

    try:
        if cfg.ray is not None and todo:  # one Ray task per submission; this driver still writes everything
            from . import ray_executor

            ray_executor.run(cfg, questions, todo, finished, saved, base_key)
        elif cfg.workers <= 1 or len(todo) <= 1:
            saved()
            _init_worker(cfg, None, die=False)
            for sub, key in todo:
                finished(grade_submission(sub, key))
        else:
            _run_pool(cfg, questions, todo, finished, saved)
    except KeyboardInterrupt:
        raise Interrupted(rows) from None
    finally:
        bar.close()
    return rows


def _run_pool(cfg: Config, questions, todo, finished, saved) -> None:
    ctx = mp.get_context("spawn")
    slots = ctx.Queue()
    for i in range(cfg.workers):
        slots.put(i)
    spec = spec_from_config(cfg, questions)
    pool = cf.ProcessPoolExecutor(cfg.workers, mp_context=ctx, initializer=_init_worker,
                                 initargs=(cfg, slots, True, os.getpid()))
    try:
        futures = {pool.submit(grade_submission, sub, key): (sub, key) for sub, key in todo}
        saved()  # while the workers start
        for fut in cf.as_completed(futures):
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001 - a worker died
                sub, key = futures[fut]
                res = _failed(spec, sub, key, exc)
                write_student(cfg.out / sub.student, res, cfg.hint_level)
            finished(res)
    except BaseException:
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.kill()  # their sandboxes die with them (PR_SET_PDEATHSIG)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
