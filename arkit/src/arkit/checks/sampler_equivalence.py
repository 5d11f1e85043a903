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
boundary; the check forgives one such mismatch by drawing a second, fresh ``u`` (both samplers
must then agree exactly). What it catches: a cache that is right on teacher-forced data but
wrong on its own samples, a cache shared across the batch, a sampler that ignores ``u`` or
draws its own randomness, the uniform of another variable.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from arkit.checks.orders import VarNamer, default_order, ordinal, ranks
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


def check_sampler_equivalence(naive_sampler: Sampler, fast_sampler: Sampler,
                              shape: Sequence[int], order=None, seed: int = 0,
                              name: str = "sampler_equivalence") -> CheckResult:
    """Pass iff ``fast_sampler(u)`` returns exactly ``naive_sampler(u)`` (module docstring).

    Args:
        naive_sampler, fast_sampler: ``sampler(u (B, *var_shape) float64) -> samples`` (same shape).
        shape: shape of ``u``, (B, *var_shape); use B >= 2 (the batch is part of what is checked).
        order: generation order (``order[k]`` = flat variable generated k-th) used to name the
            first differing step; default raster order for (C, H, W), the identity otherwise.
        seed: seed of the uniforms (a second, fresh draw uses ``seed + 1``).
    """
    shape = tuple(int(s) for s in shape)
    var_shape = shape[1:]
    num = 1
    for s in var_shape:
        num *= s
    order = default_order(var_shape) if order is None else torch.as_tensor(order, dtype=torch.long)
    namer = VarNamer(var_shape, order)
    draws = [torch.rand(shape, generator=torch.Generator().manual_seed(seed + i), dtype=torch.float64)
             for i in range(2)]
    u = draws[0]
    naive, problem = _call(naive_sampler, u, "naive")
    fast, problem2 = (None, None) if problem else _call(fast_sampler, u, "fast")
    if problem or problem2:
        return CheckResult.fail(name, problem or problem2, hint="follow the uniform-draws contract: "
                                "sampler(u) -> samples shaped like u, variable d drawn with u[..., d]")
    if torch.equal(naive, fast):
        return CheckResult.ok(name, f"the fast sampler returned exactly the naive sampler's samples "
                                    f"({shape[0]} samples x {num} variables)", draws=1)
    for who, sampler, first in (("fast", fast_sampler, fast), ("naive", naive_sampler, naive)):
        again, _ = _call(sampler, u, who)
        if again is not None and not torch.equal(again, first):
            return CheckResult.fail(
                name, f"the {who} sampler is not a function of the uniforms u: two calls with the "
                      f"same u returned different samples (it draws its own randomness)",
                hint="draw variable d with sample_with_uniforms(logits, u[..., d]) instead of "
                     "torch.rand / torch.multinomial / torch.bernoulli")
    naive2, _ = _call(naive_sampler, draws[1], "naive")
    fast2, _ = _call(fast_sampler, draws[1], "fast")
    if fast2 is not None and torch.equal(fast2, fast) and naive2 is not None \
            and not torch.equal(naive2, naive):
        return CheckResult.fail(
            name, "the fast sampler ignores the uniforms u: two different u gave the same samples "
                  "(argmax instead of sampling, or a fixed seed)",
            hint="draw variable d with sample_with_uniforms(logits, u[..., d])")
    if naive2 is not None and fast2 is not None and torch.equal(naive2, fast2):
        k, d, rows = _first_difference(naive, fast, order)
        return CheckResult.ok(
            name, f"the samplers agree on a second draw; the first draw differed only at "
                  f"{namer.name(d)} (a float rounding flip at a CDF boundary)", draws=2,
            forgiven={"step": k, "variable": d, "rows": rows})
    k, d, rows = _first_difference(naive, fast, order)
    b = shape[0]
    rows_all = int((naive.reshape(b, -1) != fast.reshape(b, -1)).any(1).sum())
    step = f"step {k + 1} ({ordinal(k + 1)} variable generated, {namer.name(d)})"
    if k == 0:
        cause = ("the very first variable already differs, before anything is cached: the fast "
                 "sampler draws differently (the uniform of another variable, 1 - u, or another "
                 "rule than the inverse CDF)")
    elif 0 not in rows and rows_all < b:
        cause = ("example 0 of the batch is right but others are not: the cache mixes the examples "
                 "of the batch (a state kept for one example and broadcast to all?)")
    else:
        cause = ("the earlier variables agree, so the fast sampler's cache drifts on its own samples "
                 "(teacher-forced steps may still be right: run check_step_consistency); a cache "
                 "entry not updated with the newly sampled value, or the uniform of another variable")
    return CheckResult.fail(
        name, f"the fast sampler's samples differ from the naive sampler's, first at {step} in "
              f"{len(rows)} of {b} examples ({rows_all} examples differ somewhere, in two draws of "
              f"u): {cause}", hint="feed each sampled value back into the cache before the next "
              "step, and draw variable d with u[..., d]",
        step=k, variable=d, rows=rows, rows_differing=rows_all)
