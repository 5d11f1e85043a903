"""First program inside the sandbox (run as root, usually as PID 1 of fresh namespaces).

Usage: ``python sandbox_boot.py CONFIG_JSON``. Steps, in this order:

1. make the Python installation readable if it sits under a closed folder
   (``reveal``), then hide folders the student must not read (empty read-only tmpfs over each;
   only when ``hide`` is non-empty, i.e. inside a private mount namespace),
2. fork; the parent stays as a reaper (PID 1 reaps orphans and exits with
   the runner's status, which tears the whole PID namespace down),
3. in the child: resource limits, drop to the sandbox uid/gid, chdir to the
   fresh work folder, exec the runner (``child.py``) with a clean environment.

Standard library only: it runs before anything else is trusted.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC = 1, 2, 4, 8, 32, 4096, 16384


def hide(paths: list[str]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for path in paths:
        if not os.path.isdir(path):
            continue
        _mount(libc, b"none", path, b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, b"size=4k,mode=0555")


def reveal(paths: list[str]) -> None:
    """Make each path readable although an ancestor is closed to others (e.g. a
    Python installed under /root): cover the closed ancestor with an empty
    tmpfs and bind the path back read-only. The rest of that ancestor stays hidden."""
    libc = ctypes.CDLL(None, use_errno=True)
    for path in paths:
        blocked = next((a for a in reversed(_ancestors(path)) if not os.stat(a).st_mode & 0o001), None)
        if blocked is None:
            continue
        fd = os.open(path, os.O_PATH)
        _mount(libc, b"none", blocked, b"tmpfs", MS_NOSUID | MS_NODEV, b"size=64k,mode=0755")
        os.makedirs(path, exist_ok=True)
        _mount(libc, f"/proc/self/fd/{fd}".encode(), path, None, MS_BIND | MS_REC, None)
        _mount(libc, b"none", path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, None)
        os.close(fd)


def _ancestors(path: str) -> list[str]:
    """Proper ancestors of ``path`` from the leaf up, without '/'."""
    out, cur = [], os.path.dirname(path)
    while cur not in ("/", ""):
        out.append(cur)
        cur = os.path.dirname(cur)
    return out


def _mount(libc, source, target: str, fstype, flags: int, data) -> None:
    if libc.mount(source, target.encode(), fstype, flags, data) != 0:
        err = ctypes.get_errno()
        sys.stderr.write(f"sandbox_boot: mount on {target} failed: {os.strerror(err)}\n")
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
    reveal(cfg.get("reveal", []))
    hide(cfg.get("hide", []))
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
    os.chdir(cfg["cwd"])
    for fd in keep:
        os.set_inheritable(fd, True)
    os.execve(cfg["argv"][0], cfg["argv"], cfg["env"])


if __name__ == "__main__":
    main()
