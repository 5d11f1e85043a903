"""Ctrl-C and kill -9 of the grader mid-run: no process of the run survives, what finished is kept
(and said so on Ctrl-C, exit 130), and a rerun finishes with exactly the right rows in grades.csv
(the state on disk was consistent at every stop)."""
import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixture_assignment.build import QUESTIONS, SOURCE_DIR, student_notebook

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[3]
ONES = {"fx_mask": "def causal_mask(D):\n    import torch\n    return torch.ones(D, D)\n"}
STUDENTS = {"s1": (student_notebook(), 8.0), "s2": (student_notebook(replace=ONES), 5.0),
            "s3": (student_notebook(), 8.0), "s4": (student_notebook(replace=ONES), 5.0),
            "s5": (student_notebook(), 8.0)}


def _stat(pid: int) -> tuple[int, int, str] | None:
    """(ppid, session id, state) of ``pid`` or None when gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[3]), fields[0]


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))) is not None:
            children.setdefault(st[0], []).append(int(entry))
    out, todo = set(), [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _alive(pids) -> set[int]:
    return {p for p in pids if (st := _stat(p)) is not None and st[2] != "Z"}


def _cmd(subs: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "autograder.cli", "grade", "fx1", str(subs), "--out", str(out), "--source-dir",
            str(SOURCE_DIR), "--questions", str(QUESTIONS), "--profile", "ci", "--workers", "2",
            "--progress", "lines", "--skip-preflight", *extra]


def _terminal_signals() -> None:
    """The grader starts as from a terminal: Ctrl-C at its default. An ignored SIGINT is inherited
    through exec and Python then installs no KeyboardInterrupt handler: in the full suite an earlier
    test leaves SIGINT ignored in pytest (libraries such as ipykernel's kernel app do that), and the
    grader ran to the end through the test's Ctrl-C (reproduced by running this test from a parent
    that ignores SIGINT)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stop_mid_run(subs: Path, out: Path, sig: int, *extra: str) -> tuple[subprocess.Popen, str]:
    """Start a run, wait until one student finished (others running), send ``sig``; check that no
    process of the run survives. Returns the process and its stderr."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.Popen(_cmd(subs, out, *extra), cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_terminal_signals)
    try:
        first = proc.stderr.readline()  # "[k/4] s1 8/8 points, 4.2 s": one student done, others running
        assert first.startswith("["), first + proc.stderr.read()[-2000:]
        tree = _descendants(proc.pid)
        sessions = {st[1] for p in tree if (st := _stat(p)) is not None}
        assert len(tree) >= 2, "expected a worker or a sandbox to be running"
        if sig == signal.SIGINT:
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
        else:
            os.kill(proc.pid, sig)  # only the grader itself: its death must take everything with it
        err = first + proc.stderr.read()
        proc.wait(timeout=60)
        deadline = time.monotonic() + 20
        while _alive(tree) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(tree), {p: Path(f"/proc/{p}/cmdline").read_bytes()[:200] for p in _alive(tree)}
        in_sessions = {int(e) for e in os.listdir("/proc") if e.isdigit()
                       and (st := _stat(int(e))) is not None and st[1] in sessions and st[2] != "Z"}
        assert not in_sessions
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc, err


def _rows(out: Path) -> dict[str, float]:
    with open(out / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len({r["student"] for r in rows}) == len(rows)  # whole rows, no duplicates
    return {r["student"]: float(r["score"]) for r in rows}


def test_ctrl_c_then_kill_9_then_rerun_gives_exactly_the_right_rows(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    for student, (nb, _) in STUDENTS.items():
        (subs / f"{student}.ipynb").write_bytes(nb)
    right = {s: score for s, (_, score) in STUDENTS.items()}

    proc, err = _stop_mid_run(subs, out, signal.SIGINT)
    assert proc.returncode == 130 and "interrupted;" in err and "rerun the same command" in err, err
    assert "Traceback" not in err, err
    saved = _rows(out)
    assert saved and all(right[s] == v for s, v in saved.items())
    assert all((out / s / "result.json").exists() for s in saved)

    left = [s for s in STUDENTS if not (out / s / "result.json").exists()]
    if len(left) >= 2:  # kill -9 while one of them is graded (else the workers were faster than the test)
        proc, _ = _stop_mid_run(subs, out, signal.SIGKILL)
        assert proc.returncode == -signal.SIGKILL
        killed = _rows(out)
        assert set(saved) <= set(killed) and all(right[s] == v for s, v in killed.items())

    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(_cmd(subs, out), cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert _rows(out) == right
    from autograder.grading.gradebook import update_gradebook  # noqa: F401 (puts alembic on PATH)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:  # the gradebook agrees with grades.csv
        assert {s: gb.find_submission("fx1", s).score for s in right} == right


def test_kill_9_without_namespaces_leaves_no_process(tmp_path):
    """Without a PID namespace, does a SIGKILLed grader still take its workers and sandboxes along?
    (The sandbox runner re-arms its death signal after fork and uid change.)"""
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    for student, (nb, _) in STUDENTS.items():
        (subs / f"{student}.ipynb").write_bytes(nb)
    proc, _ = _stop_mid_run(subs, out, signal.SIGKILL, "--no-namespaces")
    assert proc.returncode == -signal.SIGKILL
