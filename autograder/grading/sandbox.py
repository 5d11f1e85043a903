"""Run untrusted notebook code in a separate, limited process.

Isolation, strongest available first (probed once per process, see
:func:`probe_isolation`):

* **namespaces** (root and ``unshare`` works): new network namespace (no
  network, loopback down), new PID namespace (every process the student starts
  dies with the sandbox), new mount namespace in which the instructor sources,
  the instructor package, the submissions and the output folder are covered
  by empty read-only tmpfs mounts;
* **user**: the child runs as a dedicated unprivileged uid (``base_uid +
  slot``, one per worker, no entry in /etc/passwd needed), so RLIMIT_NPROC is
  enforced and it cannot write root-owned files; its work folder is fresh and
  0700;
* always: RLIMIT_AS (memory), RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NPROC,
  RLIMIT_NOFILE, no core files, a clean environment, wall-time limits per
  cell/call enforced by the parent (SIGALRM in the child first, then SIGKILL).

What is missing is recorded in :attr:`Isolation.limitations` and copied into
each result, so nobody believes in protection that was not there.
"""
from __future__ import annotations

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

from . import protocol
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


@dataclass
class Isolation:
    """What this machine lets us enforce (see module docstring)."""

    namespaces: bool
    uid_drop: bool
    limitations: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {"network_isolated": self.namespaces, "pid_namespace": self.namespaces,
                "instructor_files_hidden": self.namespaces, "unprivileged_uid": self.uid_drop,
                "limitations": list(self.limitations)}


def _quiet(cmd: list[str], **kw) -> bool:
    try:
        return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=60, **kw).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def python_prefix() -> str:
    """The real folder of the running interpreter's installation (revealed in the sandbox)."""
    return os.path.realpath(sys.base_prefix)


def boot_command(cfg: dict, namespaces: bool) -> list[str]:
    """argv that starts ``sandbox_boot.py`` with ``cfg`` (inside fresh namespaces if asked)."""
    boot = [sys.executable, "-s", "-B", str(HERE / "sandbox_boot.py"), json.dumps(cfg)]
    if namespaces:
        boot = [shutil.which("unshare"), "--net", "--mount", "--pid", "--fork", "--kill-child",
                "--mount-proc", *boot]
    return boot


@functools.lru_cache(maxsize=None)
def probe_isolation(base_uid: int = 61000, allow_namespaces: bool = True) -> Isolation:
    """Find out what isolation works here (cached; a few quick subprocesses)."""
    limitations = []
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    unshare = shutil.which("unshare")
    namespaces = bool(root and unshare and allow_namespaces and _quiet(
        [unshare, "--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "true"]))
    if not namespaces:
        limitations.append("no network/PID/mount namespaces (needs root and a working `unshare`): "
                           "student code may use the network and read any file its user can read")
    uid_drop = False
    if root:
        cfg = {"reveal": [python_prefix()] if namespaces else [], "hide": [], "pass_fds": [],
               "limits": {}, "uid": base_uid, "cwd": "/", "env": {"PATH": os.environ.get("PATH", "")},
               "argv": [sys.executable, "-s", "-B", "-c", "import numpy, arkit.submission"]}
        uid_drop = _quiet(boot_command(cfg, namespaces), cwd="/")
        if not uid_drop:
            limitations.append(f"cannot run the interpreter as uid {base_uid}: student code runs as root "
                               "(RLIMIT_NPROC is not enforced for root)")
    else:
        limitations.append("grader is not root: student code runs as the grader's own user "
                           "(RLIMIT_NPROC then counts all of that user's processes)")
    return Isolation(namespaces, uid_drop, limitations)


class SandboxError(RuntimeError):
    """The sandbox could not be started or died; the message says why."""


class Sandbox:
    """One child process executing one notebook's cells and serving calls.

    Use as a context manager; :meth:`close` always kills everything it started.
    """

    def __init__(self, limits: Limits, *, slot: int = 0, env: dict | None = None,
                 hide: list[str] | None = None, base_uid: int = 61000,
                 allow_namespaces: bool = True, root_dir: str | None = None):
        self.limits = limits
        self.isolation = probe_isolation(base_uid, allow_namespaces)
        self.uid = base_uid + slot if self.isolation.uid_drop else None
        self.hide = [str(Path(p).resolve()) for p in (hide or [])]
        self.extra_env = dict(env or {})
        self.root_dir = root_dir
        self.proc: subprocess.Popen | None = None
        self.dir: Path | None = None
        self.reader: protocol.Reader | None = None
        self.dead_reason = ""

    # ---------------------------------------------------------------- lifecycle
    def _prepare_dir(self) -> Path:
        top = Path(tempfile.mkdtemp(prefix="argrade-", dir=self.root_dir))
        os.chmod(top, 0o711)
        runner = top / "runner"
        runner.mkdir(mode=0o755)
        for name in ("child.py", "protocol.py"):
            shutil.copyfile(HERE / name, runner / name)
            os.chmod(runner / name, 0o644)
        work = top / "work"
        work.mkdir(mode=0o700)
        if self.uid is not None:
            os.chown(work, self.uid, self.uid)
        return top

    def _env(self, work: Path) -> dict:
        keep = ("PATH", "LANG", "LC_ALL", "ARKIT_DATA_DIR", "ARKIT_PROFILE", "ARKIT_SEED", "CI")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        n = str(self.limits.threads)
        env.update({"HOME": str(work), "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(work / ".mpl"),
                    "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": n,
                    "MKL_NUM_THREADS": n, "TQDM_DISABLE": "1", "TMPDIR": str(work)})
        env.update(self.extra_env)
        return env

    def start(self) -> dict:
        """Start the child; returns its hello message. Raises :class:`SandboxError`."""
        self.dir = self._prepare_dir()
        work = self.dir / "work"
        p2c_r, p2c_w = os.pipe()
        c2p_r, c2p_w = os.pipe()
        lim = self.limits
        cfg = {
            "hide": self.hide if self.isolation.namespaces else [],
            "pass_fds": [p2c_r, c2p_w],
            "limits": {"as": None if lim.memory_mb is None else lim.memory_mb << 20, "cpu": int(lim.cpu_s),
                       "fsize": lim.fsize_mb << 20, "nproc": lim.nproc if self.uid is not None else None,
                       "nofile": 256, "core": 0},
            "uid": self.uid, "cwd": str(work), "env": self._env(work),
            "reveal": [python_prefix()] if self.isolation.namespaces else [],
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
        self.reader = protocol.Reader(c2p_r, lim.max_output_mb << 20)
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
    def request(self, header: dict, arrays=(), timeout: float = 60.0) -> tuple[dict, list]:
        """Send one request and wait for its answer.

        The child enforces ``timeout`` itself; the parent waits ``GRACE_S``
        longer and then kills the sandbox (``SandboxError``).
        """
        if not self.alive():
            raise SandboxError(self.dead_reason or "the sandboxed process is not running")
        try:
            protocol.send(self.fd_out, header, list(arrays))
            return self.reader.recv(timeout=timeout + GRACE_S)
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
        arrays: list = []
        tree = protocol.encode([list(args), dict(kwargs)], arrays)
        op = "grad" if grad else "call"
        reply, out = self.request({"op": op, "name": name, "args": tree, "timeout": timeout}, arrays, timeout)
        if not reply.get("ok"):
            raise RemoteError(str(reply.get("error", "unknown error"))[:2000])
        return protocol.decode(reply.get("value"), out)


class RemoteError(RuntimeError):
    """The student's object raised (or returned something unsendable) in the sandbox."""


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
