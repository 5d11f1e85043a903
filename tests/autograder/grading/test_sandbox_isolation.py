"""The sandbox sees only an allow-list of the machine, leaves nothing behind, and never shares a uid.

Each test starts real sandboxes (root + ``unshare`` needed; skipped elsewhere, where
``Isolation.limitations`` says what is missing). A student's code is simulated by cells
that probe the file system and report what they found on stdout.
"""
from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from autograder.grading import pipeline
from autograder.grading.sandbox import Limits, Sandbox, probe_isolation

REPO = Path(__file__).resolve().parents[3]
LIMITS = Limits(memory_mb=3072, cell_timeout_s=120)
IPC_KEY = 0x5EC00000 + os.getpid() % 0xFFFF  # this run's own key and file names (stale ones never count)
LEAVE_BEHIND = f'''
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
for d in ("/tmp", "/var/tmp", "/dev/shm"):
    with open(os.path.join(d, "argrade_leftover_{{tag}}"), "w") as f:
        f.write("covert channel")
shm = libc.shmget({IPC_KEY}, 4096, 0o1666)   # IPC_CREAT | 0666
msg = libc.msgget({IPC_KEY}, 0o1666)
print(repr({{"shm": shm, "msg": msg, "uid": os.getuid()}}))
'''
LOOK_FOR_LEFTOVERS = f'''
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
files = [p for d in ("/tmp", "/var/tmp", "/dev/shm") for p in os.listdir(d) if p == "argrade_leftover_{{tag}}"]
print(repr({{"files": files, "shm": libc.shmget({IPC_KEY}, 0, 0o666), "msg": libc.msgget({IPC_KEY}, 0o666),
            "uid": os.getuid()}}))
'''


@pytest.fixture(scope="module", autouse=True)
def _needs_isolation():
    iso = probe_isolation()
    if not (iso.namespaces and iso.uid_drop):
        pytest.skip(f"needs root + unshare: {iso.limitations}")


def run(sandbox: Sandbox, code: str) -> dict:
    """Run one cell; its last printed line is a Python literal: return it."""
    reply = sandbox.run_cell(code, 0, 120)
    assert reply["ok"], reply
    return ast.literal_eval(reply["output"].strip().splitlines()[-1])


def host_leftovers(tag: str) -> list[str]:
    found = [os.path.join(d, f"argrade_leftover_{tag}") for d in ("/tmp", "/var/tmp", "/dev/shm")]
    found = [p for p in found if os.path.exists(p)]
    for kind in ("shm", "msg"):
        rows = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        found += [f"SysV {kind} {row.split()[0]}" for row in rows if int(row.split()[0]) == IPC_KEY]
    return found


@pytest.mark.parametrize("namespaces", [True, False], ids=["namespaces", "uid_drop_only"])
def test_next_student_in_the_slot_finds_nothing_and_host_keeps_nothing(namespaces):
    """Files in /tmp, /var/tmp, /dev/shm and SysV shm/msg queues of one student used to be read by
    the next student of the same worker slot (same uid): a covert channel. Both are gone now,
    from the sandbox and from the host, and the two students have different uids.
    Without namespaces (fallback) the uid-drop cleanup must still remove them."""
    if not namespaces and not probe_isolation(allow_namespaces=False).uid_drop:
        pytest.skip("no uid drop without namespaces here")
    tag = f"{'ns' if namespaces else 'fallback'}_{os.getpid()}"
    with Sandbox(LIMITS, slot=0, allow_namespaces=namespaces) as first:
        made = run(first, LEAVE_BEHIND.replace("{tag}", tag))
        assert made["shm"] >= 0 and made["msg"] >= 0, made
    assert host_leftovers(tag) == [], "a student's files or IPC objects outlived its sandbox on the host"
    with Sandbox(LIMITS, slot=0, allow_namespaces=namespaces) as second:
        seen = run(second, LOOK_FOR_LEFTOVERS.replace("{tag}", tag))
    assert seen["files"] == [] and seen["shm"] == -1 and seen["msg"] == -1, seen
    assert seen["uid"] != made["uid"], "two students in one slot ran as the same uid"


def test_concurrent_sandboxes_of_two_runs_never_share_a_uid():
    """Two grading runs on one machine both used uid 61000 for their slot 0."""
    with Sandbox(LIMITS, slot=0) as run_a, Sandbox(LIMITS, slot=0) as run_b:
        uids = {run(run_a, "import os; print(os.getuid())"), run(run_b, "import os; print(os.getuid())")}
    assert len(uids) == 2 and 0 not in uids, uids


PROBE = '''
import os, sys
def readable(path):
    try:
        with open(path, "rb") as f:
            f.read(1)
        return True
    except OSError:
        return False
def listed(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return None
secret_names = ("t10k", "binarized_mnist_test", "heldout.py", "SECRET_MARKER", "01_basics.py")
hits = []
for top, dirs, files in os.walk("/"):  # system and package folders skipped: read-only copies, and slow
    if top in ("/proc", "/sys", "/dev", "/usr") or os.path.basename(top) in ("site-packages", "python3.11"):
        dirs[:] = []
        continue
    hits += [os.path.join(top, f) for f in files + dirs if any(s in f for s in secret_names)]
import torch, arkit
from arkit.data import load_dataset
from arkit.data.mnist import read_mnist
train = load_dataset("mnist_binary", "train")
try:
    read_mnist("t10k")
    t10k = "loaded"
except Exception as exc:
    t10k = type(exc).__name__
try:
    import autograder.heldout
    instructor = "imported"
except ImportError as exc:
    instructor = type(exc).__name__
print(repr({"hits": hits[:20], "readable": {p: readable(p) for p in PATHS}, "listed": {p: listed(p) for p in DIRS},
            "train": list(train.x.shape), "t10k": t10k, "data_dir": os.environ.get("ARKIT_DATA_DIR"),
            "torch": torch.__version__, "instructor": instructor}))
'''


def test_sandbox_sees_only_the_allow_list(tmp_path, monkeypatch):
    """Held-out files (MNIST t10k, binarized test), a second checkout elsewhere on the host, the
    instructor sources and the submissions must not exist for the student; torch, arkit and the
    training data must work. Before: ARKIT_DATA_DIR showed the whole data folder, and only known
    paths of this checkout were hidden (a deny-list)."""
    data = Path(os.environ.get("ARKIT_DATA_DIR", "/work/shared/data").split(os.pathsep)[0])
    heldout_files = sorted(str(p) for p in data.rglob("*") if "t10k" in p.name or "_test" in p.name)
    if not heldout_files:
        pytest.skip("no MNIST files in ARKIT_DATA_DIR")
    other = tmp_path / "elsewhere" / "course-checkout"
    (other / "autograder").mkdir(parents=True)
    (other / "autograder" / "heldout.py").write_text("_SECRET_SEEDS = {'SECRET_MARKER': 1}\n")
    subs = tmp_path / "submissions"
    (subs / "other_student").mkdir(parents=True)
    (subs / "other_student" / "01_basics.py").write_text("print('my answers')\n")
    paths = [*heldout_files, str(other / "autograder" / "heldout.py"), str(REPO / "autograder" / "heldout.py"),
             str(REPO / "solutions" / "hw1" / "02_made.py"), str(subs / "other_student" / "01_basics.py")]
    dirs = [str(data), str(REPO), str(REPO / "autograder"), str(tmp_path), "/root", "/work"]
    code = PROBE.replace("PATHS", repr(paths)).replace("DIRS", repr(dirs))
    with Sandbox(LIMITS, hide=[str(subs)]) as sandbox:
        seen = run(sandbox, code)
    assert seen["hits"] == [], f"secret files exist in the sandbox: {seen['hits']}"
    assert not any(seen["readable"].values()), seen["readable"]
    assert seen["listed"][str(REPO)] == sorted([".venv", "arkit"]), seen["listed"]
    assert seen["listed"][str(REPO / "autograder")] is None and seen["listed"][str(tmp_path)] is None
    assert seen["listed"][str(data)] is None, "the host's data folder is visible"
    assert seen["train"] == [50000, 1, 28, 28] and seen["t10k"] == "DataNotFoundError", seen
    assert seen["data_dir"] != str(data)
    assert seen["instructor"] == "ModuleNotFoundError", "the instructor package is importable in the sandbox"


def test_submissions_next_to_the_checkout_do_not_hide_the_interpreter(tmp_path):
    """A zip stored in the folder that also holds the checkout hid that whole folder (venv
    included) from the sandbox: every student scored 0 ('the sandboxed interpreter did not
    start'). Whatever folder the input lives in (next to the checkout, inside it), the
    interpreter, packages and arkit stay visible."""
    hide = []
    for folder in (REPO.parent, REPO):
        (tmp_path / "out").mkdir(exist_ok=True)
        cfg = pipeline.Config("fx1", folder, tmp_path / "out", REPO / "solutions" / "hw1", "ci")
        hide += pipeline.hidden_paths(cfg)
    assert str(REPO.parent) in hide and str(REPO) in hide
    with Sandbox(LIMITS, hide=hide) as sandbox:
        seen = run(sandbox, "import torch, arkit.submission, numpy; print(repr(arkit.__file__))")
    assert seen.startswith(str(REPO / "arkit"))


def test_fallback_cleanup_removes_what_the_uid_left(tmp_path):
    """Without a private view (no namespaces), what the sandbox uid left in the shared temp
    folders is deleted after it; other users' files stay."""
    from autograder.grading.sandbox import remove_leftovers

    uid = 64999
    mine, theirs = Path("/tmp/argrade_leftover_unit_mine"), Path("/tmp/argrade_leftover_unit_theirs")
    for path in (mine, theirs):
        path.write_text("x")
    os.chown(mine, uid, uid)
    try:
        remove_leftovers(uid)
        assert not mine.exists() and theirs.exists()
    finally:
        mine.unlink(missing_ok=True)
        theirs.unlink(missing_ok=True)


def test_folders_of_killed_graders_are_swept_but_live_ones_kept(tmp_path):
    """A grader killed with SIGKILL cannot delete its sandbox folder (the student's work folder):
    the next sandbox started on the host deletes it; a live sandbox's folder (lock held) stays."""
    import fcntl

    from autograder.grading.sandbox import DIR_PREFIX, sweep_stale_dirs

    dead, alive = tmp_path / f"{DIR_PREFIX}dead", tmp_path / f"{DIR_PREFIX}alive"
    for top in (dead, alive):
        (top / "work").mkdir(parents=True)
        (top / ".lock").touch()
        os.utime(top, (1, 1))
    held = os.open(alive / ".lock", os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        sweep_stale_dirs(str(tmp_path))
        assert not dead.exists() and alive.exists()
    finally:
        os.close(held)


def test_secret_inside_a_revealed_folder_is_covered(tmp_path):
    """The allow-list reveals whole folders (the venv, arkit): a secret placed inside one (here a
    results folder inside the arkit package) is covered by an empty mount."""
    import sys

    from autograder.grading import sandbox_view
    from autograder.grading.sandbox_view import inside

    view = sandbox_view.build_view(str(tmp_path), [str(REPO / "arkit" / "src" / "arkit" / "data"),
                                                   str(REPO.parent), str(tmp_path / "nowhere")])
    covers = [e.target for e in view.entries if e.kind == "cover"]
    assert str(REPO / "arkit" / "src" / "arkit" / "data") in covers
    assert not any(c in (str(REPO.parent), str(tmp_path / "nowhere")) for c in covers), covers
    assert not any(inside(bind, c) for c in covers for bind in (sys.executable, str(REPO / "arkit" / "src")))
    binds = {e.target for e in view.entries if e.kind == "bind"}
    assert not any(b.endswith(("t10k-images-idx3-ubyte.gz", "binarized_mnist_test.amat.gz")) for b in binds)
