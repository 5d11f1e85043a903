"""Kernel-side runner: executes notebook cells and serves forward calls.

Runs inside the sandbox as an unprivileged user (see ``sandbox.py``). It is
copied next to ``protocol.py`` into a root-owned folder and started as a
script, so it imports nothing from the instructor package. Everything it says
is untrusted by the parent: student code shares this process and may rewrite
any of it; the parent only ever receives numbers (``protocol``) and decides
the score itself.

Requests (header ``op``): ``run`` a cell, list ``exposed`` objects, ``call``
one with arguments, ``bye``. During a ``call`` this side may send ``callback``
frames (a lent object's method, :class:`RemoteObject`) and reads their answers.
"""
from __future__ import annotations

import os
import signal
import sys
import time
import traceback

import protocol

OUTPUT_CAP = 16 << 10  # characters of cell output kept per cell


class CellTimeout(BaseException):
    """Raised in the cell when its time is up (BaseException: survives ``except Exception``)."""


class CappedWriter:
    """A text stream that keeps the first ``cap`` characters and counts the rest."""

    def __init__(self, cap: int = OUTPUT_CAP):
        self.cap, self.parts, self.kept, self.dropped = cap, [], 0, 0

    def write(self, text) -> int:
        text = str(text)
        room = self.cap - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        out = "".join(self.parts)
        if self.dropped:
            out += f"\n[... {self.dropped} more characters of output not kept]"
        return out


def _on_alarm(signum, frame):
    raise CellTimeout()


def _strip_magics(code: str) -> str:
    """Comment out IPython magics and shell escapes (no IPython kernel here)."""
    lines = []
    for line in code.splitlines():
        s = line.lstrip()
        lines.append(("# " + line) if s[:1] in ("%", "!") else line)
    return "\n".join(lines)


def run_cell(namespace: dict, code: str, index: int, timeout: float) -> dict:
    out = CappedWriter()
    old = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out
    start = time.perf_counter()
    reply = {"ok": True}
    signal.setitimer(signal.ITIMER_REAL, max(timeout, 0.01))
    try:
        exec(compile(_strip_magics(code), f"<cell {index}>", "exec"), namespace)
    except CellTimeout:
        reply = {"ok": False, "error": f"CellTimeout: the cell ran longer than {timeout:.0f} s"}
    except BaseException as exc:  # noqa: BLE001 - report anything, including SystemExit
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:2000], "traceback": "".join(tb)[-4000:]}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        sys.stdout, sys.stderr = old
    reply["output"] = out.text()
    reply["elapsed_s"] = round(time.perf_counter() - start, 3)
    return reply


def _json_meta(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if type(k) is str and type(v) in (str, int, float, bool)}


def list_exposed() -> dict:
    try:
        from arkit.submission import exposed
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": f"cannot import arkit.submission ({exc})"}
    items = exposed()
    return {"ok": True, "exposed": {name: _json_meta(getattr(e, "meta", {}) or {}) for name, e in items.items()}}


def _value_and_grad(fn, args: list, kwargs: dict):
    """``(out, grads)``: floating tensor arguments become leaves; ``out.sum()`` is
    differentiated; ``grads[i]`` is the gradient of argument i (None if it is not a
    floating tensor or nothing reached it). Used for finite-gradient checks."""
    import torch

    args = [a.detach().clone().requires_grad_(True)
            if isinstance(a, torch.Tensor) and a.is_floating_point() else a for a in args]
    out = fn(*args, **kwargs)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"expected a tensor, got {type(out).__name__}")
    if out.requires_grad:
        out.sum().backward()
    grads = [a.grad if isinstance(a, torch.Tensor) and a.requires_grad else None for a in args]
    return out, grads


_CHANNEL: dict = {"call": 0}   # "reader", "fd_out": set by serve(); "call": number of the call in progress


class RemoteObject(protocol.LentModel):
    """Stand-in for an object the grader lent to this call (``autograder.grading.served``): each
    call of one of its methods is a ``callback`` frame answered by the grader, where the object
    runs; what it keeps comes back as a ``protocol.Handle``."""

    def __init__(self, index: int, methods: list, attrs):
        self._index, self._methods, self._call_no = index, tuple(methods), _CHANNEL["call"]
        self._attrs = attrs if isinstance(attrs, dict) else {}

    def _invoke(self, method: str, args, kwargs):
        if self._call_no != _CHANNEL["call"]:   # kept past its call: nobody would answer
            raise RuntimeError("the grader's model was lent for one call only; it is gone")
        arrays: list = []
        tree = protocol.encode([list(args), dict(kwargs)], arrays)
        # The call's time limit (SIGALRM) waits until the grader has answered: a frame cut in
        # half would leave the channel unusable. The alarm then fires in the student's code.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        try:
            protocol.send(_CHANNEL["fd_out"], {"callback": True, "target": self._index, "method": method,
                                               "args": tree}, arrays)
            reply, out = _CHANNEL["reader"].recv()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        if not reply.get("ok"):
            raise RuntimeError(f"the grader's model refused {method}(...): {reply.get('error')}")
        return protocol.decode(reply.get("value"), out)


def call(name: str, args_tree, timeout: float, arrays, grad: bool = False) -> tuple[dict, list]:
    from arkit.submission import exposed

    entry = exposed().get(name)
    if entry is None:
        return {"ok": False, "error": f"nothing is exposed as {name!r}"}, []
    args, kwargs = protocol.decode(args_tree, arrays, remote=RemoteObject)
    signal.setitimer(signal.ITIMER_REAL, max(timeout, 0.01))
    sink = CappedWriter(0)
    old = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = sink
    try:
        # Autograd stays on: some exposed probes differentiate inside the
        # student's process (e.g. a layer's weight gradient); tensors are
        # detached when they are encoded.
        value = _value_and_grad(entry.obj, list(args), kwargs) if grad else entry.obj(*args, **kwargs)
        out_arrays: list = []
        tree = protocol.encode(value, out_arrays)
    except CellTimeout:
        return {"ok": False, "error": f"CallTimeout: {name} took longer than {timeout:.0f} s"}, []
    except BaseException as exc:  # noqa: BLE001
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:2000]}, []
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        sys.stdout, sys.stderr = old
        _CHANNEL["call"] += 1                    # what was lent to this call is gone
    return {"ok": True, "value": tree}, out_arrays


def serve(fd_in: int, fd_out: int) -> None:
    reader = protocol.Reader(fd_in)
    _CHANNEL.update(reader=reader, fd_out=fd_out)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    protocol.send(fd_out, {"ok": True, "hello": True, "pid": os.getpid(), "uid": os.getuid()})
    while True:
        try:
            header, arrays = reader.recv()
        except protocol.ChannelClosed:
            return
        op = header.get("op")
        out_arrays: list = []
        if op == "run":
            reply = run_cell(namespace, header["code"], header.get("index", 0), float(header.get("timeout", 60)))
        elif op == "exposed":
            reply = list_exposed()
        elif op == "call":
            reply, out_arrays = call(header["name"], header["args"], float(header.get("timeout", 60)), arrays)
        elif op == "grad":
            reply, out_arrays = call(header["name"], header["args"], float(header.get("timeout", 60)), arrays,
                                     grad=True)
        elif op == "bye":
            protocol.send(fd_out, {"ok": True})
            return
        else:
            reply = {"ok": False, "error": f"unknown op {op!r}"}
        try:
            protocol.send(fd_out, reply, out_arrays)
        except Exception as exc:  # noqa: BLE001 - e.g. unsendable output
            protocol.send(fd_out, {"ok": False, "error": f"could not send the answer ({exc})"})


def main() -> None:
    fd_in, fd_out = int(sys.argv[1]), int(sys.argv[2])
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # oversize writes fail instead of killing us
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:  # import the heavy libraries before the first cell, outside its time limit
        import torch  # noqa: F401
        import arkit.submission  # noqa: F401
        # GPU packing (ray_executor): this process may hold only its share of the GPU's memory.
        # RLIMIT_AS cannot bound CUDA (its driver reserves far more address space than it uses), so
        # the share is torch's caching-allocator cap: a guard against accidents, not against a
        # student who lifts it (the executor's scheduler and Ray's memory monitor are the backstop).
        fraction = os.environ.get("ARKIT_CUDA_MEMORY_FRACTION")
        if fraction and torch.cuda.is_available():
            torch.cuda.set_per_process_memory_fraction(min(1.0, float(fraction)))
    except Exception:  # noqa: BLE001 - the cells will report it
        pass
    serve(fd_in, fd_out)


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    os._exit(0)
