"""The grader's own objects, lent to a student's function: work the parent can count.

Work done inside the student's process is invisible to the trusted parent (a count reported from
there is a claim). But when the student's code is an *algorithm around a model* (a sampler that
calls ``model.step``), the parent can lend it *its own* model: :class:`Served` wraps it, the
sandbox call sends a reference (:mod:`.protocol`), and every method call the student's code makes
comes back to the parent as a ``callback`` frame that :class:`Server` answers. The model runs, and
is measured, in the parent; what it keeps between calls (:class:`Opaque`, e.g. a KV cache) stays
there and the student's code holds a :class:`~.protocol.Handle` to it.

On the nbgrader path (the student's own kernel) the same :class:`Served` object is handed over
directly and behaves the same way, so one grade function serves both paths.

A lent object runs in the trusted process with arguments the child chose: it must check their
sizes itself (a batch of a million rows would make the grader work and grow, not the child).
Only the methods named in ``methods`` can be called; the rest of the stand-in's behaviour
(``eval()``, ``parameters()``, the AttributeError naming what is offered) is
:class:`~.protocol.LentModel`, shared by the child's stand-in and the local path.
"""
from __future__ import annotations

from typing import Any, Mapping

from . import protocol

MAX_CALLBACKS = 200_000     # one sandbox call may not make the parent work forever


class Opaque:
    """A value a served method keeps in the parent (travels as a handle)."""

    __opaque__ = True
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


def _plain(value: Any) -> Any:
    """``value`` with every :class:`Opaque` replaced by what it holds (the local path)."""
    if isinstance(value, Opaque):
        return value.value
    if type(value) in (list, tuple):
        return type(value)(_plain(v) for v in value)
    return value


class Served(protocol.LentModel):
    """``obj`` lent to a student's function: ``methods`` callable, ``attrs`` readable (numbers and
    strings); the stand-in behaviour is :class:`~.protocol.LentModel`'s. ``calls`` counts the calls
    per method."""

    __served__ = True

    def __init__(self, obj: Any, methods: tuple[str, ...], attrs: Mapping[str, Any] | None = None):
        self._obj = obj
        self._methods = tuple(methods)
        self._attrs = dict(attrs or {})
        self.calls: dict[str, int] = {m: 0 for m in self._methods}

    def invoke(self, method: str, args: tuple, kwargs: dict) -> Any:
        """Run ``method`` of the lent object (the parent's side of a callback)."""
        if method not in self._methods:
            raise AttributeError(f"the grader's model offers {', '.join(self._methods)}, not {method!r}")
        self.calls[method] += 1
        return getattr(self._obj, method)(*args, **kwargs)

    def _invoke(self, method: str, args: tuple, kwargs: dict) -> Any:
        """The local path: the student's function holds this object itself."""
        return _plain(self.invoke(method, args, kwargs))


class Server:
    """Answers the callbacks of one sandbox call to the objects it was given (``served``)."""

    def __init__(self, served: list[Served]):
        self.served = served
        self.kept: dict[int, Any] = {}
        self._ids: dict[int, int] = {}
        self.callbacks = 0

    def keep(self, value: Any) -> int:
        """The handle number of ``value`` (the same object keeps its number)."""
        ident = self._ids.get(id(value))
        if ident is None:
            ident = self._ids[id(value)] = len(self.kept)
            self.kept[ident] = value
        return ident

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, protocol.Handle):
            if value.id not in self.kept:
                raise ValueError(f"{value!r} was never handed out in this call")
            return self.kept[value.id]
        if type(value) in (list, tuple):
            return type(value)(self._resolve(v) for v in value)
        if type(value) is dict:
            return {k: self._resolve(v) for k, v in value.items()}
        return value

    def answer(self, header: dict, arrays: list) -> tuple[dict, list]:
        """The reply frame to one ``callback`` header from the child."""
        self.callbacks += 1
        if self.callbacks > MAX_CALLBACKS:
            return {"ok": False, "error": f"more than {MAX_CALLBACKS} calls to the grader's model"}, []
        target, method = header.get("target"), header.get("method")
        if type(target) is not int or not 0 <= target < len(self.served) or type(method) is not str:
            return {"ok": False, "error": "malformed call to the grader's model"}, []
        try:
            args, kwargs = protocol.decode(header.get("args"), arrays)
            out = self.served[target].invoke(method, tuple(self._resolve(list(args))), self._resolve(dict(kwargs)))
            out_arrays: list = []
            tree = protocol.encode(out, out_arrays, keep=self.keep)
        except Exception as exc:  # noqa: BLE001  (the student's arguments broke the grader's model)
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:2000]}, []
        return {"ok": True, "value": tree}, out_arrays
