"""What a sandbox sees of the machine: an allow-list, computed in the trusted parent.

The sandbox's file system is a fresh, empty root (tmpfs) that ``sandbox_boot.py``
fills with exactly the entries of a :class:`View`, in order, and then switches
into (``pivot_root``). Nothing else of the host exists in there, whatever folders
the host holds (other checkouts, held-out files, results, other submissions).
What is revealed, read-only unless said otherwise:

* system folders the interpreter and its libraries need (``/usr/{bin,lib,...,share}``,
  the top-level ``/bin``/``/lib*`` links, a few files of ``/etc``), generated
  ``/etc/passwd`` and ``/etc/group`` naming only root and the sandbox user;
* the Python installation (``bin`` and ``lib`` of ``sys.base_prefix``), the venv
  (its ``bin``, ``lib`` and ``pyvenv.cfg``) and the student package ``arkit``
  (its package folder, wherever it is installed);
* the TRAINING data files only, each bound alone into a fresh data folder
  (:data:`DATA_DIR`, the sandbox's ``ARKIT_DATA_DIR``), and the parent's parsed
  ``.npy`` caches of those same files (:data:`CACHE_DIR`, read-only);
* the sandbox's own folder (runner + work folder; the work folder is written by the
  sandbox user only);
* fresh private ``/tmp``, ``/var/tmp`` and ``/dev/shm`` (tmpfs, gone with the sandbox),
  ``/proc`` of the sandbox's own PID namespace and a minimal ``/dev``.

Secret paths (instructor sources, submissions, results, the instructor package and
every installed copy of it, its dist-info and editable-install hooks) that lie inside
a revealed folder are covered by an empty mount; a secret
folder that *contains* something revealed (e.g. the submission zip lies next to the
checkout) is never covered, so the interpreter and packages are always visible.
"""
from __future__ import annotations

import glob
import importlib.util
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath

DATA_DIR = "/arkit-data"
CACHE_DIR = "/arkit-cache"
INSTRUCTOR_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../autograder
SYSTEM_DIRS = ("/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32", "/usr/libexec",
               "/usr/share", "/usr/local/lib", "/usr/local/lib64")
TOP_LEVEL = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/timezone",
             "/etc/nsswitch.conf", "/etc/hosts", "/etc/host.conf", "/etc/alternatives", "/etc/fonts",
             "/etc/mime.types", "/etc/os-release", "/etc/ssl")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
PRIVATE_TMPFS = ("/tmp", "/var/tmp", "/dev/shm")


@dataclass(frozen=True)
class Entry:
    """One step of building the sandbox root (applied in order by ``sandbox_boot.build_root``).

    kind:
        ``bind``: host ``source`` (file or folder, a real path) appears at ``target``;
        read-only unless ``writable``.
        ``tmpfs``: a fresh empty tmpfs of ``size_mb`` MiB, sticky and world-writable
        (private /tmp), at ``target``.
        ``dev``: a tmpfs for /dev (not writable by the sandbox user).
        ``proc``: the sandbox PID namespace's /proc at ``target``.
        ``link``: a symbolic link at ``target`` whose text is ``source``.
        ``file``: a read-only file at ``target`` with text ``source``.
        ``cover``: hide ``target`` (inside an earlier bind) behind an empty read-only mount.
    """

    kind: str
    target: str
    source: str = ""
    writable: bool = False
    size_mb: int = 0


@dataclass(frozen=True)
class View:
    """The whole file view of one sandbox: ``entries`` in application order.

    ``data_dir`` is what the sandbox's ``ARKIT_DATA_DIR`` must be, ``cache_dir`` its
    ``ARKIT_CACHE_DIR``; ``revealed`` lists the host paths that are visible (for reports).
    """

    entries: tuple[Entry, ...]
    data_dir: str = DATA_DIR
    cache_dir: str = CACHE_DIR
    revealed: tuple[str, ...] = field(default_factory=tuple)

    def to_config(self) -> list[dict]:
        """JSON-able form for ``sandbox_boot`` (standard library only on that side)."""
        return [asdict(e) for e in self.entries]


# ------------------------------------------------------------------ path helpers
def symlink_chain(path: str) -> tuple[list[tuple[str, str]], str]:
    """Follow ``path`` component by component: (every symlink met as (link path, link text), real path)."""
    links: list[tuple[str, str]] = []
    todo = list(PurePosixPath(os.path.abspath(path)).parts[1:])
    cur = "/"
    while todo:
        name = todo.pop(0)
        nxt = os.path.join(cur, name)
        if name == "..":
            cur = os.path.dirname(cur)
            continue
        if os.path.islink(nxt) and len(links) < 40:
            text = os.readlink(nxt)
            links.append((nxt, text))
            todo = list(PurePosixPath(os.path.join(cur, text)).parts[1:]) + todo
            cur = "/"
            continue
        cur = nxt
    return links, os.path.normpath(cur)


def inside(path: str, folder: str) -> bool:
    """True if ``path`` is ``folder`` or lies below it (plain path comparison)."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


# ------------------------------------------------------------------ what to reveal
def python_paths() -> list[str]:
    """Host paths the interpreter needs: bin/lib of the installation and of the venv, pyvenv.cfg, arkit."""
    out = []
    for prefix in dict.fromkeys([sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix]):
        out += [os.path.join(prefix, sub) for sub in ("bin", "lib", "lib64", "pyvenv.cfg")]
    out.append(sys.executable)
    spec = importlib.util.find_spec("arkit")
    if spec is not None and spec.submodule_search_locations:
        out += list(spec.submodule_search_locations)
    return [p for p in out if os.path.lexists(p)]


def training_files() -> list[tuple[str, str]]:
    """(host path, path relative to the data folder) of every real TRAINING data file found.

    Real data files are MNIST's (``arkit.data.mnist.FILES``). Held out: the ``t10k`` pair
    (the grader's MNIST test split) and binarized MNIST's ``test`` file (key ``heldout``);
    everything else (train images/labels, binarized train/valid) is training data.
    Searched exactly as ``arkit`` searches (``ARKIT_DATA_DIR``, then its cache folder).
    """
    from arkit.data import mnist, paths

    found = []
    for key, spec in mnist.FILES.items():
        if not is_training_key(key):
            continue
        names = [spec.name + ".gz", spec.name] if spec.sha256_gz else [spec.name]
        hit = next((p for p in paths.candidate_paths(names, None, spec.folder) if p.is_file()), None)
        if hit is not None:
            found.append((os.path.realpath(hit), f"{spec.folder}/{hit.name}"))
    return found


def is_training_key(key: tuple[str, str]) -> bool:
    """Is ``arkit.data.mnist.FILES[key]`` a training file (not the grader's held-out split)?"""
    return key[0] != "t10k" and key[1] != "heldout"


def training_caches() -> list[tuple[str, str]]:
    """(host path, name) of the parent's parsed ``.npy`` caches of the training files (speed only)."""
    from arkit.data import mnist, parsed_cache

    out = []
    for key, spec in mnist.FILES.items():
        path = parsed_cache.cached_path(spec)
        if is_training_key(key) and path.is_file():
            out.append((os.path.realpath(path), f"parsed/{path.name}"))
    return out


def installed_instructor_copies(folders: list[str]) -> list[str]:
    """Every installed copy of the instructor package (``autograder``, its dist-info and editable
    hooks) in the Python package folders under ``folders`` -- not only the one this process runs."""
    found = []
    for folder in folders:
        for site in glob.glob(os.path.join(glob.escape(folder), "python3*", "*-packages")):
            for pattern in ("autograder", "ar_autograder-*", "__editable__*ar_autograder*"):
                found += glob.glob(os.path.join(glob.escape(site), pattern))
    return found


def _passwd(uid: int | None) -> tuple[str, str]:
    users = ["root:x:0:0:root:/:/usr/sbin/nologin"]
    groups = ["root:x:0:"]
    if uid is not None:
        users.append(f"student:x:{uid}:{uid}:student:/nonexistent:/usr/sbin/nologin")
        groups.append(f"student:x:{uid}:")
    return "\n".join(users) + "\n", "\n".join(groups) + "\n"


# ------------------------------------------------------------------ the view
def build_view(sandbox_dir: str, secrets: list[str] = (), uid: int | None = None, tmpfs_mb: int = 256) -> View:
    """The allow-list view of one sandbox.

    Args:
        sandbox_dir: the sandbox's own host folder (runner + work), revealed at the same path.
        secrets: host paths that must stay invisible even if they lie inside a revealed folder
            (the instructor package is always added).
        uid: the sandbox user (named in the generated /etc/passwd).
        tmpfs_mb: size of each private tmpfs (/tmp, /var/tmp, /dev/shm), MiB.
    """
    binds: dict[str, str] = {}  # real host path -> target (same path for everything but data)
    links: dict[str, str] = {}

    def reveal(path: str) -> None:
        if not os.path.lexists(path):
            return
        chain, real = symlink_chain(path)
        links.update(chain)
        if os.path.exists(real):
            binds[real] = real

    for p in (*TOP_LEVEL, *SYSTEM_DIRS, *ETC_FILES, *python_paths()):
        reveal(p)
    # keep only outermost binds; drop links that fall inside a bind (they exist there already)
    outer = sorted(binds, key=lambda p: (len(PurePosixPath(p).parts), p))
    kept: list[str] = []
    for p in outer:
        if not any(inside(p, k) for k in kept):
            kept.append(p)
    links = {k: v for k, v in links.items() if not any(inside(k, b) for b in kept) and k not in kept}

    entries: list[Entry] = [Entry("bind", p, p) for p in kept]
    entries += [Entry("link", path, text) for path, text in links.items()]
    passwd, group = _passwd(uid)
    entries += [Entry("file", "/etc/passwd", passwd), Entry("file", "/etc/group", group)]
    entries += [Entry("bind", f"{DATA_DIR}/{rel}", src) for src, rel in training_files()]
    entries += [Entry("bind", f"{CACHE_DIR}/{rel}", src) for src, rel in training_caches()]
    entries += [Entry("dev", "/dev"), *(Entry("bind", d, d) for d in _devices()),
                Entry("link", "/dev/fd", "/proc/self/fd"), Entry("link", "/dev/stdin", "/proc/self/fd/0"),
                Entry("link", "/dev/stdout", "/proc/self/fd/1"), Entry("link", "/dev/stderr", "/proc/self/fd/2")]
    entries += [Entry("tmpfs", t, size_mb=tmpfs_mb) for t in PRIVATE_TMPFS]
    entries.append(Entry("proc", "/proc"))
    real_dir = os.path.realpath(sandbox_dir)
    entries.append(Entry("bind", real_dir, real_dir, writable=True))
    secrets = [*secrets, INSTRUCTOR_PACKAGE, *installed_instructor_copies(kept)]
    for secret in sorted({os.path.realpath(s) for s in secrets if os.path.lexists(s)}):
        if any(inside(secret, b) for b in kept) and not any(inside(b, secret) for b in kept):
            entries.append(Entry("cover", secret))
    entries.sort(key=lambda e: PurePosixPath(e.target).parts)  # stable: a parent before what lies in it
    revealed = tuple(kept) + tuple(src for src, _ in training_files()) + (real_dir,)
    return View(tuple(entries), revealed=revealed)


def _devices() -> list[str]:
    extra = sorted(os.path.join("/dev", n) for n in os.listdir("/dev") if n.startswith("nvidia"))
    return [d for d in (*DEVICES, *extra) if os.path.exists(d)]
