"""Public check: how the work of a sampler grows with the number of variables, without a clock.

Work is counted, not timed, so the verdict is the same on a laptop, a loaded CI box or a GPU:

* ``measure="work"``: every torch operation the sampler runs is seen by a dispatch mode
  (:class:`WorkCounter`): matrix products, convolutions and attention count their FLOPs (the
  formulas of ``torch.utils.flop_counter``; a multiply-add is 2 FLOPs); every other operation
  counts one unit per output element (views count nothing). Work done outside torch (numpy,
  Python floats) is invisible, so a sampler whose counted work is zero fails.
* ``measure="calls"``: the number of forward calls of ``network`` (an ``nn.Module``), for
  multiscale samplers whose promise is O(log N) network evaluations.

The sampler contract: ``sampler(size) -> samples`` (B, *var_shape) for each ``size`` in
``sizes``; D = the number of variables of one sample (``samples[0].numel()``), measured, so a
size may mean anything (sequence length, image side). Growth is classified from the two largest
sizes by the exponent ``e = log(W2 / W1) / log(D2 / D1)`` of the total work W ~ D^e:

* ``expect="constant"`` (constant work per generated variable, O(D) in total: a cached
  convolution stack): passes iff e <= 1.5. A WaveNet whose depth grows like log D has e
  slightly above 1; re-running the network on every prefix gives e >= 2.
* ``expect="linear"`` (work per variable linear in D, O(D^2) in total: a KV cache, whose
  attention reads all earlier entries): passes iff e <= 2.0; re-running a transformer on
  every prefix costs O(D^2 E^2 + D^3 E), so e > 2 (near 3 once attention dominates).
* ``expect="log"`` (with ``measure="calls"``): passes iff C2 <= 1.25 * C1 * log(D2) / log(D1) + 1.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.flop_counter import flop_registry

from arkit.checks.result import CheckResult, exception_text

LIMITS = {"constant": 1.5, "linear": 2.0}
WHAT = {"constant": "constant work per variable (O(D) in total)",
        "linear": "work per variable at most linear in D (O(D^2) in total)",
        "log": "O(log D) network evaluations"}


def _shape(t):
    return tuple(t.shape) if isinstance(t, torch.Tensor) else ()


def _extra_flops(name: str, args) -> int | None:
    """FLOPs of products that ``flop_registry`` does not cover (vectors, CPU attention)."""
    if name in ("mv", "addmv"):
        m = args[1] if name == "addmv" else args[0]
        return 2 * m.shape[0] * m.shape[1]
    if name == "dot" or name == "vdot":
        return 2 * args[0].numel()
    if "scaled_dot_product" in name and len(args) >= 3:
        q, k = _shape(args[0]), _shape(args[1])
        if len(q) >= 2 and len(k) >= 2:
            return 4 * math.prod(q[:-1]) * k[-2] * q[-1]
    return None


class WorkCounter(TorchDispatchMode):
    """``with WorkCounter() as c: ...`` then ``c.flops`` (products), ``c.elements`` (other
    operations: output elements) and ``c.work`` (their sum)."""

    def __init__(self):
        super().__init__()
        self.flops = 0
        self.elements = 0
        self.ops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        self.ops += 1
        packet = func._overloadpacket
        name = packet.__name__
        if packet in flop_registry:
            self.flops += int(flop_registry[packet](*args, **kwargs, out_val=out))
        elif (extra := _extra_flops(name, args)) is not None:
            self.flops += int(extra)
        elif not getattr(func, "is_view", False):
            self.elements += sum(t.numel() for t in tree_flatten(out)[0] if isinstance(t, torch.Tensor))
        return out

    @property
    def work(self) -> int:
        return self.flops + self.elements


def count_work(fn: Callable, *args, **kwargs):
    """(result of ``fn(*args, **kwargs)``, WorkCounter) -- the work of one call."""
    with WorkCounter() as counter:
        result = fn(*args, **kwargs)
    return result, counter


def _count_calls(sampler, size, network):
    calls = [0]
    handle = network.register_forward_pre_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    try:
        out = sampler(size)
    finally:
        handle.remove()
    return out, calls[0]


def check_cost_scaling(sampler: Callable, sizes: Sequence, expect: str = "constant",
                       measure: str = "work", network: torch.nn.Module | None = None,
                       name: str = "cost_scaling") -> CheckResult:
    """Classify how ``sampler``'s work grows with D (module docstring); deterministic.

    Args:
        sampler: ``sampler(size) -> samples`` (B, *var_shape); B must not depend on size.
        sizes: two or more sizes, in increasing D (a factor 4 or more between the largest two
            makes the exponent clear).
        expect: ``"constant"`` or ``"linear"`` work per variable, or ``"log"`` network calls.
        measure: ``"work"`` (FLOPs + element operations) or ``"calls"`` (needs ``network``).
    """
    if expect not in WHAT:
        raise ValueError(f"expect must be one of {sorted(WHAT)}")
    if measure == "calls" and network is None:
        raise ValueError("measure='calls' needs the network module whose forward calls are counted")
    rows = []
    with torch.no_grad():
        for size in sizes:
            try:
                if measure == "calls":
                    out, amount = _count_calls(sampler, size, network)
                else:
                    out, counter = count_work(sampler, size)
                    amount = counter.work
            except Exception as exc:  # noqa: BLE001
                return CheckResult.fail(name, f"sampler({size!r}) raised {exception_text(exc)}")
            if not isinstance(out, torch.Tensor):
                return CheckResult.fail(name, f"sampler({size!r}) returned a {type(out).__name__}; "
                                              f"return the samples as one tensor (B, *var_shape)")
            rows.append({"size": size, "D": int(out[0].numel()) if out.dim() else 0, "count": int(amount)})
    return classify_growth(rows, expect, measure, name)


def classify_growth(rows: Sequence[dict], expect: str = "constant", measure: str = "work",
                    name: str = "cost_scaling") -> CheckResult:
    """The verdict of :func:`check_cost_scaling` from its measurements: ``rows`` are dicts
    ``{"size", "D", "count"}`` in increasing D (work units or network calls per sampler call);
    the two largest decide (module docstring). For counts measured elsewhere, e.g. by a grader
    that asks for them."""
    if expect not in WHAT:
        raise ValueError(f"expect must be one of {sorted(WHAT)}")
    rows = [dict(r) for r in rows]
    unit = "network calls" if measure == "calls" else "work units (FLOPs + element ops)"
    table = ", ".join(f"D={r['D']}: {r['count']:.3g}" for r in rows)
    details = {"rows": rows, "measure": measure}
    a, b = rows[-2], rows[-1]
    if b["D"] <= a["D"]:
        return CheckResult.fail(name, f"the sampler generated {a['D']} and {b['D']} variables for sizes "
                                      f"{a['size']!r} and {b['size']!r}: D must grow with the size", **details)
    if a["count"] <= 0 or b["count"] <= 0:
        return CheckResult.fail(name, f"no {unit} were counted ({table}): the counter sees only torch "
                                      f"operations (numpy or Python arithmetic is invisible to it)"
                                      + (" and forward calls of the network given" if measure == "calls" else ""),
                                **details)
    ratio_d, ratio_w = b["D"] / a["D"], b["count"] / a["count"]
    exponent = math.log(ratio_w) / math.log(ratio_d)
    details.update(exponent=exponent, ratio=ratio_w)
    growth = (f"when D grew {ratio_d:.3g}x ({a['D']} -> {b['D']}), the {unit} grew {ratio_w:.3g}x "
              f"(total ~ D^{exponent:.2f}; per variable {a['count'] / a['D']:.3g} -> "
              f"{b['count'] / b['D']:.3g})")
    if expect == "log":
        limit = 1.25 * a["count"] * math.log(b["D"]) / math.log(a["D"]) + 1
        if b["count"] <= limit:
            return CheckResult.ok(name, f"{WHAT['log']}: {growth}", **details)
        kind = "O(D): one evaluation per variable" if exponent > 0.8 else f"~D^{exponent:.2f}"
        return CheckResult.fail(name, f"expected {WHAT['log']}, but {growth}: that is {kind}, not O(log D)",
                                hint="sample whole groups of variables per network evaluation",
                                **details)
    limit = LIMITS[expect]
    if exponent <= limit:
        return CheckResult.ok(name, f"{WHAT[expect]}: {growth}", **details)
    per_step = exponent - 1
    looks = ("the sampler recomputes the whole prefix at every step instead of using its cache"
             if per_step >= 0.75 else "the work per variable grows with D")
    return CheckResult.fail(name, f"expected {WHAT[expect]}, but {growth}: {looks}",
                            hint="keep per-layer state between steps so that a step computes only "
                                 "the new position", **details)
