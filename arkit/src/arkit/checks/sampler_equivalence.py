"""Public check: a fast (cached) sampler draws exactly the samples of the naive one.

The uniform-draws contract (both samplers follow it, so they are comparable bit for bit):

* a sampler is called as ``sampler(u)`` with ``u`` a float64 tensor (B, *var_shape) of
  independent draws in [0, 1) (the check passes a copy; do not draw your own randomness);
* it returns samples shaped like ``u`` with integer values (any dtype);
* variable ``d`` of example ``b`` (flat C-order index, see ``arkit.checks.orders``) is drawn
  from its conditional distribution by the inverse CDF with ``u[b].flatten()[d]``, i.e.
  :func:`sample_with_uniforms`: the smallest value k with ``u < P(x <= k)``, computed in float64.

Whatever the order of generation, variable d always uses the uniform stored at d. Float rounding
of two correct implementations can flip a draw only when ``u`` lands within about 1e-6 of a CDF
boundary; the check compares two draws of ``u`` and forgives one mismatching draw only if a
third, fresh draw agrees exactly. What it catches: a cache that is right on teacher-forced data but
wrong on its own samples, a cache shared across the batch, a cache kept between calls, a
sampler that ignores ``u`` or draws its own randomness, the uniform of another variable.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from arkit.checks.orders import VarNamer, default_order, ordinal
from arkit.checks.result import CheckResult, exception_text

Sampler = Callable[[torch.Tensor], torch.Tensor]


def sample_with_uniforms(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Inverse-CDF draw: logits (..., K) with K >= 2, or one Bernoulli logit (...,)/(..., 1);
    u (...) uniforms in [0, 1). Returns int64 (...): the smallest k with u < P(x <= k),
    probabilities from a float64 softmax (sigmoid for a single logit: x = 1 iff u >= 1 - p)."""
    logits = logits.detach().double()
    if logits.dim() == u.dim() or logits.shape[-1] == 1:  # one Bernoulli logit per variable
        logits = logits.reshape(*u.shape, 1)
        logits = torch.cat([torch.zeros_like(logits), logits], -1)
    cdf = torch.softmax(logits, -1).cumsum(-1)[..., :-1]
    return (u.double().unsqueeze(-1).to(cdf.device) >= cdf).sum(-1).long()


def _call(sampler: Sampler, u: torch.Tensor, who: str):
    """(samples as float64 tensor, None) or (None, problem text)."""
    try:
        out = sampler(u.clone())
    except Exception as exc:  # noqa: BLE001
        return None, f"the {who} sampler raised {exception_text(exc)}"
    if isinstance(out, tuple):
        return None, f"the {who} sampler returned a tuple; return only the samples (B, *var_shape)"
    try:
        out = torch.as_tensor(out).detach().cpu()
    except Exception:  # noqa: BLE001
        return None, f"the {who} sampler returned a {type(out).__name__}, not a tensor"
    if tuple(out.shape) != tuple(u.shape):
        if out.numel() == u.numel():
            return None, (f"the {who} sampler returned shape {tuple(out.shape)}; the samples must "
                          f"have the shape of u, {tuple(u.shape)}")
        return None, f"the {who} sampler returned shape {tuple(out.shape)}, expected {tuple(u.shape)}"
    out = out.double()
    if not bool(torch.isfinite(out).all()) or not bool((out == out.round()).all()):
        return None, (f"the {who} sampler returned values that are not integers (probabilities or "
                      f"logits instead of samples?)")
    return out, None


def _first_difference(a: torch.Tensor, f: torch.Tensor, order: torch.Tensor):
    """(step k, flat variable d, rows that differ at step k) of the first differing step."""
    b = a.shape[0]
    diff = (a.reshape(b, -1) != f.reshape(b, -1))[:, order]            # (B, D) in generation order
    k = int(diff.any(0).nonzero()[0])
    return k, int(order[k]), diff[:, k].nonzero().flatten().tolist()


def _alone_is_right(sampler: Sampler, u: torch.Tensor, naive: torch.Tensor, rows) -> bool:
    """Does the sampler, given one example's uniforms alone (batch of 1), draw the naive samples?"""
    if not rows or u.shape[0] == 1:
        return False
    for r in rows:
        alone, problem = _call(sampler, u[r: r + 1], "fast")
        if problem or not torch.equal(alone[0], naive[r]):
            return False
    return True


def check_sampler_equivalence(naive_sampler: Sampler, fast_sampler: Sampler,
                              shape: Sequence[int], order=None, seed: int = 0,
                              name: str = "sampler_equivalence") -> CheckResult:
    """Pass iff ``fast_sampler(u)`` returns exactly ``naive_sampler(u)`` (module docstring).

    Args:
        naive_sampler, fast_sampler: ``sampler(u (B, *var_shape) float64) -> samples`` (same shape).
        shape: shape of ``u``, (B, *var_shape); use B >= 2 (the batch is part of what is checked).
        order: generation order (``order[k]`` = flat variable generated k-th) used to name the
            first differing step; default raster order for (C, H, W), the identity otherwise.
        seed: seed of the uniforms (the second and third draws use ``seed + 1``, ``seed + 2``).
    """
    shape = tuple(int(s) for s in shape)
    var_shape = shape[1:]
    num = 1
    for s in var_shape:
        num *= s
    order = default_order(var_shape) if order is None else torch.as_tensor(order, dtype=torch.long)
    namer = VarNamer(var_shape, order)
    draws = [torch.rand(shape, generator=torch.Generator().manual_seed(seed + i), dtype=torch.float64)
             for i in range(3)]
    hint = ("follow the uniform-draws contract: sampler(u) -> samples shaped like u, variable d "
            "drawn with sample_with_uniforms(logits, u[..., d])")
    runs = []  # (u, naive samples, fast samples) for the first two draws
    for u in draws[:2]:
        naive, problem = _call(naive_sampler, u, "naive")
        fast, problem2 = (None, None) if problem else _call(fast_sampler, u, "fast")
        if problem or problem2:
            return CheckResult.fail(name, problem or problem2, hint=hint)
        runs.append((u, naive, fast))
    if all(torch.equal(n, f) for _, n, f in runs):
        return CheckResult.ok(name, f"the fast sampler returned exactly the naive sampler's samples "
                                    f"(2 draws of u, {shape[0]} samples x {num} variables each)", draws=2)
    for who, sampler, i in (("fast", fast_sampler, 2), ("naive", naive_sampler, 1)):
        for run in runs:
            again, _ = _call(sampler, run[0], who)
            if again is not None and not torch.equal(again, run[i]):
                return CheckResult.fail(
                    name, f"the {who} sampler is not a function of the uniforms u: two calls with "
                          f"the same u returned different samples (it draws its own randomness, or "
                          f"keeps state between calls)",
                    hint="draw variable d with sample_with_uniforms(logits, u[..., d]) instead of "
                         "torch.rand / torch.multinomial / torch.bernoulli, and start every call "
                         "from an empty cache")
    if torch.equal(runs[0][2], runs[1][2]) and not torch.equal(runs[0][1], runs[1][1]):
        return CheckResult.fail(
            name, "the fast sampler ignores the uniforms u: two different u gave the same samples "
                  "(argmax instead of sampling, or a fixed seed)", hint=hint)
    bad = [r for r in runs if not torch.equal(r[1], r[2])]
    if len(bad) == 1:  # one mismatching draw: a rounding flip unless a third draw differs too
        u3 = draws[2]
        naive3, _ = _call(naive_sampler, u3, "naive")
        fast3, _ = _call(fast_sampler, u3, "fast")
        if naive3 is not None and fast3 is not None and torch.equal(naive3, fast3):
            k, d, rows = _first_difference(bad[0][1], bad[0][2], order)
            return CheckResult.ok(
                name, f"the samplers agree on two of three draws of u; one draw differed only from "
                      f"{namer.name(d)} on (a float rounding flip at a CDF boundary)", draws=3,
                forgiven={"step": k, "variable": d, "rows": rows})
    u, naive, fast = bad[0]
    k, d, rows = _first_difference(naive, fast, order)
    b = shape[0]
    rows_all = int((naive.reshape(b, -1) != fast.reshape(b, -1)).any(1).sum())
    step = f"step {k + 1} ({ordinal(k + 1)} variable generated, {namer.name(d)})"
    if k == 0:
        cause = ("the very first variable already differs, before anything is cached: the fast "
                 "sampler draws differently (the uniform of another variable, 1 - u, or another "
                 "rule than the inverse CDF)")
    elif _alone_is_right(fast_sampler, u, naive, rows[:2]):
        cause = ("run alone, those examples are right, but not in a batch: the cache mixes the "
                 "examples of the batch (a state kept for one example and broadcast to all?)")
    else:
        cause = ("the earlier variables agree, so from the same prefix the fast sampler either "
                 "computes other probabilities (its cache drifts on its own samples: a sampled value "
                 "not fed back, a cache entry not updated; teacher-forced steps may still be right, "
                 "run check_step_consistency) or draws with another rule (the uniform of another "
                 "variable, 1 - u)")
    return CheckResult.fail(
        name, f"the fast sampler's samples differ from the naive sampler's, first at {step} in "
              f"{len(rows)} of {b} examples ({rows_all} examples differ somewhere): {cause}", hint="feed each sampled value back into the cache before the next "
              "step, and draw variable d with u[..., d]",
        step=k, variable=d, rows=rows, rows_differing=rows_all)
