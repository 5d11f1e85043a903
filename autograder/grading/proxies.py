"""Forward-only stand-ins for the objects a notebook exposed.

A proxy forwards ``proxy(*args)`` to the sandboxed child and returns fresh
tensors built from the numbers it sent back (``protocol``): no autograd
through it, no attribute access, nothing of the child's objects survives.

``param_fn`` proxies also audit autoregressive consistency on the very batches
the grader evaluates (held-out examples included): a few rows are appended as
*spliced* copies -- row ``r`` up to a random position ``k``, another row
``p``'s values from ``k`` on -- and a plain duplicate, in a random
interleaving the child cannot tell apart. Outputs for positions up to ``k``
(which may depend on ``x_<k`` only) must match the original row's; a model
that peeks at the value it predicts changes them and fails with a message.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import torch

from .sandbox import RemoteError, Sandbox


class ARAuditError(RuntimeError):
    """A param_fn's outputs depend on inputs they must not see."""


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


class AuditedParamFn(RemoteFunction):
    """A :class:`RemoteFunction` for ``kind="param_fn"`` that audits AR consistency.

    Assumes raster order over ``x[b].flatten()`` with channels innermost per
    pixel (the design's order); expose with ``audit=False`` for other orders.
    """

    def __init__(self, *args, seed: int = 0, max_rows: int = 16, **kwargs):
        super().__init__(*args, **kwargs)
        self._gen = torch.Generator().manual_seed(seed)
        self.max_rows = max_rows
        self.audited_rows = 0

    def __call__(self, x: Any = None, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(x, torch.Tensor) or x.dim() < 2 or x.shape[0] < 2 or x.is_floating_point():
            return super().__call__(x, *args, **kwargs)
        plan = self._plan(x)
        if plan is None:
            return super().__call__(x, *args, **kwargs)
        rows, ks, extra = plan
        big = torch.cat([x, extra], 0)
        perm = torch.randperm(big.shape[0], generator=self._gen)

        def aligned(a: Any) -> Any:
            """Batch-aligned extra inputs (e.g. class labels of a conditional model) follow
            their rows: a spliced copy of row r keeps row r's conditioning."""
            if isinstance(a, torch.Tensor) and a.dim() >= 1 and a.shape[0] == x.shape[0]:
                return torch.cat([a, a[rows]], 0)[perm]
            return a

        args = tuple(aligned(a) for a in args)
        kwargs = {k: aligned(v) for k, v in kwargs.items()}
        out = super().__call__(big[perm], *args, **kwargs)
        inv = torch.argsort(perm)
        out = _map_tensors(out, lambda t: _unpermute(self.name, t, inv, big.shape[0]))
        main = _map_tensors(out, lambda t: t[: x.shape[0]])
        audit = _map_tensors(out, lambda t: t[x.shape[0]:])
        self._check(x, rows, ks, main, audit)
        self.audited_rows += len(rows)
        return main

    # ------------------------------------------------------------ internals
    def _plan(self, x: torch.Tensor):
        """Pick rows, split points and build spliced copies (+1 plain duplicate)."""
        B, var_shape = x.shape[0], tuple(x.shape[1:])
        pos = _order_positions(var_shape)  # pos[d] = when variable d is generated
        flat = x.reshape(B, -1)
        n = min(self.max_rows, B)
        rows = torch.randperm(B, generator=self._gen)[:n].tolist()
        picked, ks, copies = [], [], []
        for r in rows:
            p = int(torch.randint(0, B, (1,), generator=self._gen))
            differ = (flat[r] != flat[p]).nonzero().flatten()
            if differ.numel() == 0:
                continue
            if len(var_shape) == 3 and var_shape[0] > 1:
                # colour: change only the last channel of pixel k, and everything after pixel k
                C = var_shape[0]
                k = int(pos[differ[torch.randint(0, differ.numel(), (1,), generator=self._gen)]])
                k = (k // C) * C + (C - 1)
            else:
                k = int(pos[differ[torch.randint(0, differ.numel(), (1,), generator=self._gen)]])
            spliced = torch.where(pos >= k, flat[p], flat[r])
            if torch.equal(spliced, flat[r]):
                continue
            picked.append(r)
            ks.append(k)
            copies.append(spliced)
        if not picked:
            return None
        dup = rows[0]
        picked.append(dup)
        ks.append(-1)  # control row: identical input, identical output expected
        copies.append(flat[dup].clone())
        return picked, ks, torch.stack(copies).reshape(len(copies), *var_shape)

    def _check(self, x, rows, ks, main, audit) -> None:
        var_shape = tuple(x.shape[1:])
        for t_main, t_audit in zip(_leaves(main), _leaves(audit)):
            # the control row first: nondeterminism would otherwise read as a masking bug
            for j in sorted(range(len(rows)), key=lambda i: ks[i] >= 0):
                r, k = rows[j], ks[j]
                a, b = t_main[r], t_audit[j]
                if k < 0:
                    if not _close(a, b):
                        raise ARAuditError(
                            f"{self.name} gave different outputs for two identical inputs in one batch: it is not "
                            "deterministic (call model.eval() to switch off dropout, and do not use random noise)")
                    continue
                keep = _unchanged_region(var_shape, tuple(a.shape), k)
                if keep is None:
                    continue
                if not _close(a[keep], b[keep]):
                    raise ARAuditError(
                        f"{self.name} is not autoregressive: changing the inputs from position {k} on (raster "
                        f"order) changed outputs for positions up to {k}, which may depend only on earlier "
                        "positions. Check your masks: the output for a variable must not see that variable.")


def _close(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.shape != b.shape:
        return False
    if not a.is_floating_point():
        return torch.equal(a, b)
    return bool(torch.allclose(a.double(), b.double(), rtol=1e-4, atol=1e-4, equal_nan=True))


def _order_positions(var_shape: tuple) -> torch.Tensor:
    """Raster order, channels innermost: position of flat variable d = c*H*W + i*W + j."""
    if len(var_shape) == 3:
        C, H, W = var_shape
        c, ij = torch.meshgrid(torch.arange(C), torch.arange(H * W), indexing="ij")
        return (ij * C + c).reshape(-1)
    D = 1
    for s in var_shape:
        D *= s
    return torch.arange(D)


def _unchanged_region(var_shape: tuple, out_shape: tuple, k: int):
    """Index of the outputs that may not change when positions >= k change (None: unknown layout)."""
    if len(var_shape) == 3:
        C, H, W = var_shape
        if len(out_shape) < 2 or tuple(out_shape[-2:]) != (H, W):
            return None
        pixel = k // C  # outputs at pixels < pixel, and at pixel itself (only its last channel changed)
        mask = (torch.arange(H * W) <= pixel).reshape(H, W)
        return (Ellipsis, mask)
    D = 1
    for s in var_shape:
        D *= s
    if len(var_shape) == 1 and len(out_shape) >= 1 and out_shape[0] == D:
        return (slice(0, k + 1),)
    return None


def _leaves(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _leaves(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _leaves(v)]
    return []


def _map_tensors(value: Any, fn):
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_map_tensors(v, fn) for v in value)
    if isinstance(value, dict):
        return {k: _map_tensors(v, fn) for k, v in value.items()}
    return value


def _unpermute(name: str, t: torch.Tensor, inv: torch.Tensor, batch: int) -> torch.Tensor:
    if t.dim() == 0 or t.shape[0] != batch:
        raise ValueError(f"{name} returned shape {tuple(t.shape)}; expected a first dimension of {batch} "
                         "(one row of parameters per input example)")
    return t[inv]


def make_proxies(sandbox: Sandbox, exposed: dict[str, dict], call_timeout: float,
                 budget: Callable[[], Budget], seed: int = 0, audit: bool = True) -> dict[str, RemoteFunction]:
    """One proxy per exposed name (``param_fn`` kinds audited unless ``audit=False`` in their meta)."""
    out: dict[str, RemoteFunction] = {}
    for name, meta in exposed.items():
        if audit and meta.get("kind") == "param_fn" and meta.get("audit", True):
            out[name] = AuditedParamFn(sandbox, name, meta, call_timeout, budget, seed=seed)
        else:
            out[name] = RemoteFunction(sandbox, name, meta, call_timeout, budget)
    return out
