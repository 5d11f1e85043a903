"""`autograder grade --executor ray` on a private Ray head (127.0.0.1, 2 CPUs, no dashboard).

Ray gives the same StudentResults as the local pool; a Ray worker killed mid-task is rerun and the
class ends with every student exactly once; with no retries left the student is written ``failed``
naming the dead worker, and a rerun of the command grades them again. The option checks and the
missing-Ray message need no Ray.
"""
from __future__ import annotations

import csv
import json
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import grade_cli, read_student
from fixture_assignment.build import student_notebook

PEEK = {"fx_model": "def ar_logits(x):\n    return (2 * x.float() - 1) * 20\n"}
ONES = {"fx_mask": "def causal_mask(D):\n    import torch\n    return torch.ones(D, D)\n"}
# wall-clock times differ between any two runs; the cache key is the driver's (same code path for both
# executors) and changes whenever a file of the grader changes between the two runs
TIMING = re.compile(r"((^|_)(time|elapsed)_s|^key)$")


def _course(root: Path, students: dict[str, bytes]) -> Path:
    for student, nb in students.items():
        (root / "submitted" / student / "fx1").mkdir(parents=True)
        (root / "submitted" / student / "fx1" / "01_basics.ipynb").write_bytes(nb)
    return root


def _untimed(value):
    """A result's JSON without wall-clock times and the cache key (see ``TIMING``)."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if not TIMING.search(k)}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


def _rows(out: Path) -> list[dict]:
    with open(out / "grades.csv", newline="") as fh:
        return list(csv.DictReader(fh))


# ------------------------------------------------------------------ no Ray needed
@pytest.mark.parametrize("argv, expected", [
    (["--gpus-per-submission", "0.25"], "only apply with --executor ray"),
    (["--executor", "ray", "--gpus-per-submission", "0.25"], "applies to --profile gpu only"),
    (["--executor", "ray", "--gpus-per-submission", "1.5"], "a fraction in (0, 1] or a whole number"),
    (["--executor", "ray", "--cpus-per-submission", "0"], "--cpus-per-submission must be positive"),
])
def test_bad_executor_options_are_one_line(argv, expected, tmp_path, capfd):
    subs = _course(tmp_path / "course", {"alice": student_notebook()})
    assert grade_cli(subs, tmp_path / "out", *argv) == 2
    err = capfd.readouterr().err.strip()
    assert expected in err and len(err.splitlines()) == 1, err


def test_without_ray_the_message_says_how_to_install_it(tmp_path, capfd, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    subs = _course(tmp_path / "course", {"alice": student_notebook()})
    assert grade_cli(subs, tmp_path / "out", "--executor", "ray") == 2
    err = capfd.readouterr().err
    assert "pip install 'ar-autograder[ray]'" in err and not (tmp_path / "out").exists(), err


def test_gpu_share_reaches_the_sandbox_and_cpu_tasks_see_no_gpu(monkeypatch):
    """Does the sandbox get the GPU Ray assigned and its memory share, and a CPU task no GPU at all?"""
    from autograder.grading.grade_student import SandboxSpec
    from autograder.grading.ray_executor import RayOptions, in_flight, sandbox_env, slots

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")  # what Ray sets in a worker holding GPU 3
    env = SandboxSpec(env=sandbox_env(0.25)).kwargs({"ARKIT_PROFILE": "gpu"})["env"]
    assert env == {"ARKIT_PROFILE": "gpu", "CUDA_VISIBLE_DEVICES": "3", "ARKIT_CUDA_MEMORY_FRACTION": "0.25"}
    assert SandboxSpec(env=sandbox_env(0)).kwargs({})["env"] == {"CUDA_VISIBLE_DEVICES": ""}
    assert slots({"CPU": 16.0, "GPU": 2.0}, 1, 0.25) == 8  # GPUs bound: 2 x 4
    assert slots({"CPU": 4.0, "GPU": 2.0}, 1, 0.25) == 4   # CPUs bound
    assert slots({"CPU": 2.0}, 1, 0) == 2
    assert in_flight(RayOptions(), 2) == 4
    assert in_flight(RayOptions(address="auto"), slots({"CPU": 0.0}, 1, 0.25)) == 128  # autoscaler sees demand


def test_a_node_with_other_code_refuses_to_grade(tmp_path):
    """Does a worker whose fingerprint differs from the driver's refuse, naming the node, and the
    driver write that student failed with this cause (uncached, so a rerun grades them again)?"""
    from autograder.grading import cli, pipeline
    from autograder.grading.inputs import Submission
    from autograder.grading.ray_executor import NodeMismatch, failed_result, worker_spec
    from fixture_assignment.build import QUESTIONS, SOURCE_DIR

    args = cli.parser().parse_args(["fx1", str(tmp_path), "--out", str(tmp_path / "out"), "--source-dir",
                                    str(SOURCE_DIR), "--questions", str(QUESTIONS), "--profile", "ci"])
    cfg = cli.config_from_args(args)
    assert worker_spec(cfg, pipeline.fingerprint(cfg)).assignment == "fx1"  # same code: grades
    with pytest.raises(NodeMismatch, match="has other grader code or instructor sources than the driver") as exc:
        worker_spec(cfg, "0" * 64)
    spec = pipeline.spec_from_config(cfg)
    res = failed_result(spec, Submission("alice", {}), "k", exc.value, 3)
    assert res.status == "failed" and res.key == "" and "other grader code" in res.output
    assert {q.status for q in res.questions.values()} == {"grader_error"}


def test_cluster_yaml_passes_rays_schema():
    """Does docs/cluster/cluster.yaml pass the cluster launcher's own validation (what `ray up` runs)?"""
    pytest.importorskip("ray", reason="Ray cannot be imported on this platform (pip install 'ar-autograder[ray]')")
    import yaml
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = yaml.safe_load((Path(__file__).resolve().parents[3] / "docs" / "cluster" / "cluster.yaml").read_text())
    validate_config(prepare_config(config))
    assert config["docker"]["image"] and "--privileged" in config["docker"]["run_options"]
    assert set(config["file_mounts"]) == {"/opt/arkit", "/opt/arkit-data"}


# ------------------------------------------------------------------ on a local Ray head
@pytest.fixture(scope="module")
def ray_head():
    ray = pytest.importorskip("ray", reason="Ray cannot be imported on this platform "
                                            "(pip install 'ar-autograder[ray]'); the Ray executor is untested here")
    from autograder.grading.ray_executor import start_local

    try:  # in this process: 127.0.0.1, no dashboard, 100 MB object store
        start_local(ray, num_cpus=2, tries=2)
    except Exception as exc:  # noqa: BLE001 - not a skip: Ray is installed and must work here
        pytest.fail(f"a local Ray head did not start in 2 tries (load average {os.getloadavg()[0]:.1f} on "
                    f"{os.cpu_count()} CPUs; Ray's agents must start within ~30 s, see "
                    f"/tmp/ray/session_latest/logs/raylet.out): {type(exc).__name__}: {exc}")
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.mark.slow
def test_ray_gives_the_same_results_as_the_local_pool(ray_head, tmp_path):
    subs = _course(tmp_path / "course", {"alice": student_notebook(), "bob": student_notebook(replace=PEEK),
                                         "carol": student_notebook(replace=ONES)})
    assert grade_cli(subs, tmp_path / "local", "--no-gradebook", "--workers", "2") == 0
    assert grade_cli(subs, tmp_path / "ray", "--no-gradebook", "--executor", "ray") == 0
    for student in ("alice", "bob", "carol"):
        local, ray = read_student(tmp_path / "local", student), read_student(tmp_path / "ray", student)
        assert _untimed(json.loads(ray.dumps())) == _untimed(json.loads(local.dumps())), student
    assert [(r["student"], r["score"]) for r in _rows(tmp_path / "ray")] == [
        ("alice", "8.0"), ("bob", "5.0"), ("carol", "5.0")]
    assert _rows(tmp_path / "ray") == _rows(tmp_path / "local")


def _grading_workers() -> dict[int, list[int]]:
    """Ray worker processes running a grading task that has started a sandbox: pid -> child pids."""
    children: dict[int, list[int]] = {}
    titles: dict[int, bytes] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            titles[int(entry)] = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return {pid: children[pid] for pid, title in titles.items()
            if title.startswith(b"ray::grade_student") and children.get(pid)}


def _grade_and_kill(subs: Path, out: Path, *extra: str) -> tuple[int, int]:
    """Grade on Ray in a thread; SIGKILL the first worker seen mid-task (sandbox running).
    Returns (exit code, killed pid)."""
    rc: list[int] = []
    thread = threading.Thread(target=lambda: rc.append(grade_cli(subs, out, "--no-gradebook", "--executor", "ray",
                                                                 "--progress", "lines", *extra)))
    thread.start()
    killed = 0
    deadline = time.monotonic() + 120
    while not killed and thread.is_alive() and time.monotonic() < deadline:
        workers = _grading_workers()
        if workers:
            killed = min(workers)
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    thread.join(timeout=300)
    assert not thread.is_alive() and killed, "no grading task was seen running"
    return rc[0], killed


@pytest.mark.slow
def test_killed_worker_is_retried_and_no_result_is_lost_or_duplicated(ray_head, tmp_path, capfd):
    subs = _course(tmp_path / "course", {"alice": student_notebook(), "bob": student_notebook(replace=PEEK)})
    out = tmp_path / "out"
    # no retries: the student whose worker died is written failed, naming the cause; the other is graded
    rc, _ = _grade_and_kill(subs, out, "--max-retries", "0")
    err = capfd.readouterr().err
    assert rc == 1 and "graded 1, failed 1, skipped 0" in err, err
    rows = {r["student"]: r for r in _rows(out)}
    assert sorted(rows) == ["alice", "bob"]
    dead = next(s for s, r in rows.items() if r["status"] == "failed")
    res = read_student(out, dead)
    assert "the Ray worker grading it died 1 time(s) (WorkerCrashedError" in res.output, res.output
    assert {q.status for q in res.questions.values()} == {"grader_error"} and res.score == 0
    # rerun: the failed student is graded again (the other is unchanged), and killed again mid-task:
    # Ray reruns the task and the student ends graded, once
    rc, _ = _grade_and_kill(subs, out, "--max-retries", "1")
    err = capfd.readouterr().err
    assert rc == 0 and "graded 1, failed 0, skipped 1" in err, err
    assert err.count(f"] {dead} ") == 1, err  # one progress line: the dead attempt was never reported
    assert [(r["student"], r["score"], r["status"]) for r in _rows(out)] == [
        ("alice", "8.0", "graded"), ("bob", "5.0", "graded")]
    assert read_student(out, dead).status == "graded"
