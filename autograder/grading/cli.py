"""``autograder grade``: grade a class of submissions in sandboxes.

Example::

    autograder grade hw1 submissions.zip --out out/grades/hw1 --workers 2 --profile ci

Writes ``<out>/<student>/result.json`` (the typed result), ``results.json``
(Gradescope schema) and ``feedback.html``, ``<out>/grades.csv`` and the nbgrader
gradebook (``--gradebook``, default ``<out>/gradebook.db``), all updated after
every finished student. Re-running skips students whose submission, instructor
sources and grader are unchanged (so an interrupted run resumes).

Exit codes: 0 graded; 1 some students failed with an internal grader error;
2 bad input, preflight problem or output folder in use; 130 interrupted (Ctrl-C).
Every error is one line on stderr, without a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

PROFILES = ("ci", "cpu", "gpu")  # = arkit.profiles.PROFILES (not imported: fail fast, import late)
PROG = "autograder grade"


class UsageError(Exception):
    """A bad command line or input: printed as one line, exit code 2."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("assignment", help="assignment name, e.g. hw1")
    p.add_argument("submissions", type=Path, help="nbgrader course folder (with submitted/), folder of "
                   "notebooks, or an LMS zip")
    p.add_argument("--out", type=Path, default=None, help="output folder (default out/grades/<assignment>)")
    p.add_argument("--source-dir", type=Path, default=None,
                   help="instructor jupytext sources (default solutions/<assignment>)")
    p.add_argument("--questions", default=None,
                   help="module (dotted or .py path) that registers the questions (default "
                   "autograder.assignments.<assignment>)")
    p.add_argument("--workers", type=int, default=1, help="students graded in parallel (default 1)")
    p.add_argument("--profile", choices=PROFILES, default=None,
                   help="compute profile (default: ARKIT_PROFILE, CI, or CUDA auto-detection)")
    p.add_argument("--seed", type=int, default=0, help="seed of the grader's probes and of the notebooks")
    p.add_argument("--gradebook", type=Path, default=None, help="nbgrader gradebook.db to update")
    p.add_argument("--no-gradebook", action="store_true", help="do not write an nbgrader gradebook")
    p.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    p.add_argument("--cell-timeout", type=float, default=None,
                   help="wall-clock seconds per notebook cell (outer bound; default 3x the CPU limit)")
    p.add_argument("--cell-cpu", type=float, default=None,
                   help="CPU seconds per notebook cell and allowed thread (default from the profile)")
    p.add_argument("--notebook-timeout", type=float, default=None, help="wall seconds per notebook")
    p.add_argument("--memory-mb", type=int, default=None, help="address-space limit per sandbox (MiB)")
    p.add_argument("--only-solution-cells", action="store_true",
                   help="do not run code cells the student added (default: run them)")
    p.add_argument("--no-namespaces", action="store_true", help="do not use unshare (debugging)")
    p.add_argument("--hint-level", choices=("cause", "fix"), default=None,
                   help="what feedback shows: 'cause' (what is wrong, where; default, e.g. before the "
                        "deadline) or 'fix' (also how to fix it, e.g. after the deadline); "
                        "default $ARKIT_HINT_LEVEL, else cause")
    p.add_argument("--progress", choices=("bar", "lines", "none"), default=None,
                   help="bar (tqdm), lines (one line per student) or none; default: bar on a terminal, "
                   "else lines")
    p.add_argument("--map", action="append", default=[], metavar="FILE=NOTEBOOK",
                   help="grade submitted file FILE as notebook NOTEBOOK (e.g. 'erin final.ipynb=02_made'); "
                   "repeatable")
    p.add_argument("--skip-preflight", action="store_true",
                   help="do not check data, sources and thresholds before grading (debugging)")
    r = p.add_argument_group("executor", "where students are graded (docs/cluster.md)")
    r.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="local: a process pool on this machine (default); ray: one Ray task per student "
                   "(pip install 'ar-autograder[ray]')")
    r.add_argument("--address", default=None, metavar="auto|HOST:PORT",
                   help="Ray cluster to join ('auto': the one this machine belongs to); default: a private "
                   "Ray instance on this machine with --workers x --cpus-per-submission CPUs")
    r.add_argument("--cpus-per-submission", type=float, default=1.0, metavar="N",
                   help="CPUs one student's task holds on Ray (also its torch threads, except under --profile ci, which always grades with 1 thread as calibrated; default 1)")
    r.add_argument("--gpus-per-submission", type=float, default=None, metavar="F",
                   help="share of one GPU a student's task holds on Ray, --profile gpu only (default 1; "
                   "0.25 packs four students per GPU, each capped at a quarter of its memory)")
    r.add_argument("--max-retries", type=int, default=2,
                   help="Ray reruns of a task whose worker or node died before it is reported failed (default 2)")
    return p


def parse_mapping(items: list[str], stems: list[str] | None = None) -> dict[str, str]:
    """``--map FILE=NOTEBOOK`` items -> ``{file: stem}`` (intake's parser; errors become usage errors)."""
    from . import inputs  # stdlib only

    try:
        return inputs.parse_map_args(items, stems)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def check_paths(args: argparse.Namespace, source_dir: Path) -> None:
    """Fail fast on inputs that cannot work (before torch is imported)."""
    subs: Path = args.submissions
    if args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    check_executor(args)
    if not source_dir.is_dir() or not sorted(source_dir.glob("[0-9][0-9]_*.py")):
        if args.source_dir is None:
            raise UsageError(f"unknown assignment {args.assignment!r}: no instructor sources NN_name.py in "
                             f"{source_dir} (pass --source-dir)")
        raise UsageError(f"no instructor sources NN_name.py in {source_dir}")
    if not subs.exists():
        raise UsageError(f"{subs} does not exist")
    if subs.is_file():
        import zipfile

        if subs.suffix.lower() != ".ipynb" and not zipfile.is_zipfile(subs):
            raise UsageError(f"{subs} is not a zip file, a notebook, a folder of notebooks or an nbgrader "
                             "course folder")
    elif not subs.is_dir():
        raise UsageError(f"{subs} is not a zip file, a folder of notebooks or an nbgrader course folder")


def config_from_args(args: argparse.Namespace):
    from arkit.profiles import active_profile
    from autograder.paths import OUT_DIR, SOLUTIONS_DIR

    from . import pipeline

    profile = args.profile or active_profile()
    limits = pipeline.PROFILE_LIMITS[profile]
    changes = {"cell_timeout_s": args.cell_timeout, "notebook_timeout_s": args.notebook_timeout,
               "memory_mb": args.memory_mb, "cell_cpu_s": args.cell_cpu}
    import dataclasses

    ray = ray_options(args, profile)
    threads = pipeline.sandbox_threads(profile, args.workers, os.cpu_count(),
                                       args.cpus_per_submission if ray is not None else None)
    limits = dataclasses.replace(limits, **{k: v for k, v in changes.items() if v is not None}, threads=threads)
    out = (args.out or OUT_DIR / "grades" / args.assignment).resolve()
    gradebook = None if args.no_gradebook else (args.gradebook or out / "gradebook.db").resolve()
    return pipeline.Config(
        assignment=args.assignment, submissions=args.submissions.resolve(), out=out,
        source_dir=(args.source_dir or SOLUTIONS_DIR / args.assignment).resolve(), profile=profile,
        seed=args.seed, workers=max(1, args.workers), limits=limits, questions_module=args.questions,
        gradebook=gradebook, force=args.force, keep_extra_cells=not args.only_solution_cells,
        allow_namespaces=not args.no_namespaces, progress=args.progress, hint_level=args.hint_level,
        mapping=parse_mapping(args.map, stems_of(args)) or None, ray=ray)


def check_executor(args: argparse.Namespace) -> None:
    """Ray options make sense, and Ray is importable when asked for (before torch is imported)."""
    ray_only = {"--address": args.address is not None, "--gpus-per-submission": args.gpus_per_submission is not None,
                "--cpus-per-submission": args.cpus_per_submission != 1.0, "--max-retries": args.max_retries != 2}
    if args.executor != "ray":
        given = [k for k, v in ray_only.items() if v]
        if given:
            raise UsageError(f"{', '.join(given)} only apply with --executor ray")
        return
    if args.cpus_per_submission <= 0:
        raise UsageError(f"--cpus-per-submission must be positive, got {args.cpus_per_submission:g}")
    g = args.gpus_per_submission
    if g is not None and (g <= 0 or (g > 1 and g != int(g))):
        raise UsageError(f"--gpus-per-submission must be a fraction in (0, 1] or a whole number, got {g:g}")
    if g is not None and (args.profile or os.environ.get("ARKIT_PROFILE")) not in ("gpu", None):
        raise UsageError("--gpus-per-submission applies to --profile gpu only (the ci and cpu profiles use no GPU)")
    if args.max_retries < 0:
        raise UsageError(f"--max-retries must be at least 0, got {args.max_retries}")
    from .ray_executor import RayUnavailable, import_ray  # no torch

    try:
        import_ray()
    except RayUnavailable as exc:
        raise UsageError(str(exc)) from None


def ray_options(args: argparse.Namespace, profile: str):
    """The :class:`~autograder.grading.ray_executor.RayOptions` of ``--executor ray`` (None: local pool)."""
    if getattr(args, "executor", "local") != "ray":
        return None
    from .ray_executor import RayOptions

    gpus = (1.0 if args.gpus_per_submission is None else args.gpus_per_submission) if profile == "gpu" else 0.0
    return RayOptions(address=args.address, cpus=args.cpus_per_submission, gpus=gpus, max_retries=args.max_retries)


def stems_of(args: argparse.Namespace) -> list[str]:
    """Notebook stems of the assignment (``NN_name.py`` instructor sources)."""
    return sorted(p.stem for p in _default_source_dir(args).glob("[0-9][0-9]_*.py"))


def _default_source_dir(args) -> Path:
    if args.source_dir is not None:
        return args.source_dir.resolve()
    from autograder.paths import SOLUTIONS_DIR  # light: paths only

    return (SOLUTIONS_DIR / args.assignment).resolve()


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return _main(args)
    except UsageError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2


def _main(args: argparse.Namespace) -> int:
    start = time.monotonic()
    source_dir = _default_source_dir(args)
    check_paths(args, source_dir)
    stems = sorted(p.stem for p in source_dir.glob("[0-9][0-9]_*.py"))
    mapping = parse_mapping(args.map, stems)
    from . import inputs  # stdlib only: still before torch

    try:
        subs = inputs.discover(args.submissions.resolve(), args.assignment, stems, mapping=mapping or None)
    except (OSError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    for line in inputs.instructor_report(subs):  # collisions, refused files, ambiguous names: the instructor sees them
        print(f"{PROG}: intake: {line}", file=sys.stderr)
    if not subs:
        raise UsageError(f"no submissions found in {args.submissions} (expected notebooks named after "
                         f"{', '.join(s + '.ipynb' for s in stems)}, an nbgrader course or an LMS zip)")
    cfg = config_from_args(args)
    # heavy imports (torch) from here on
    from . import pipeline, runner
    from .lifetime import LockedError
    from .preflight import preflight
    from .ray_executor import RayUnavailable
    from .progress import ClassProgress

    try:
        questions = runner.load_questions(cfg.assignment, cfg.questions_module)
    except KeyError as exc:
        raise UsageError(str(exc.args[0]) if exc.args else str(exc)) from None
    except (ImportError, OSError, SyntaxError) as exc:
        raise UsageError(f"cannot load the questions of {cfg.assignment!r}: {type(exc).__name__}: {exc}") from None
    if not questions:
        raise UsageError(f"unknown assignment {cfg.assignment!r}: no questions registered")
    if not args.skip_preflight:
        problems = preflight(pipeline.spec_from_config(cfg, questions))
        if problems:
            more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
            raise UsageError(f"preflight: {problems[0]}{more}; nobody was graded")
    progress = ClassProgress(len(subs), cfg.progress)
    try:
        rows = pipeline.run(cfg, progress, subs)
    except LockedError as exc:
        raise UsageError(str(exc)) from None
    except RayUnavailable as exc:  # no Ray, or no cluster at --address
        raise UsageError(str(exc)) from None
    except OSError as exc:  # the output folder is a file, not writable, the disk is full, ...
        raise UsageError(f"cannot write the results to {cfg.out}: {exc}") from None
    except pipeline.Interrupted as exc:
        progress.close()
        print(f"\n{PROG}: interrupted; {len(exc.rows)} student(s) saved in {cfg.out} "
              "(rerun the same command to continue)", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"\n{PROG}: interrupted before grading started", file=sys.stderr)
        return 130
    total = sum(r.score for r in rows.values())
    print(f"{progress.summary()}; {time.monotonic() - start:.0f} s", file=sys.stderr)
    print(f"graded {len(rows)} submission(s) of {cfg.assignment} -> {cfg.out} "
          f"(mean {total / max(1, len(rows)):.2f} points)")
    return 1 if any(r.status == "failed" for r in rows.values()) else 0
