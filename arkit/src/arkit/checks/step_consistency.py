"""Public check: a cached one-step model gives, at every step, the parallel pass's parameters.

The step contract (fast generation for convolutional and attention models):

* ``parallel_fn(x)``: x (B, *var_shape) -> the distribution parameters of every variable given
  the earlier ones (teacher forcing): (B, D, F), (B, D) (one logit each) or (B, F, *var_shape);
* ``step_fn(x_prev, t, cache) -> (params_t, cache)``: called for t = 0, 1, ..., D-1 in the
  generation order (``order[t]`` = flat variable generated t-th; raster order for (C, H, W)
  images, colour R -> G -> B within a pixel, the identity otherwise). ``x_prev`` (B,) holds the
  value of the variable generated at step t-1, in ``x``'s dtype (zeros at t = 0: there is
  none); ``cache`` is ``None`` at t = 0 and then whatever the previous call returned (any
  object: ring buffers, lists of tensors, ...). ``params_t`` (B, F) or (B,) are the parameters
  of variable ``order[t]`` and must equal ``parallel_fn(x)`` there within
  ``|step - parallel| <= atol + rtol * |parallel|`` (float32 defaults 1e-4 and 1e-3).

On a mismatch the message names the first step and variable that differ and what the bug looks
like, from two black-box probes: (1) does step t return the parallel parameters of step t-1
(one step behind)? (2) at a differing step, which earlier inputs change the step output and
which change the parallel output (each earlier input in a window of ``probe_window`` steps is
changed in turn)? A step that reads an input one position beyond the parallel pass's reach
looks like a dilation or cache index off by one; one that ignores inputs the parallel pass uses
reads a stale entry (never updated, or a cache not shifted); one that reads the same inputs but
gets other values counts an entry twice (KV appended twice) or uses a position embedding of the
wrong step. These are diagnoses, not proofs: the verdict is the comparison itself.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from arkit.checks.orders import VarNamer, default_order
from arkit.checks.result import CheckResult, exception_text


def per_variable(out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Parallel output -> (B, D, F): accepts (B, D, F), (B, D) and (B, F, *var_shape)."""
    b, var_shape = x.shape[0], tuple(x.shape[1:])
    num = x[0].numel()
    if out.dim() == 3 and tuple(out.shape[:2]) == (b, num):
        return out
    if tuple(out.shape) == (b, num) or tuple(out.shape) == (b, *var_shape):
        return out.reshape(b, num, 1)
    if out.dim() == x.dim() + 1 and tuple(out.shape[2:]) == var_shape:
        return out.reshape(b, out.shape[1], num).transpose(1, 2)
    raise ValueError(f"parallel output shape {tuple(out.shape)} does not match x {tuple(x.shape)}: "
                     f"expected (B, D, F), (B, D) or (B, F, *var_shape)")


def run_steps(step_fn, x: torch.Tensor, order: torch.Tensor, last: int | None = None):
    """Feed x through ``step_fn`` for steps 0..last (default all): returns (B, steps, F) in
    generation order. Raises ``ValueError`` naming the step on a bad return value."""
    b = x.shape[0]
    flat = x.reshape(b, -1)
    steps = order.numel() if last is None else last + 1
    prev, cache, outs = torch.zeros_like(flat[:, 0]), None, []
    for t in range(steps):
        try:
            res = step_fn(prev, t, cache)
        except Exception as exc:  # noqa: BLE001
            raise ValueError(f"step_fn raised {exception_text(exc)} at step {t}") from exc
        if not (isinstance(res, tuple) and len(res) == 2):
            raise ValueError(f"step_fn must return (params, cache); step {t} returned a "
                             f"{type(res).__name__}")
        params, cache = res
        params = torch.as_tensor(params).detach()
        if params.dim() == 1:
            params = params.unsqueeze(-1)
        if params.dim() != 2 or params.shape[0] != b:
            raise ValueError(f"step {t} returned parameters of shape {tuple(params.shape)}; expected "
                             f"(B, F) or (B,) with B = {b}")
        outs.append(params)
        prev = flat[:, order[t]]
    return torch.stack(outs, 1)


def _dependencies(parallel_fn, step_fn, x1: torch.Tensor, order, k: int, window: int, num_values: int):
    """For example x1 (1, *var_shape): which of the steps max(0, k-window)..k-1 change the
    parallel output / the step output of step k. Returns (steps probed, dep_parallel, dep_step)."""
    probed = list(range(max(0, k - window), k))
    if not probed:
        return probed, torch.zeros(0, dtype=torch.bool), torch.zeros(0, dtype=torch.bool)
    batch = x1.repeat(len(probed) + 1, *([1] * (x1.dim() - 1)))
    flat = batch.reshape(batch.shape[0], -1)
    for i, j in enumerate(probed):
        v = flat[i + 1, order[j]]
        flat[i + 1, order[j]] = (v + 1) % num_values
    with torch.no_grad():
        par = per_variable(parallel_fn(batch), batch)[:, order[k]].double()
        stp = run_steps(step_fn, batch, order, last=k)[:, k].double()

    def changed(v):
        return ((v[1:] - v[:1]).abs() > 1e-5 * (1 + v[:1].abs())).any(-1)

    return probed, changed(par), changed(stp)


def _short(namer: VarNamer, d: int) -> str:
    """``"x_4"`` for sequences, ``"pixel (3,5) channel G"`` for images."""
    return namer.name(d) if namer.is_image else f"x_{d}"


def _diagnose(parallel_fn, step_fn, x, order, bad_steps, window, num_values, namer):
    """A sentence naming the bug it looks like. Probes the first differing step, one at least
    twice as late and the last one; an offset off by one outranks a stale entry, which outranks
    an extra input; with no difference in inputs, step 0 differing points at the per-step
    computation, a later step at the cached values."""
    b0 = int(bad_steps[1])
    cands = sorted(set(int(k) for k in bad_steps[0]))
    first = cands[0]
    later = [k for k in cands if k >= 2 * first + 1][:1]
    probes = [k for k in dict.fromkeys([first, *later, cands[-1]]) if k > 0]
    x1 = x[b0: b0 + 1].clone()
    findings = {}
    for k in probes:
        steps, dep_par, dep_step = _dependencies(parallel_fn, step_fn, x1, order, k, window, num_values)
        extra = [s for s, p, q in zip(steps, dep_par.tolist(), dep_step.tolist()) if q and not p]
        missing = [s for s, p, q in zip(steps, dep_par.tolist(), dep_step.tolist()) if p and not q]
        reach = [s for s, p in zip(steps, dep_par.tolist()) if p]
        name = lambda s: _short(namer, int(order[s]))  # noqa: E731
        where = f"at step {k + 1} ({name(k)})"
        if extra and ((reach and min(extra) == min(reach) - 1) or
                      any(e + 1 in missing or e - 1 in missing for e in extra)):
            findings.setdefault("offset", (
                f"{where} the cached step reads {name(extra[0])}, which the parallel pass does "
                f"not use there" + (f", and ignores {name(missing[0])}" if missing else "") +
                ": an offset off by one (a dilation or a cache index off by one step)"))
        elif missing:
            findings.setdefault("missing", (
                f"{where} the cached step ignores {name(missing[0])}"
                + (f" (and {len(missing) - 1} more inputs)" if len(missing) > 1 else "")
                + " that the parallel pass uses: it reads a stale cache entry (one never updated, "
                  "a cache that is not shifted, or written before it is read)"))
        elif extra:
            findings.setdefault("extra", (
                f"{where} the cached step reads {name(extra[0])}, which the parallel pass does "
                f"not use there: the cache is not shifted (an old entry is read in place of a "
                f"newer one)"))
    for kind in ("offset", "missing", "extra"):
        if kind in findings:
            return findings[kind]
    if first == 0:
        return ("the first step already differs, and every step reads the same inputs as the parallel "
                "pass: the per-step computation itself differs (a position embedding of the wrong "
                "step, another start input, or a stale cache: the new entry read before it is "
                "written)")
    return ("from that step on it reads the same inputs as the parallel pass but computes other "
            "values: a cache entry with the wrong content or weight (a KV entry appended twice, a "
            "stale entry not yet written when it is read) or a position embedding of the wrong step")


def check_step_consistency(parallel_fn: Callable[[torch.Tensor], torch.Tensor],
                           step_fn: Callable, x: torch.Tensor, order: Sequence[int] | None = None,
                           num_values: int | None = None, atol: float = 1e-4, rtol: float = 1e-3,
                           probe_window: int = 48, name: str = "step_consistency") -> CheckResult:
    """Pass iff feeding ``x`` one step at a time through ``step_fn`` returns the parallel
    parameters at every step (contract in the module docstring).

    Args:
        parallel_fn: x (B, *var_shape) -> (B, D, F), (B, D) or (B, F, *var_shape).
        step_fn: ``(x_prev (B,), t, cache) -> (params (B, F) or (B,), cache)``.
        x: (B, *var_shape) integer-valued data (a float or int tensor) fed by teacher forcing.
        order: generation order; default raster (images (C, H, W)) or identity.
        num_values: values per variable (for the probes); default ``max(x) + 1`` (at least 2).
        atol, rtol: tolerance on the parameters (float32 round-off of two computation orders).
        probe_window: how many earlier steps the dependency probe changes, one at a time.
    """
    x = torch.as_tensor(x)
    var_shape = tuple(x.shape[1:])
    num = x[0].numel()
    order = default_order(var_shape) if order is None else torch.as_tensor(order, dtype=torch.long)
    namer = VarNamer(var_shape, order)
    num_values = max(2, int(x.max()) + 1) if num_values is None else int(num_values)
    try:
        with torch.no_grad():
            par = per_variable(parallel_fn(x), x)[:, order]
    except Exception as exc:  # noqa: BLE001
        return CheckResult.fail(name, f"the parallel pass failed: {exception_text(exc)}")
    try:
        with torch.no_grad():
            stp = run_steps(step_fn, x, order)
    except ValueError as exc:
        return CheckResult.fail(name, str(exc), hint="step_fn(x_prev, t, cache) -> (params, cache)")
    if stp.shape != par.shape:
        return CheckResult.fail(name, f"each step returned {stp.shape[-1]} parameters per example, "
                                      f"the parallel pass {par.shape[-1]}")
    diff = (stp.double() - par.double()).abs()
    bad = (diff > atol + rtol * par.double().abs()).any(-1) | ~torch.isfinite(stp).all(-1)  # (B, D)
    max_diff = float(diff[torch.isfinite(diff)].max()) if bool(torch.isfinite(diff).any()) else float("nan")
    if not bool(bad.any()):
        return CheckResult.ok(name, f"all {num} steps match the parallel pass (max |difference| "
                                    f"{max_diff:.1e})", max_abs_diff=max_diff)
    steps_bad = bad.any(0).nonzero().flatten()
    k0 = int(steps_bad[0])
    row = int(bad[:, k0].nonzero()[0])
    where = f"step {k0 + 1} of {num} ({_short(namer, int(order[k0]))})"
    head = (f"the cached step's parameters differ from the parallel pass first at {where} "
            f"(|difference| {float(diff[row, k0].max()):.3g}; {len(steps_bad)} of {num} steps differ)")
    behind = k0 >= 1 and bool(((stp[:, 1:] - par[:, :-1]).abs() <=
                               atol + rtol * par[:, :-1].abs()).all())
    if behind:
        cause = ("every step returns the parameters the parallel pass gives for the step before: "
                 "the cached model is one step behind (the new input is read after it is needed, or "
                 "a position embedding of the previous step)")
    else:
        bad_idx = bad.nonzero()  # rows sorted by example; keep the first differing example
        ex = int(bad_idx[0, 0])
        try:
            cause = _diagnose(parallel_fn, step_fn, x, order,
                              (bad[ex].nonzero().flatten(), ex), probe_window, num_values, namer)
        except Exception as exc:  # noqa: BLE001  (a diagnosis must never hide the verdict)
            cause = f"(no diagnosis: the probe failed with {exception_text(exc)})"
    return CheckResult.fail(name, f"{head}: {cause}",
                            hint="compare one layer at a time: the cached state of every layer at "
                                 "step t must equal the parallel layer output at position t",
                            first_step=k0, variable=int(order[k0]), steps_differing=len(steps_bad),
                            max_abs_diff=max_diff)
