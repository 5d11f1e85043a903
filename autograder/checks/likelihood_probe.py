"""Probe machinery for likelihood checks: call student code, compare, explain.

A :class:`Probe` is one targeted experiment: inputs chosen to isolate one
property (edge bins, mixture weights, coupling, ...), the two trusted reference
outputs, a default failure message and a list of *explanations*. Each
explanation is a named bug with a predicate that recognises what that bug would
return; the first one that matches a failing probe supplies the message, so the
student reads the cause ("returned bits, not nats") instead of "values differ".

Comparison rule (elementwise, in nats): a value passes if it lies within
``[min(v1, v2) - tol, max(v1, v2) + tol]`` with ``tol = atol * dims + rtol * |ref|``
(either trusted variant is accepted, as is anything between them), or -- the
tail contract -- if both references are below ``TAIL_FLOOR_NATS`` and the value is
finite and at most ``TAIL_FLOOR_NATS``. NaN/inf never pass.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch

from arkit.checks.result import CheckResult

TAIL_FLOOR_NATS = -20.0   # below this reference log-prob, any finite value <= floor is accepted
ATOL_PER_DIM = 0.02       # nats per scalar variable (covers float32 PixelCNN++ ports)
RTOL = 1e-4
MATCH_FRACTION = 0.98     # an explanation matches if it reproduces this fraction of values

# An explanation: (message, predicate(student, v1, v2, tol) -> bool)
Explanation = tuple[str, Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], bool]]


@dataclass
class Probe:
    """One experiment on a likelihood function.

    Attributes:
        name: short name shown to students, e.g. ``"edge bins"``.
        args: positional arguments for the student's function (x first).
        v1, v2: the two trusted reference outputs (float64, the expected shape).
        dims: scalar variables per output value (tolerance scales with it).
        message: what to say when the probe fails and no explanation matches.
        explanations: tried in order on failure.
        describe: optional ``index -> str`` naming the inputs of one output value.
    """

    name: str
    args: tuple
    v1: torch.Tensor
    v2: torch.Tensor
    dims: int
    message: str
    explanations: Sequence[Explanation] = ()
    describe: Callable[[int], str] | None = None
    extra: dict = field(default_factory=dict)


@contextlib.contextmanager
def single_thread():
    """Run torch on one intra-op thread (restored afterwards).

    The probes use small tensors; with several threads on a busy machine the
    thread hand-offs cost far more than the arithmetic (measured 4-6x slower).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def tolerance(v1: torch.Tensor, v2: torch.Tensor, dims: int) -> torch.Tensor:
    """Per-value tolerance in nats."""
    return ATOL_PER_DIM * dims + RTOL * torch.maximum(v1.abs(), v2.abs())


def accepted(student: torch.Tensor, v1: torch.Tensor, v2: torch.Tensor, dims: int) -> torch.Tensor:
    """Bool mask: values that satisfy the comparison rule of this module."""
    tol = tolerance(v1, v2, dims)
    lo, hi = torch.minimum(v1, v2) - tol, torch.maximum(v1, v2) + tol
    inside = (student >= lo) & (student <= hi)
    capped = (torch.maximum(v1, v2) < TAIL_FLOOR_NATS) & (student <= TAIL_FLOOR_NATS)
    return torch.isfinite(student) & (inside | capped)


def reproduces(expected: Callable[[], torch.Tensor]) -> Callable:
    """Predicate: the student's values equal what a specific bug returns (``expected()``)."""
    def pred(s, v1, v2, tol):
        h = expected().to(torch.float64)
        if h.shape != s.shape:
            return False
        close = ((s - h).abs() <= tol) | ((h < TAIL_FLOOR_NATS) & (s < TAIL_FLOOR_NATS))
        return bool(close.double().mean() >= MATCH_FRACTION)
    return pred


def scaled(factor: float) -> Callable:
    """Predicate: ``student == factor * reference`` (sign error: -1, bits: 1/ln 2)."""
    return lambda s, v1, v2, tol: reproduces(lambda: v2 * factor)(s, v1, v2, tol * abs(factor))


def constant_shift(s, v1, v2, tol) -> float | None:
    """If ``student - reference`` is one constant c (|c| > 0.05), return c, else None."""
    d = s - v2
    if not bool(torch.isfinite(d).all()):
        return None
    c = float(d.median())
    return c if abs(c) > 0.05 and bool(((d - c).abs() <= 0.05 + 0.02 * abs(c)).all()) else None


def bin_width_explanation(fmt_width: Callable[[float], str], true_width: float, rule: str) -> Explanation:
    """A constant ``log(w / true_width)`` offset on wide, interior bins means the bins have width w.

    ``fmt_width(w)`` renders a width for students; ``rule`` states the right bin.
    """
    def pred(s, v1, v2, tol):
        return constant_shift(s, v1, v2, tol) is not None

    def message(s, v2):
        w = true_width * math.exp(constant_shift(s, v2, v2, None))
        return f"bin width: your bins are {fmt_width(w)} wide; {rule}"
    pred.message = message  # type: ignore[attr-defined]
    return ("bin width", pred)


def far_below(gap: float, message: str) -> Explanation:
    """Predicate: the student's values are far below the reference (median gap > ``gap`` nats)."""
    return (message, lambda s, v1, v2, tol: bool(torch.isfinite(s).any())
            and float((s - v2)[torch.isfinite(s)].median()) < -gap)


FLOOR_MAX_NATS = -13.0   # log(2e-6): a value this low shared by all wrong values is a clamp floor


def clamp_floor(s: torch.Tensor, v2: torch.Tensor, wrong: torch.Tensor) -> str | None:
    """The cause when every wrong value sits at one constant ``log(floor)`` (a clamp of a
    probability that cancelled to 0) while the true values are higher, else None."""
    vals, true = s[wrong], v2[wrong]
    finite = torch.isfinite(vals)
    if vals.numel() == 0 or not bool(finite.all()):
        return None
    c = float(vals.min())
    at_floor = (vals - c).abs() <= 1e-3 * abs(c)
    if c > FLOOR_MAX_NATS or int(at_floor.sum()) < max(1, (vals.numel() + 1) // 2):
        return None
    if not bool((true[at_floor] > c + 0.5).all()):
        return None
    rest = vals.numel() - int(at_floor.sum())
    also = (f"; the other {rest} wrong values lost precision in the same subtraction" if rest else "")
    return (f"{int(at_floor.sum())} values sit at {c:.4g} = log({math.exp(c):.0e}), a clamp floor, where the "
            f"true log-probability is higher (up to {float(true[at_floor].max()):.4g}): the probability "
            f"cancelled to 0 before the log -- e.g. 1 - sigmoid(z) is exactly 0 once sigmoid(z) rounds to 1 "
            f"(z > 17 in float32, z > 37 in float64) -- and only the clamp is left{also}")


def call_student(fn: Callable, probe: Probe,
                 shape_hint: Callable[[tuple, tuple], str]) -> tuple[torch.Tensor | None, str]:
    """Run ``fn(*probe.args)``; return (float64 output, "") or (None, reason)."""
    args = tuple(a.clone() if isinstance(a, torch.Tensor) else a for a in probe.args)  # probes are cached
    try:
        with torch.no_grad():
            out = fn(*args)
    except NotImplementedError:
        raise
    except Exception as exc:  # student code may raise anything
        return None, f"your function raised {type(exc).__name__}: {exc}"
    if not isinstance(out, torch.Tensor):
        return None, f"expected a torch.Tensor, got {type(out).__name__}"
    if tuple(out.shape) != tuple(probe.v2.shape):
        return None, shape_hint(tuple(out.shape), tuple(probe.v2.shape))
    if not torch.is_floating_point(out):
        return None, f"expected a floating-point tensor, got dtype {out.dtype}"
    return out.detach().to(torch.float64), ""


def run_probe(fn: Callable, probe: Probe, shape_hint: Callable[[tuple, tuple], str],
              check_name: str) -> CheckResult:
    """Run one probe and explain a failure."""
    name = f"{check_name}.{probe.name.replace(' ', '_')}"
    s, reason = call_student(fn, probe, shape_hint)
    if s is None:
        return CheckResult.fail(name, f"{probe.name}: {reason}")
    ok = accepted(s, probe.v1, probe.v2, probe.dims)
    if bool(ok.all()):
        return CheckResult.ok(name, f"{probe.name}: {ok.numel()} values match the reference")
    tol = tolerance(probe.v1, probe.v2, probe.dims)
    bad = torch.nonzero(~ok.flatten())
    i = int(bad[0])
    where = probe.describe(i) if probe.describe else f"value {i}"
    example = (f" (e.g. {where}: yours {float(s.flatten()[i]):.6g}, expected "
               f"{float(probe.v2.flatten()[i]):.6g}; {len(bad)} of {ok.numel()} values wrong)")
    details = {"wrong": len(bad), "total": ok.numel(), "index": i}
    for message, pred in probe.explanations:
        if pred(s, probe.v1, probe.v2, tol):
            text = pred.message(s, probe.v2) if hasattr(pred, "message") else message
            return CheckResult.fail(name, f"{probe.name}: {text}{example}", explanation=message, **details)
    floor = clamp_floor(s, probe.v2, ~ok.flatten().reshape(ok.shape))
    if floor is not None:
        return CheckResult.fail(name, f"{probe.name}: {floor}{example}", explanation="floor",
                                hint="compute log(1 - sigmoid(z)) as -softplus(z) (= F.logsigmoid(-z)) and "
                                     "log(sigmoid(a) - sigmoid(b)) with log-sigmoid identities, never as the "
                                     "log of a clamped difference", **details)
    nonfinite = ~torch.isfinite(s) & torch.isfinite(probe.v2)
    if bool(nonfinite.any()):
        return CheckResult.fail(name, f"{probe.name}: your function returns -inf/NaN where the true "
                                      f"log-probability is finite: the log of a difference underflows "
                                      f"to -inf (for log_scales=-7 or far-away means): compute it in log "
                                      f"space (logsigmoid identities, or the PixelCNN++ small-mass branch)"
                                      f"{example}", explanation="underflow", **details)
    return CheckResult.fail(name, f"{probe.name}: {probe.message}{example}", explanation="default", **details)


def run_probes(fn: Callable, probes: Sequence[Probe], shape_hint: Callable[[tuple, tuple], str],
               check_name: str, extra: Sequence[CheckResult] = ()) -> CheckResult:
    """Run all probes (then append ``extra`` results); the first failure is the headline.

    Score: the fraction of probes (and extra results) that pass.
    """
    results = [run_probe(fn, p, shape_hint, check_name) for p in probes] + list(extra)
    failed = [r for r in results if not r.passed]
    score = sum(r.passed for r in results) / len(results)
    parts = {r.name: r.message for r in results}
    if not failed:
        return CheckResult(check_name, True, 1.0, f"all {len(results)} probes passed", {"parts": parts})
    text = failed[0].message
    if len(failed) > 1:
        text += " | also failing: " + ", ".join(r.name.split(".", 1)[-1] for r in failed[1:])
    return CheckResult(check_name, False, score, text,
                       {"parts": parts, "explanation": failed[0].details.get("explanation")})
