"""Forward-only stand-ins for the objects a notebook exposed.

A proxy forwards ``proxy(*args)`` to the sandboxed child and returns fresh
tensors built from the numbers it sent back (``protocol``): no autograd
through it, no attribute access, nothing of the child's objects survives.

Proxies audit nothing themselves: which exposed names are scored parameter
functions, and how they are audited, is declared by the trusted question and
done by :mod:`autograder.checks.ar_audit` (the same audit runs in the
student's kernel on the nbgrader path).
"""
from __future__ import annotations

import time
from typing import Any, Callable

import torch

from autograder.checks.ar_audit import ARAuditError  # noqa: F401 (re-exported)

from .sandbox import RemoteError, Sandbox


class Budget:
    """Wall-clock budget shared by the calls of one question."""

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()


class RemoteFunction:
    """``fn(*args, **kwargs)`` evaluated in the sandbox; outputs are fresh tensors."""

    def __init__(self, sandbox: Sandbox, name: str, meta: dict, call_timeout: float,
                 budget: Callable[[], Budget]):
        self._sandbox, self.name, self.meta = sandbox, name, dict(meta)
        self._call_timeout, self._budget = call_timeout, budget

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        left = self._budget().left()
        if left <= 0:
            raise TimeoutError(f"the time budget for this question ran out while calling {self.name}")
        try:
            out = self._sandbox.call(self.name, args, kwargs, timeout=min(self._call_timeout, left))
        except RemoteError as exc:
            if str(exc).startswith("NotImplementedError"):
                raise NotImplementedError(str(exc)) from None  # same message as a local stub
            raise
        _reject_nan(self.name, out)
        return out

    def value_and_grad(self, *args: Any, **kwargs: Any) -> tuple[Any, list]:
        """``(out, grads)`` computed in the sandbox: the gradient of ``out.sum()`` with
        respect to each floating tensor argument (None where none reached it). NaN in
        the gradients is returned, not refused: reporting it is the caller's job."""
        left = self._budget().left()
        if left <= 0:
            raise TimeoutError(f"the time budget for this question ran out while calling {self.name}")
        try:
            out, grads = self._sandbox.call(self.name, args, kwargs, timeout=min(self._call_timeout, left),
                                            grad=True)
        except RemoteError as exc:
            if str(exc).startswith("NotImplementedError"):
                raise NotImplementedError(str(exc)) from None
            raise
        return out, list(grads)

    def __repr__(self) -> str:
        return f"<remote {self.name}>"


def _reject_nan(name: str, value: Any) -> None:
    if isinstance(value, torch.Tensor):
        if value.is_floating_point() and torch.isnan(value).any():
            raise ValueError(f"{name} returned NaN values")
    elif isinstance(value, (list, tuple)):
        for v in value:
            _reject_nan(name, v)
    elif isinstance(value, dict):
        for v in value.values():
            _reject_nan(name, v)


def make_proxies(sandbox: Sandbox, exposed: dict[str, dict], call_timeout: float,
                 budget: Callable[[], Budget], question=None) -> dict[str, RemoteFunction]:
    """One forward-only proxy per exposed name (only the names ``question`` needs, when given).

    The child's metadata (``kind``, ``audit``, ...) decides nothing: the trusted
    question declares its scored parameter functions (``Question.param_fns``) and
    :func:`autograder.assignments.base.grade_question` audits exactly those, on this
    path and in the student's kernel alike.
    """
    wanted = None if question is None else set(question.required_names)
    return {name: RemoteFunction(sandbox, name, meta, call_timeout, budget)
            for name, meta in exposed.items() if wanted is None or name in wanted}
