"""Grade a class on a Ray cluster: one Ray task per submission, running :func:`grade_student` only.

The driver (``pipeline.run``) keeps everything that makes a run safe: the output lock, the resume
cache, the atomic writes and the progress. A task returns a :class:`StudentResult` and writes
nothing, so a task that dies half-way leaves nothing half-written; Ray reruns a task whose worker
process or node died (``max_retries``), and only when every attempt died does the driver write the
student as ``failed``, naming the cause (:func:`failed_result`). Every submission is collected
exactly once (one object ref per submission, one ``finished`` call per ref).

Resources per task: ``cpus`` CPUs (also the torch threads of the sandbox) and, with the ``gpu``
profile, ``gpus`` of one GPU (fractions pack several students per GPU). Ray sets
``CUDA_VISIBLE_DEVICES`` in the worker; the task hands it to the sandbox
(:attr:`SandboxSpec.env <autograder.grading.grade_student.SandboxSpec>`) together with
``ARKIT_CUDA_MEMORY_FRACTION`` = ``gpus`` (the sandboxed child caps torch's CUDA allocator at that
share: RLIMIT_AS cannot bound a CUDA process, see ``docs/cluster.md``).

Nodes need the same grader and instructor sources at the same paths as the driver (one container
image, ``docs/cluster.md``): every worker recomputes :func:`pipeline.fingerprint` and refuses to
grade when it differs from the driver's, instead of writing grades from other code under the
driver's cache key.
"""
from __future__ import annotations

import dataclasses
import os
import socket
from dataclasses import dataclass
from typing import Callable

INSTALL_HINT = ("--executor ray needs Ray, an optional extra of the instructor package: "
                "pip install 'ar-autograder[ray]' (or: pip install 'ray==2.60.0')")


class RayUnavailable(RuntimeError):
    """Ray cannot be imported here; the message says how to install it."""


class NodeMismatch(RuntimeError):
    """A node's grader code or instructor sources differ from the driver's (its fingerprint)."""


@dataclass(frozen=True)
class RayOptions:
    """How a class is spread over a Ray cluster.

    Attributes:
        address: ``None`` starts a private Ray instance on this machine (``workers`` x ``cpus``
            CPUs, 127.0.0.1, no dashboard); ``"auto"`` joins the cluster this machine belongs
            to; ``"HOST:PORT"`` (GCS address, default port 6379) joins that one.
        cpus: CPUs one submission holds (its sandbox gets that many torch/OpenMP threads).
        gpus: fraction of one GPU one submission holds (``gpu`` profile only; 0.25 packs four).
        max_retries: reruns of a task whose worker process or node died (Ray's ``max_retries``);
            a task that fails in the grader's code is not rerun (it would fail again).
        in_flight: submissions handed to Ray at once (None: :func:`in_flight`), so 300 notebooks
            do not sit in the object store together.
    """

    address: str | None = None
    cpus: float = 1.0
    gpus: float = 0.0
    max_retries: int = 2
    in_flight: int | None = None


def import_ray():
    """The ``ray`` module, or :class:`RayUnavailable` saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailable(f"{INSTALL_HINT} ({type(exc).__name__}: {exc})") from None
    return ray


# ------------------------------------------------------------------ on the worker
_SPECS: dict[str, object] = {}


def worker_spec(cfg, base_key: str):
    """The :class:`GradeSpec` of ``cfg`` built on this worker (once per process), checked against the driver.

    Raises :class:`NodeMismatch` when this node's grader code, ``arkit`` checks, instructor sources
    or settings hash differently from the driver's (``base_key``)."""
    from . import pipeline, runner
    from .grade_student import default_device

    spec = _SPECS.get(base_key)
    if spec is None:
        here = pipeline.fingerprint(cfg)
        if here != base_key:
            raise NodeMismatch(f"node {socket.gethostname()} has other grader code or instructor sources than "
                               f"the driver (fingerprint {here[:12]} != {base_key[:12]}): build every node from "
                               "the same image and sources (docs/cluster.md)")
        questions = runner.load_questions(cfg.assignment, cfg.questions_module)
        # the device is this node's (a CPU-only driver still grades on the workers' GPUs)
        spec = dataclasses.replace(pipeline.spec_from_config(cfg, questions), device=default_device(cfg.profile))
        _SPECS[base_key] = spec
    return spec


def sandbox_env(gpus: float) -> tuple[tuple[str, str], ...]:
    """Variables the sandbox gets from this task's Ray resources: the GPU(s) Ray assigned and the share."""
    if gpus <= 0:
        return (("CUDA_VISIBLE_DEVICES", ""),)  # a CPU task never sees a GPU another task holds
    return (("CUDA_VISIBLE_DEVICES", os.environ.get("CUDA_VISIBLE_DEVICES", "")),
            ("ARKIT_CUDA_MEMORY_FRACTION", f"{min(1.0, gpus):g}"))


def grade_task(cfg, sub, key: str, base_key: str, gpus: float):
    """Body of one Ray task: grade ``sub`` with :func:`grade_student` and return the result (writes nothing)."""
    from .grade_student import grade_student

    spec = worker_spec(cfg, base_key)
    spec = dataclasses.replace(spec, sandbox=dataclasses.replace(spec.sandbox, env=sandbox_env(gpus)))
    return grade_student(sub, spec, key=key)


# ------------------------------------------------------------------ on the driver
def materialize(sub):
    """``sub`` with its notebooks read into bytes here (nodes need not see the submissions' files).

    A notebook that changed since intake stays lazy: the task then reports it as the local run does."""
    try:
        return dataclasses.replace(sub, notebooks={stem: sub.notebooks[stem] for stem in sub.notebooks})
    except OSError:
        return sub


def failed_result(spec, sub, key: str, exc: BaseException, attempts: int) -> "object":
    """The student's ``failed`` result when no attempt of the task came back; the cause is named.

    ``key`` is left empty so that a rerun of the command grades this student again."""
    from .student_result import GRADER_ERROR

    ray = import_ray()
    res = spec.empty_result(sub.student)
    res.status = "failed"
    if isinstance(exc, NodeMismatch) or isinstance(getattr(exc, "cause", None), NodeMismatch):
        cause = str(getattr(exc, "cause", exc))
    elif isinstance(exc, ray.exceptions.RayTaskError):
        cause = f"the grading task raised {type(getattr(exc, 'cause', exc)).__name__}: {getattr(exc, 'cause', exc)}"
    elif isinstance(exc, (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError,
                          ray.exceptions.OutOfMemoryError, ray.exceptions.LocalRayletDiedError)):
        cause = (f"the Ray worker grading it died {attempts} time(s) ({type(exc).__name__}: "
                 f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''})")
    else:
        cause = f"{type(exc).__name__}: {str(exc).strip()[:500]}"
    res.output = f"internal grader error (not your fault; the instructor will regrade): {cause}"
    for q in res.questions.values():
        q.status, q.message = GRADER_ERROR, "not graded: the grader failed (not your fault)"
    return res


def run(cfg, questions, todo: list, finished: Callable, saved: Callable, base_key: str) -> None:
    """Grade ``todo`` (``[(submission, key)]``) as Ray tasks; ``finished(result)`` once per submission.

    ``cfg.ray`` (:class:`RayOptions`) says where and with what resources. Ctrl-C cancels the tasks
    still queued or running (their sandboxes die with their workers) and propagates."""
    from . import pipeline

    ray = import_ray()
    opts: RayOptions = cfg.ray
    started = connect(ray, opts, cfg.workers)
    spec = pipeline.spec_from_config(cfg, questions)
    gpus = opts.gpus if cfg.profile == "gpu" else 0.0
    if gpus > 0 and not ray.cluster_resources().get("GPU") and opts.address is None:
        if started:
            ray.shutdown()
        raise RayUnavailable("--profile gpu on Ray needs a GPU, and this machine's Ray instance has none "
                             "(join a cluster with GPU nodes: --address)")
    # a GPU task gets a fresh worker process (max_calls=1): CUDA reads CUDA_VISIBLE_DEVICES once per
    # process, so a reused worker would grade on the GPU its previous task held
    task = ray.remote(num_cpus=opts.cpus, num_gpus=gpus, max_retries=opts.max_retries, retry_exceptions=False,
                      name="grade_student", **({"max_calls": 1} if gpus > 0 else {}))(grade_task)
    window = opts.in_flight or in_flight(opts, slots(ray.cluster_resources(), opts.cpus, gpus))
    pending: dict = {}
    queue = list(todo)
    try:
        saved()
        while queue or pending:
            while queue and len(pending) < window:
                sub, key = queue.pop(0)
                pending[task.remote(cfg, materialize(sub), key, base_key, gpus)] = (sub, key)
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                sub, key = pending.pop(ref)
                try:
                    res = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    res = failed_result(spec, sub, key, exc, opts.max_retries + 1)
                pipeline.write_student(cfg.out / sub.student, res, cfg.hint_level)
                finished(res)
    except BaseException:
        for ref in pending:
            try:
                ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 - already finished or gone
                pass
        raise
    finally:
        if started:
            ray.shutdown()


def connect(ray, opts: RayOptions, workers: int) -> bool:
    """Join ``opts.address`` or start a private instance; True when this call started Ray (shut it down after)."""
    if ray.is_initialized():  # the caller's own Ray (tests, notebooks): use it as it is
        return False
    try:
        if opts.address is None:
            start_local(ray, max(1, int(workers * opts.cpus + 0.999)))
        else:
            ray.init(address=opts.address, log_to_driver=False, configure_logging=False)
    except Exception as exc:  # noqa: BLE001 - Ray raises plain Exception, ConnectionError, RuntimeError, ...
        where = f"the Ray cluster at {opts.address}" if opts.address else "a local Ray instance"
        raise RayUnavailable(f"cannot start or join {where}: {type(exc).__name__}: "
                             f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}") from None
    return True


OBJECT_STORE_BYTES = 100 << 20  # private local instance: notebooks and results are small (MB)


def start_local(ray, num_cpus: int, tries: int = 2) -> None:
    """Start a private Ray head on 127.0.0.1 (no dashboard, 100 MB object store) with ``num_cpus`` CPUs.

    On a saturated machine Ray's start can fail: its raylet waits ~30 s for its Python agents to
    write their port files and the driver 30 s for the raylet (neither is an option of ``ray.init``;
    ``RAY_raylet_start_wait_time_s`` is raised to 120 s unless set, which did not prevent the
    failure at load average 14 on 2 cores). A failed start is shut down and tried again."""
    os.environ.setdefault("RAY_raylet_start_wait_time_s", "120")  # read by the raylet this starts
    for attempt in range(tries):
        try:
            ray.init(num_cpus=num_cpus, include_dashboard=False, _node_ip_address="127.0.0.1",
                     object_store_memory=OBJECT_STORE_BYTES, log_to_driver=False, configure_logging=False)
            return
        except Exception:  # noqa: BLE001 - "The current node timed out during startup" is a plain Exception
            ray.shutdown()
            if attempt == tries - 1:
                raise


def in_flight(opts: RayOptions, n_slots: int) -> int:
    """Tasks handed to Ray at once: two per slot on this machine; on a cluster at least 128, since an
    autoscaler adds workers only for tasks it sees waiting (a head with ``CPU: 0`` starts with 0 slots)."""
    return max(2, 2 * n_slots) if opts.address is None else max(128, 2 * n_slots)


def slots(resources: dict, cpus: float, gpus: float) -> int:
    """How many tasks of ``cpus`` CPUs and ``gpus`` GPU the cluster runs at once (at least 1)."""
    n = int(resources.get("CPU", 1) // max(cpus, 1e-9))
    if gpus > 0:
        n = min(n, int(resources.get("GPU", 0) // gpus + 1e-9))
    return max(1, n)
