"""First program inside the sandbox (run as root, usually as PID 1 of fresh namespaces).

Usage: ``python sandbox_boot.py CONFIG_JSON``. Steps, in this order:

1. with a ``view`` (inside a private mount namespace): build a fresh root on a tmpfs
   at ``root`` from the view's entries (read-only binds of exactly what the question
   needs, private tmpfs /tmp, /var/tmp, /dev/shm, the PID namespace's /proc, a minimal
   /dev; see ``sandbox_view.py``), ``pivot_root`` into it and detach the host's root:
   nothing else of the machine is reachable afterwards;
2. fork; the parent stays as a reaper (PID 1 reaps orphans and exits with
   the runner's status, which tears the whole PID namespace down),
3. in the child: resource limits, drop to the sandbox uid/gid, chdir to the
   fresh work folder, exec the runner (``child.py``) with a clean environment.

Standard library only: it runs before anything else is trusted. Any failure while
building the root exits with status 70 and a line on stderr (never a half-built view).
"""
from __future__ import annotations

import ctypes
import json
import os
import platform
import resource
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC = 1, 2, 4, 8, 32, 4096, 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41, "ppc64le": 203, "s390x": 217}


def build_root(entries: list[dict], root: str) -> None:
    """Mount a tmpfs at ``root``, fill it with ``entries`` (in order), pivot into it."""
    libc = ctypes.CDLL(None, use_errno=True)
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE, None)
    _mount(libc, b"none", root, b"tmpfs", MS_NOSUID | MS_NODEV, b"size=16m,mode=0755")
    empty = os.path.join(root, ".empty")
    with open(empty, "w"):
        pass
    os.chmod(empty, 0o444)
    for e in entries:
        kind, target = e["kind"], root + e["target"]
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        if kind == "bind":
            src, rw = e["source"], e.get("writable", False)
            _mountpoint(target, os.path.isdir(src))
            _mount(libc, src.encode(), target, None, MS_BIND | (0 if rw else MS_REC), None)
            flags = MS_BIND | MS_REMOUNT | MS_NOSUID | (0 if rw else MS_RDONLY)
            if not e["target"].startswith("/dev/"):
                flags |= MS_NODEV
            _mount(libc, None, target, None, flags, None)
        elif kind == "tmpfs":
            _mountpoint(target, True)
            _mount(libc, b"none", target, b"tmpfs", MS_NOSUID | MS_NODEV,
                   f"size={int(e['size_mb'])}m,mode=1777".encode())
        elif kind == "dev":
            _mountpoint(target, True)
            _mount(libc, b"none", target, b"tmpfs", MS_NOSUID | MS_NOEXEC, b"size=64k,mode=0755")
        elif kind == "proc":
            _mountpoint(target, True)
            _mount(libc, b"/proc", target, None, MS_BIND | MS_REC, None)
        elif kind == "link":
            os.symlink(e["source"], target)
        elif kind == "file":
            with open(target, "w") as f:
                f.write(e["source"])
            os.chmod(target, 0o444)
        elif kind == "cover":
            if os.path.isdir(target):
                _mount(libc, b"none", target, b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                       b"size=4k,mode=0555")
            else:
                _mount(libc, empty.encode(), target, None, MS_BIND, None)
                _mount(libc, None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY, None)
        else:
            _fail(f"unknown view entry {kind!r}")
    _pivot(libc, root)


def _pivot(libc, root: str) -> None:
    os.chdir(root)
    os.mkdir(".oldroot", 0o700)
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None or libc.syscall(number, b".", b".oldroot") != 0:
        _fail(f"pivot_root failed: {os.strerror(ctypes.get_errno())}")
    os.chdir("/")
    if libc.umount2(b"/.oldroot", MNT_DETACH) != 0:
        _fail(f"detaching the host root failed: {os.strerror(ctypes.get_errno())}")
    os.rmdir("/.oldroot")
    _mount(libc, b"none", "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None)


def _mountpoint(path: str, is_dir: bool) -> None:
    if is_dir:
        os.makedirs(path, mode=0o755, exist_ok=True)
    elif not os.path.exists(path):
        with open(path, "w"):
            pass


def _mount(libc, source, target: str, fstype, flags: int, data) -> None:
    if libc.mount(source, target.encode(), fstype, flags, data) != 0:
        _fail(f"mount on {target} failed: {os.strerror(ctypes.get_errno())}")


def _fail(message: str) -> None:
    sys.stderr.write(f"sandbox_boot: {message}\n")
    sys.stderr.flush()
    os._exit(70)


def apply_limits(limits: dict) -> None:
    table = {"as": resource.RLIMIT_AS, "cpu": resource.RLIMIT_CPU, "fsize": resource.RLIMIT_FSIZE,
             "nproc": resource.RLIMIT_NPROC, "nofile": resource.RLIMIT_NOFILE, "core": resource.RLIMIT_CORE}
    for key, value in limits.items():
        if value is None:
            continue
        soft, hard = (value, value + 5) if key == "cpu" else (value, value)
        resource.setrlimit(table[key], (soft, hard))


def main() -> None:
    cfg = json.loads(sys.argv[1])
    os.umask(0o022)
    if cfg.get("view") is not None:
        try:
            build_root(cfg["view"], cfg["root"])
        except OSError as exc:
            _fail(f"building the sandbox view failed: {exc}")
    keep = set(cfg["pass_fds"])
    pid = os.fork()
    if pid:
        for fd in keep:
            os.close(fd)
        status = 0
        while True:  # reap everything; leave when the runner is gone
            try:
                done, st = os.wait()
            except ChildProcessError:
                break
            if done == pid:
                status = os.waitstatus_to_exitcode(st)
                break
        os._exit(status if 0 <= status < 256 else 128 + (-status))
    apply_limits(cfg["limits"])
    uid = cfg.get("uid")
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    _die_with_parent()  # fork and the uid change both cleared it: the runner dies with this launcher
    os.chdir(cfg["cwd"])
    for fd in keep:
        os.set_inheritable(fd, True)
    os.execve(cfg["argv"][0], cfg["argv"], cfg["env"])


def _die_with_parent() -> None:
    """``prctl(PR_SET_PDEATHSIG, SIGKILL)``; exits at once if the launcher is already gone.

    Without a PID namespace this is what stops a runner from outliving a grader killed with
    SIGKILL (the launcher itself gets the same signal from its worker)."""
    import signal

    parent = os.getppid()  # may be 1: the launcher is PID 1 of its own PID namespace
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the loaded libc: no library search after pivot_root
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the launcher died before prctl took effect
        os._exit(1)


if __name__ == "__main__":
    main()
