"""Messages between the trusted grader (parent) and the sandboxed child.

A frame is ``[u32 header length][header JSON][u32 array count]`` followed by
``[u64 length][.npy bytes]`` per array. Values are a JSON tree in which every
tensor is replaced by ``{"__array__": i}``; arrays travel as ``.npy`` and are
read back with ``numpy.load(allow_pickle=False)``: nothing the child sends is
ever unpickled, and only bool/int/uint/float arrays are accepted.

A reader never lets the other side make it raise or bloat: the header length is
checked against ``max_header`` before a byte of it is read (answers from the
sandbox: :data:`ANSWER_HEADER_BYTES`), and its nesting depth is measured without
recursion (:func:`json_depth`) before ``json.loads`` runs (:data:`MAX_DEPTH`).
Anything else becomes a :class:`ProtocolError`.

Served objects (:mod:`autograder.grading.served`): the trusted parent may pass one of *its own*
objects (e.g. a reference model) as an argument; it travels as ``{"__served__": i, ...}`` and the
child turns it into a stand-in whose method calls come back to the parent as ``callback`` frames
while the call is in progress. What such a method keeps (a cache) travels as a :class:`Handle`
(``{"__handle__": i}``): a number the child can pass back, never the value.

This module is copied into the sandbox and imported there too, so it depends
on the standard library and numpy only (torch is imported lazily).
"""
from __future__ import annotations

import io
import json
import os
import re
import select
import struct
import time
from typing import Any

import numpy as np

ALLOWED_KINDS = "biuf"  # bool, signed int, unsigned int, float
DEFAULT_MAX_BYTES = 256 << 20
ANSWER_HEADER_BYTES = 1 << 20    # largest header the child may send (cell output is capped far below)
REQUEST_HEADER_BYTES = 64 << 20  # largest header the trusted parent sends (a cell's source code)
MAX_DEPTH = 200                  # deepest JSON nesting accepted (a value tree doubles the user's depth)
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


class ProtocolError(RuntimeError):
    """The other side sent something malformed, too big, or nothing in time."""


class ChannelTimeout(ProtocolError):
    """No complete frame arrived before the deadline."""


class ChannelClosed(ProtocolError):
    """The other side closed its end (usually: the child process died)."""


# ---------------------------------------------------------------- encoding
class Handle:
    """An opaque reference to a value kept by the trusted parent (the cache of a served model).

    Only its number travels; the side that holds a handle can pass it back, not look inside."""

    __slots__ = ("id",)

    def __init__(self, ident: int):
        self.id = int(ident)

    def __repr__(self) -> str:
        return f"<value #{self.id} kept by the grader>"


class LentModel:
    """What a student's function holds of an object the grader lent it (both sides of the sandbox,
    and the nbgrader path): ``_methods`` callable (``"forward"`` also as ``model(x)``), ``_attrs``
    readable; ``eval()``/``train()``/``to()``/``parameters()`` are answered here (samplers written
    for ``nn.Module`` call them); any other attribute is an ``AttributeError`` naming what is offered.
    Subclasses run a call in :meth:`_invoke`."""

    _methods: tuple = ()
    _attrs: dict = {}

    def _invoke(self, method: str, args: tuple, kwargs: dict) -> Any:
        raise NotImplementedError

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._methods:
            return lambda *a, **k: self._invoke(name, a, k)
        if name in self._attrs:
            return self._attrs[name]
        raise AttributeError(f"the grader's model offers {', '.join(self._methods)} (and attributes "
                             f"{', '.join(sorted(self._attrs)) or 'none'}), not {name!r}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._invoke("forward", args, kwargs)

    def eval(self) -> "LentModel":
        return self

    def train(self, mode: bool = True) -> "LentModel":
        return self

    def to(self, *args: Any, **kwargs: Any) -> "LentModel":
        return self

    def parameters(self):
        import torch

        return iter([torch.zeros(1)])


def _to_numpy(value: Any) -> tuple[np.ndarray, bool] | None:
    """(array, was_torch) for tensors and arrays, None for anything else."""
    if isinstance(value, np.ndarray):
        return value, False
    torch = _torch_if_loaded()
    if torch is not None and isinstance(value, torch.Tensor):
        t = value.detach().cpu()
        if t.dtype in (torch.bfloat16, torch.float16):
            t = t.float()
        return np.array(t.numpy(), copy=True), True
    return None


def _torch_if_loaded():
    import sys

    return sys.modules.get("torch")


def encode(value: Any, arrays: list[np.ndarray], served: list | None = None,
           keep: Any = None) -> Any:
    """JSON-able tree for ``value``; tensors/arrays are appended to ``arrays``.

    Raises ``TypeError`` naming the offending type for anything that is not
    None, bool, int, float, str, list, tuple, dict with str keys, ndarray,
    tensor or :class:`Handle` (e.g. an object that pretends to equal everything).
    The trusted parent's side only: ``served`` (a list) collects objects marked
    ``__served__`` (sent as a reference), ``keep(value) -> int`` keeps values
    marked ``__opaque__`` and sends their handle.
    """
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is Handle:
        return {"__handle__": value.id}
    if served is not None and getattr(type(value), "__served__", False) is True:
        served.append(value)
        return {"__served__": len(served) - 1, "methods": [str(m) for m in value._methods],
                "attrs": encode(dict(value._attrs), arrays)}
    if keep is not None and getattr(type(value), "__opaque__", False) is True:
        return {"__handle__": int(keep(value.value))}
    if type(value) is float:
        return value if np.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return encode(value.item(), arrays)
    got = _to_numpy(value)
    if got is not None:
        arr, was_torch = got
        if arr.dtype.kind not in ALLOWED_KINDS:
            raise TypeError(f"a tensor of dtype {arr.dtype} cannot be sent (numbers only)")
        arrays.append(np.ascontiguousarray(arr))
        return {"__array__": len(arrays) - 1, "torch": was_torch}
    if type(value) in (list, tuple):
        return {("__list__" if type(value) is list else "__tuple__"): [encode(v, arrays, served, keep)
                                                                       for v in value]}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"__dict__": {k: encode(v, arrays, served, keep) for k, v in value.items()}}
    raise TypeError(f"an object of type {type(value).__name__} cannot be sent; expected tensors, numbers, "
                    "strings or lists/tuples/dicts of them")


def decode(tree: Any, arrays: list[np.ndarray], as_torch: bool = True, remote: Any = None) -> Any:
    """Inverse of :func:`encode`; tensors come back as fresh CPU tensors, handles as :class:`Handle`.

    ``remote(index, methods, attrs)`` builds the stand-in of a served object (the child's side);
    without it a served reference is malformed (the parent never accepts one)."""
    if isinstance(tree, dict):
        if "__handle__" in tree:
            return Handle(int(tree["__handle__"]))
        if "__served__" in tree:
            if remote is None:
                raise ProtocolError("a served object can only travel from the grader to the notebook")
            methods = tree.get("methods")
            if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
                raise ProtocolError("malformed served object")
            return remote(int(tree["__served__"]), list(methods), decode(tree.get("attrs"), arrays, as_torch))
        if "__array__" in tree:
            arr = arrays[int(tree["__array__"])]
            if as_torch and tree.get("torch", True):
                import torch

                return torch.from_numpy(arr.copy())
            return arr
        if "__float__" in tree:
            return float(tree["__float__"])
        if "__list__" in tree:
            return [decode(v, arrays, as_torch, remote) for v in tree["__list__"]]
        if "__tuple__" in tree:
            return tuple(decode(v, arrays, as_torch, remote) for v in tree["__tuple__"])
        if "__dict__" in tree:
            return {k: decode(v, arrays, as_torch, remote) for k, v in tree["__dict__"].items()}
        raise ProtocolError("malformed value tree")
    if isinstance(tree, list):
        raise ProtocolError("malformed value tree (bare list)")
    return tree


# ---------------------------------------------------------------- framing
def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def send(fd: int, header: dict, arrays: list[np.ndarray] = (), max_header: int = ANSWER_HEADER_BYTES) -> None:
    """Write one frame (blocking). Nothing is written if the header is too big or too deep
    (``ValueError``): the sender can then answer with an error instead."""
    blob = json.dumps(header).encode()
    if len(blob) > max_header:
        raise ValueError(f"the answer is too large to send ({len(blob)} bytes of numbers and text besides "
                         f"tensors, limit {max_header}); return tensors instead of long lists")
    if json_depth(blob) > MAX_DEPTH:
        raise ValueError(f"the answer is nested more than {MAX_DEPTH} levels deep")
    parts = [struct.pack("<I", len(blob)), blob, struct.pack("<I", len(arrays))]
    for arr in arrays:
        data = _npy_bytes(arr)
        parts += [struct.pack("<Q", len(data)), data]
    payload = b"".join(parts)
    view = memoryview(payload)
    while view:
        n = os.write(fd, view[:1 << 20])
        view = view[n:]


def json_depth(blob: bytes) -> int:
    """Deepest ``[``/``{`` nesting of JSON text ``blob``, computed without recursion
    (when the text holds at most :data:`MAX_DEPTH` brackets, their count is returned: a bound).

    Strings are blanked first (brackets inside them do not count); work and memory are
    linear in ``len(blob)`` (numpy over 1 MiB chunks). Malformed text gives some number;
    ``json.loads`` rejects it afterwards.
    """
    if blob.count(b"[") + blob.count(b"{") <= MAX_DEPTH:
        return blob.count(b"[") + blob.count(b"{")
    bare = _JSON_STRING.sub(b'""', blob)
    depth, deepest, step = 0, 0, 1 << 20
    for start in range(0, len(bare), step):
        chunk = np.frombuffer(bare, np.uint8, count=min(step, len(bare) - start), offset=start)
        delta = ((chunk == 91) | (chunk == 123)).astype(np.int32) - ((chunk == 93) | (chunk == 125))
        running = np.cumsum(delta, dtype=np.int64) + depth
        if len(running):
            deepest = max(deepest, int(running.max()))
            depth = int(running[-1])
    return deepest


class Reader:
    """Reads frames from ``fd`` with a deadline, a size limit, a header-size limit and a depth limit.

    ``max_header``: largest header (bytes) accepted, checked before it is read; the
    sandbox's reader uses :data:`ANSWER_HEADER_BYTES`, the child's (requests from the
    trusted parent) :data:`REQUEST_HEADER_BYTES`.
    """

    def __init__(self, fd: int, max_bytes: int = DEFAULT_MAX_BYTES, max_header: int = REQUEST_HEADER_BYTES):
        self.fd = fd
        self.max_bytes = max_bytes
        self.max_header = max_header

    def _read_exact(self, n: int, deadline: float | None) -> bytes:
        chunks, got = [], 0
        while got < n:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ChannelTimeout("no answer in time")
                ready, _, _ = select.select([self.fd], [], [], left)
                if not ready:
                    raise ChannelTimeout("no answer in time")
            chunk = os.read(self.fd, min(n - got, 1 << 20))
            if not chunk:
                raise ChannelClosed("the other side closed the channel")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def recv(self, timeout: float | None = None) -> tuple[dict, list[np.ndarray]]:
        """One frame: (header, arrays). Raises :class:`ProtocolError` subclasses."""
        deadline = None if timeout is None else time.monotonic() + timeout
        (hlen,) = struct.unpack("<I", self._read_exact(4, deadline))
        total = hlen
        if hlen > min(self.max_bytes, self.max_header):
            raise ProtocolError(f"header of {hlen} bytes exceeds the limit of {min(self.max_bytes, self.max_header)}")
        blob = self._read_exact(hlen, deadline)
        depth = json_depth(blob)
        if depth > MAX_DEPTH:
            raise ProtocolError(f"header nested {depth} levels deep exceeds the limit of {MAX_DEPTH}")
        try:
            header = json.loads(blob)
        except (ValueError, RecursionError, MemoryError) as exc:
            raise ProtocolError(f"header is not JSON ({type(exc).__name__}: {str(exc)[:200]})") from None
        if not isinstance(header, dict):
            raise ProtocolError("header is not a JSON object")
        (count,) = struct.unpack("<I", self._read_exact(4, deadline))
        if count > 4096:
            raise ProtocolError(f"{count} arrays in one message exceeds the limit")
        arrays = []
        for _ in range(count):
            (alen,) = struct.unpack("<Q", self._read_exact(8, deadline))
            total += alen
            if total > self.max_bytes:
                raise ProtocolError(f"output larger than the limit of {self.max_bytes >> 20} MiB")
            arrays.append(load_npy(self._read_exact(alen, deadline)))
        return header, arrays


def load_npy(data: bytes) -> np.ndarray:
    """Parse ``.npy`` bytes without pickle; only numeric/bool dtypes are accepted."""
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:  # malformed header, object dtype, truncated data
        raise ProtocolError(f"invalid array data ({type(exc).__name__}: {exc})") from None
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in ALLOWED_KINDS:
        raise ProtocolError(f"array of dtype {getattr(arr, 'dtype', '?')} refused (numbers only)")
    return arr
