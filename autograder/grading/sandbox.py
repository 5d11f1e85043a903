"""Run untrusted notebook code in a separate, limited process.

Isolation, strongest available first (probed once per process, see
:func:`probe_isolation`):

* **namespaces** (root and ``unshare`` works): new network namespace (no
  network, loopback down), PID namespace (every process the student starts
  dies with the sandbox), IPC namespace (SysV shared memory, semaphores and
  message queues die with the sandbox), UTS namespace and mount namespace;
* **allow-list view** (namespaces + building the view works): the sandbox's file
  system is a fresh root holding only what ``sandbox_view.build_view`` lists
  (interpreter, packages, ``arkit``, the TRAINING data files, its own folder),
  with private tmpfs ``/tmp``, ``/var/tmp`` and ``/dev/shm``: held-out files,
  other checkouts, instructor sources, other submissions and results do not
  exist in there, and nothing the student writes outside its work folder
  survives the sandbox (the work folder is deleted by :meth:`Sandbox.close`);
* **user**: the child runs as an unprivileged uid leased for this sandbox alone
  (:func:`lease_uid`: a lock file per uid, so two sandboxes alive at the same
  time, of any run or worker slot, never share a uid; consecutive sandboxes get
  different uids), so RLIMIT_NPROC is enforced per sandbox and it cannot write
  root-owned files; its work folder is fresh and 0700;
* always: RLIMIT_AS (memory), RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NPROC,
  RLIMIT_NOFILE, no core files, a clean environment, wall-time limits per
  cell/call enforced by the parent (SIGALRM in the child first, then SIGKILL).

What is missing is recorded in :attr:`Isolation.limitations` and copied into
each result, so nobody believes in protection that was not there.
"""
from __future__ import annotations

import fcntl
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import protocol, sandbox_view
from .lifetime import kill_me_with_parent

HERE = Path(__file__).resolve().parent
GRACE_S = 5.0


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox (one notebook run).

    Attributes:
        memory_mb: address-space limit (RLIMIT_AS) in MiB; None = none (GPU runs).
        cpu_s: CPU seconds for the whole child (RLIMIT_CPU).
        cell_timeout_s: wall seconds per notebook cell (a generous outer bound).
        cell_cpu_s: CPU seconds per notebook cell per allowed thread (measured by the parent,
            see :mod:`~autograder.grading.cpu_watch`); None = not enforced.
        call_timeout_s: wall seconds per forwarded call.
        notebook_timeout_s: wall seconds for all cells of one notebook.
        nproc: processes+threads of the sandbox uid (RLIMIT_NPROC).
        fsize_mb: largest file the child may write (RLIMIT_FSIZE), MiB.
        max_output_mb: largest answer accepted from one call, MiB.
        threads: torch/OpenMP threads in the child.
        tmpfs_mb: size of each private tmpfs of the sandbox (/tmp, /var/tmp, /dev/shm), MiB.
    """

    memory_mb: int | None = 4096
    cpu_s: int = 1800
    cell_timeout_s: float = 600.0
    cell_cpu_s: float | None = None
    call_timeout_s: float = 60.0
    notebook_timeout_s: float = 1800.0
    nproc: int = 64
    fsize_mb: int = 64
    max_output_mb: int = 256
    threads: int = 1
    tmpfs_mb: int = 256


@dataclass
class Isolation:
    """What this machine lets us enforce (see module docstring)."""

    namespaces: bool
    uid_drop: bool
    limitations: list[str] = field(default_factory=list)
    view: bool = False

    def summary(self) -> dict:
        return {"network_isolated": self.namespaces, "pid_namespace": self.namespaces,
                "ipc_namespace": self.namespaces, "allow_list_view": self.view, "private_tmp": self.view,
                "instructor_files_hidden": self.view, "unprivileged_uid": self.uid_drop,
                "uid_per_sandbox": self.uid_drop, "limitations": list(self.limitations)}


def _quiet(cmd: list[str], **kw) -> bool:
    return _attempt(cmd, **kw)[0]


def _attempt(cmd: list[str], **kw) -> tuple[bool, str]:
    """(exit status 0?, last line of its output)."""
    try:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=120, **kw)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, str(exc)
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    return done.returncode == 0, (lines[-1] if lines else f"exit status {done.returncode}")[:300]


def python_prefix() -> str:
    """The real folder of the running interpreter's installation (revealed in the sandbox)."""
    return os.path.realpath(sys.base_prefix)


def boot_command(cfg: dict, namespaces: bool) -> list[str]:
    """argv that starts ``sandbox_boot.py`` with ``cfg`` (inside fresh namespaces if asked)."""
    boot = [sys.executable, "-s", "-B", str(HERE / "sandbox_boot.py"), json.dumps(cfg)]
    if namespaces:
        boot = [shutil.which("unshare"), *UNSHARE_FLAGS, *boot]
    return boot


UNSHARE_FLAGS = ("--net", "--mount", "--pid", "--ipc", "--uts", "--fork", "--kill-child", "--mount-proc")


@functools.lru_cache(maxsize=None)
def probe_isolation(base_uid: int = 61000, allow_namespaces: bool = True) -> Isolation:
    """Find out what isolation works here (cached; a few quick subprocesses)."""
    limitations = []
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    unshare = shutil.which("unshare")
    namespaces = bool(root and unshare and allow_namespaces and _quiet([unshare, *UNSHARE_FLAGS, "true"]))
    if not namespaces:
        limitations.append("no network/PID/IPC/mount namespaces (needs root and a working `unshare`): "
                           "student code may use the network, read any file its user can read (held-out "
                           "data, instructor files), and files it leaves in /tmp, /var/tmp, /dev/shm or "
                           "SysV IPC outlive it unless the uid drop below works")
    uid_drop = view = False
    if root:
        lease = lease_uid(base_uid)
        top = Path(tempfile.mkdtemp(prefix="argrade-probe-"))
        try:
            os.chmod(top, 0o711)
            (top / "root").mkdir()
            cfg = {"view": None, "root": str(top / "root"), "pass_fds": [], "limits": {}, "uid": lease.uid,
                   "cwd": "/", "env": {"PATH": os.environ.get("PATH", "")},
                   "argv": [sys.executable, "-s", "-B", "-c", "import numpy, arkit.submission"]}
            why = ""
            if namespaces:
                cfg["view"] = sandbox_view.build_view(str(top), uid=lease.uid).to_config()
                view, why = _attempt(boot_command(cfg, namespaces), cwd="/")
                if not view:
                    limitations.append(f"could not build the allow-list file view ({why}): student code can "
                                       "read any file its user can read and /tmp, /dev/shm are the host's")
                    cfg["view"] = None
            uid_drop = view or _quiet(boot_command(cfg, namespaces), cwd="/")
        finally:
            lease.release()
            shutil.rmtree(top, ignore_errors=True)
        if not uid_drop:
            limitations.append(f"cannot run the interpreter as an unprivileged uid ({base_uid}+): student code "
                               "runs as root (RLIMIT_NPROC is not enforced for root)")
    else:
        limitations.append("grader is not root: student code runs as the grader's own user "
                           "(RLIMIT_NPROC then counts all of that user's processes)")
    return Isolation(namespaces, uid_drop, limitations, view)


# ------------------------------------------------------------------ uids
UID_SPAN = 4096


class UidLease:
    """An unprivileged uid reserved for one sandbox while this object holds its lock file."""

    def __init__(self, uid: int, fd: int):
        self.uid, self._fd = uid, fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def uid_lock_dir() -> Path:
    """Where uid lock files live: /run/argrade-uids (root), shared by every grading run on the host."""
    for base in ("/run", tempfile.gettempdir()):
        path = Path(base) / "argrade-uids"
        try:
            path.mkdir(mode=0o700, exist_ok=True)
            if os.access(path, os.W_OK):
                return path
        except OSError:
            continue
    raise SandboxError("no writable folder for the sandbox uid locks (/run or the temp folder)")


def lease_uid(base_uid: int = 61000, span: int = UID_SPAN) -> UidLease:
    """Reserve a uid in [base_uid, base_uid + span) that no live sandbox, process or account uses.

    Each uid has a lock file (``uid_lock_dir()/<uid>.lock``) held with ``flock`` for the
    sandbox's life, so concurrent grading runs on one host never share a uid; a counter
    file makes consecutive leases take the next uid, so the students graded one after
    another in one worker slot do not share one either.
    """
    import pwd

    folder = uid_lock_dir()
    busy = _uids_with_processes()
    with open(folder / "next", "a+") as counter:
        fcntl.flock(counter, fcntl.LOCK_EX)
        counter.seek(0)
        text = counter.read().strip()
        start = int(text) % span if text.isdigit() else 0
        for i in range(span):
            uid = base_uid + (start + i) % span
            if uid in busy:
                continue
            try:
                pwd.getpwuid(uid)
                continue  # a real account
            except KeyError:
                pass
            fd = os.open(folder / f"{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            counter.seek(0)
            counter.truncate()
            counter.write(str((start + i + 1) % span))
            return UidLease(uid, fd)
    raise SandboxError(f"all {span} sandbox uids from {base_uid} are in use")


def _uids_with_processes() -> set[int]:
    uids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                uids.add(os.stat(f"/proc/{entry}").st_uid)
            except OSError:
                continue
    return uids


class SandboxError(RuntimeError):
    """The sandbox could not be started or died; the message says why."""


class Sandbox:
    """One child process executing one notebook's cells and serving calls.

    Use as a context manager; :meth:`close` always kills everything it started.
    ``hide``: secret host paths (instructor sources, submissions, results) that must stay
    invisible even where they lie inside a folder the view reveals (the view is an
    allow-list: anything not revealed is invisible anyway). ``slot`` is kept for callers;
    the uid is leased per sandbox (:func:`lease_uid`).
    """

    def __init__(self, limits: Limits, *, slot: int = 0, env: dict | None = None,
                 hide: list[str] | None = None, base_uid: int = 61000,
                 allow_namespaces: bool = True, root_dir: str | None = None):
        self.limits = limits
        self.isolation = probe_isolation(base_uid, allow_namespaces)
        self.base_uid = base_uid
        self.uid: int | None = None
        self.lease: UidLease | None = None
        self.hide = [str(Path(p).resolve()) for p in (hide or [])]
        self.extra_env = dict(env or {})
        self.root_dir = root_dir
        self.proc: subprocess.Popen | None = None
        self.dir: Path | None = None
        self.reader: protocol.Reader | None = None
        self.dead_reason = ""

    # ---------------------------------------------------------------- lifecycle
    def _prepare_dir(self) -> Path:
        sweep_stale_dirs(self.root_dir or tempfile.gettempdir())
        top = Path(tempfile.mkdtemp(prefix=DIR_PREFIX, dir=self.root_dir))
        os.chmod(top, 0o711)
        self._dir_lock = os.open(top / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._dir_lock, fcntl.LOCK_EX)  # held while this sandbox lives (see sweep_stale_dirs)
        runner = top / "runner"
        runner.mkdir(mode=0o755)
        for name in ("child.py", "protocol.py"):
            shutil.copyfile(HERE / name, runner / name)
            os.chmod(runner / name, 0o644)
        work = top / "work"
        work.mkdir(mode=0o700)
        if self.uid is not None:
            os.chown(work, self.uid, self.uid)
        (top / "root").mkdir(mode=0o755)  # mount point of the view's fresh root
        if not self.isolation.view:  # no private view: at least point the loader at training files only
            for src, rel in sandbox_view.training_files():
                (top / "data" / rel).parent.mkdir(parents=True, exist_ok=True)
                (top / "data" / rel).symlink_to(src)
        return top

    def _env(self, work: Path) -> dict:
        keep = ("PATH", "LANG", "LC_ALL", "ARKIT_PROFILE", "ARKIT_SEED", "CI")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        n = str(self.limits.threads)
        env.update({"HOME": str(work), "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(work / ".mpl"),
                    "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": n,
                    "MKL_NUM_THREADS": n, "TQDM_DISABLE": "1", "TMPDIR": str(work), "ARKIT_NO_DOWNLOAD": "1"})
        if self.isolation.view:
            env.update({"ARKIT_DATA_DIR": sandbox_view.DATA_DIR, "ARKIT_CACHE_DIR": sandbox_view.CACHE_DIR})
        else:
            env.update({"ARKIT_DATA_DIR": str(work.parent / "data"), "ARKIT_CACHE_DIR": str(work / ".cache")})
        env.update(self.extra_env)
        return env

    def start(self) -> dict:
        """Start the child; returns its hello message. Raises :class:`SandboxError`."""
        if self.isolation.uid_drop:
            self.lease = lease_uid(self.base_uid)
            self.uid = self.lease.uid
        self.dir = self._prepare_dir()
        work = self.dir / "work"
        p2c_r, p2c_w = os.pipe()
        c2p_r, c2p_w = os.pipe()
        lim = self.limits
        view = None
        if self.isolation.view:
            view = sandbox_view.build_view(str(self.dir), self.hide, self.uid, lim.tmpfs_mb).to_config()
        cfg = {
            "view": view, "root": str(self.dir / "root"),
            "pass_fds": [p2c_r, c2p_w],
            "limits": {"as": None if lim.memory_mb is None else lim.memory_mb << 20, "cpu": int(lim.cpu_s),
                       "fsize": lim.fsize_mb << 20, "nproc": lim.nproc if self.uid is not None else None,
                       "nofile": 256, "core": 0},
            "uid": self.uid, "cwd": str(work), "env": self._env(work),
            "argv": [sys.executable, "-s", "-B", str(self.dir / "runner" / "child.py"), str(p2c_r), str(c2p_w)],
        }
        boot = boot_command(cfg, self.isolation.namespaces)
        console = open(self.dir / "console.log", "wb")
        try:
            self.proc = subprocess.Popen(boot, stdin=subprocess.DEVNULL, stdout=console, stderr=console,
                                         pass_fds=(p2c_r, c2p_w), start_new_session=True, cwd="/",
                                         preexec_fn=kill_me_with_parent)  # dies with its worker
        finally:
            console.close()
            os.close(p2c_r)
            os.close(c2p_w)
        self.fd_out, self.fd_in = p2c_w, c2p_r
        self.reader = protocol.Reader(c2p_r, lim.max_output_mb << 20, max_header=protocol.ANSWER_HEADER_BYTES)
        try:
            hello, _ = self.reader.recv(timeout=120)
        except protocol.ProtocolError as exc:
            self.close()
            raise SandboxError(f"the sandboxed interpreter did not start ({exc}); console: {self.console()}")
        return hello

    def console(self, limit: int = 2000) -> str:
        """Last bytes the child wrote to its raw stdout/stderr (C-level output, crashes)."""
        try:
            data = (self.dir / "console.log").read_bytes()
        except (OSError, TypeError):
            return ""
        return data[-limit:].decode("utf-8", "replace")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def close(self) -> None:
        """Ask the child to leave, then kill every process it started. Idempotent."""
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    protocol.send(self.fd_out, {"op": "bye"})
                    self.reader.recv(timeout=2)
                except (OSError, protocol.ProtocolError):
                    pass
            self._kill()
            self.proc = None
            for fd in (self.fd_out, self.fd_in):
                try:
                    os.close(fd)
                except OSError:
                    pass
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        if getattr(self, "_dir_lock", None) is not None:
            os.close(self._dir_lock)
            self._dir_lock = None
        if self.uid is not None and not self.isolation.view:
            remove_leftovers(self.uid)
        if self.lease is not None:
            self.lease.release()
            self.lease = None

    def _kill(self) -> None:
        proc = self.proc
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.uid is not None and not self.isolation.namespaces:
            kill_uid(self.uid)

    def __enter__(self) -> "Sandbox":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------- requests
    def request(self, header: dict, arrays=(), timeout: float = 60.0, serve=None) -> tuple[dict, list]:
        """Send one request and wait for its answer.

        The child enforces ``timeout`` itself; the parent waits ``GRACE_S``
        longer and then kills the sandbox (``SandboxError``). ``serve(header, arrays) ->
        (reply, arrays)`` answers the child's ``callback`` frames in the meantime (calls to
        a served object, :mod:`.served`); without it a callback frame is the answer.
        """
        if not self.alive():
            raise SandboxError(self.dead_reason or "the sandboxed process is not running")
        deadline = time.monotonic() + timeout + GRACE_S
        try:
            protocol.send(self.fd_out, header, list(arrays), max_header=protocol.REQUEST_HEADER_BYTES)
            while True:
                answer, out = self.reader.recv(timeout=max(0.0, deadline - time.monotonic()))
                if serve is None or answer.get("callback") is not True:
                    return answer, out
                reply, reply_arrays = serve(answer, out)
                try:
                    protocol.send(self.fd_out, reply, reply_arrays, max_header=protocol.REQUEST_HEADER_BYTES)
                except ValueError as exc:  # too large or deep to send: nothing was written
                    protocol.send(self.fd_out, {"ok": False, "error": str(exc)[:2000]})
        except protocol.ChannelTimeout:
            self.dead_reason = f"no answer within {timeout + GRACE_S:.0f} s; the process was killed"
        except protocol.ChannelClosed:
            self.dead_reason = self._death_reason()
        except (OSError, protocol.ProtocolError) as exc:
            self.dead_reason = f"broken answer from the sandbox ({exc}); the process was killed"
        self._kill()
        raise SandboxError(self.dead_reason)

    def _death_reason(self) -> str:
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        if self.isolation.namespaces and code is not None and code >= 128:
            code = -(code - 128)
        if code is not None and code < 0:
            sig = signal.Signals(-code).name
            hint = {"SIGKILL": " (killed: memory or CPU-time limit?)", "SIGXCPU": " (CPU-time limit)",
                    "SIGSEGV": " (crash)"}.get(sig, "")
            return f"the notebook process died from {sig}{hint}"
        return f"the notebook process exited (exit code {code}) before answering"

    def run_cell(self, code: str, index: int, timeout: float) -> dict:
        reply, _ = self.request({"op": "run", "code": code, "index": index, "timeout": timeout}, timeout=timeout)
        return reply

    def exposed(self) -> dict[str, dict]:
        reply, _ = self.request({"op": "exposed"}, timeout=30)
        if not reply.get("ok") or not isinstance(reply.get("exposed"), dict):
            return {}
        return {str(k): (v if isinstance(v, dict) else {}) for k, v in reply["exposed"].items()}

    def call(self, name: str, args: tuple, kwargs: dict, timeout: float, grad: bool = False):
        """Call exposed ``name``; returns decoded outputs (fresh tensors). Raises on failure.

        With ``grad``, the child differentiates ``out.sum()`` with respect to the
        floating tensor arguments and returns ``(out, [grad or None, ...])``.
        """
        from .served import Server

        arrays: list = []
        served: list = []
        tree = protocol.encode([list(args), dict(kwargs)], arrays, served=served)
        op = "grad" if grad else "call"
        server = Server(served) if served else None
        reply, out = self.request({"op": op, "name": name, "args": tree, "timeout": timeout}, arrays, timeout,
                                  serve=server.answer if server else None)
        if not reply.get("ok"):
            raise RemoteError(str(reply.get("error", "unknown error"))[:2000])
        return protocol.decode(reply.get("value"), out)


class RemoteError(RuntimeError):
    """The student's object raised (or returned something unsendable) in the sandbox."""


DIR_PREFIX = "argrade-"
STALE_AFTER_S = 120.0


def sweep_stale_dirs(parent: str) -> None:
    """Delete sandbox folders under ``parent`` whose owner died without closing them (a grader
    killed with SIGKILL): a live sandbox holds the flock of its ``.lock`` file, a dead one does not."""
    try:
        names = [n for n in os.listdir(parent) if n.startswith(DIR_PREFIX)]
    except OSError:
        return
    for name in names:
        top = os.path.join(parent, name)
        try:
            if time.time() - os.lstat(top).st_mtime < STALE_AFTER_S:
                continue
            fd = os.open(os.path.join(top, ".lock"), os.O_RDWR | os.O_NOFOLLOW)
        except OSError:
            continue  # no lock file: not ours to judge
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # alive
        shutil.rmtree(top, ignore_errors=True)
        os.close(fd)


def remove_leftovers(uid: int, folders=("/tmp", "/var/tmp", "/dev/shm")) -> None:
    """Fallback without a private view: delete what ``uid`` left in the shared temp folders
    and its SysV IPC objects (with the view these die with the sandbox's tmpfs and IPC namespace)."""
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            path = os.path.join(folder, name)
            try:
                if os.lstat(path).st_uid != uid:
                    continue
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)
            except OSError:
                continue
    ipcrm = shutil.which("ipcrm")
    for kind, flag, uid_col in (("shm", "-m", 7), ("msg", "-q", 7), ("sem", "-s", 4)):
        try:
            rows = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if ipcrm and len(cols) > uid_col and cols[uid_col] == str(uid):
                _quiet([ipcrm, flag, cols[1]])


def kill_uid(uid: int) -> None:
    """SIGKILL every process owned by ``uid`` (fallback cleanup without a PID namespace)."""
    for _ in range(3):
        found = False
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    found = True
                    os.kill(int(entry), signal.SIGKILL)
            except (OSError, ProcessLookupError):
                continue
        if not found:
            return
        time.sleep(0.05)
