"""Reference-based check of a student's ``fisher_scores(model, x)`` (per-example gradients).

Contract: returns (B, P) with row i = d log p(x_i) / d theta -- log p in **nats** of example i
alone (not the loss, not averaged), theta the trainable parameters of ``model.parameters()``,
each flattened and concatenated in that order. Compared with
:func:`autograder.reference.fisher.fisher_scores` row by row: passes iff every row satisfies
``||s_i - g_i|| <= rtol * ||g_i|| + atol`` (defaults 1e-3 and 1e-6: float32 round-off of
different but exact computations, e.g. ``torch.func.vmap(grad(...))`` vs a loop). On a mismatch
the message says what it looks like: one batch-summed or batch-averaged gradient, the gradient of
the loss (wrong sign), divided by the batch size (loss averaged over the batch), divided by D
(nats/dim) or by ln 2 (bits), transposed, rows or parameters in another order. The function must
not change the model's parameters (checked).
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from arkit.checks.result import CheckResult, exception_text
from autograder.reference.fisher import default_log_prob, fisher_scores as reference_scores, trainable


def _close(s: torch.Tensor, g: torch.Tensor, rtol: float, atol: float) -> bool:
    if s.shape != g.shape:
        return False
    s2, g2 = s.reshape(g.shape[0], -1) if g.dim() > 1 else s[None], g.reshape(g.shape[0], -1) if g.dim() > 1 else g[None]
    return bool(((s2 - g2).norm(dim=-1) <= rtol * g2.norm(dim=-1) + atol).all())


def _one_vector(s: torch.Tensor, g: torch.Tensor, rtol, atol) -> str:
    """What a single (P,) vector (or the same vector in every row) looks like."""
    b = g.shape[0]
    whole = "one gradient for the whole batch, not one per example"
    for sign, of in ((1, "log p"), (-1, "the loss (-log p: wrong sign too)")):
        if _close(s, sign * g.sum(0), rtol, atol):
            return f"the batch-summed gradient of {of}: {whole}"
        if _close(s, sign * g.mean(0), rtol, atol):
            return f"the gradient of {of} averaged over the batch (divided by B = {b}): {whole}"
    return "one vector for the whole batch, not one gradient per example"


def check_fisher_scores(student_fn: Callable, model: torch.nn.Module, x: torch.Tensor,
                        log_prob: Callable | None = None, rtol: float = 1e-3, atol: float = 1e-6,
                        num_vars: int | None = None, name: str = "fisher_scores") -> CheckResult:
    """Check ``student_fn(model, x) -> (B, P)`` against the reference (module docstring).

    Args:
        model: the model whose parameters are differentiated (trusted; the reference uses it
            after the student's call, which must leave the parameters unchanged).
        x: (B, *var_shape) data; B >= 2 so that per-example and batch gradients differ.
        log_prob: ``log_prob(model, x) -> (B,)`` nats; default ``model.log_prob(x)``.
        num_vars: D, to recognise a per-dimension average (default: ``x[0].numel()``).
    """
    before = [p.detach().clone() for p in model.parameters()]
    try:
        out = student_fn(model, x.clone())
    except Exception as exc:  # noqa: BLE001
        return CheckResult.fail(name, f"fisher_scores raised {exception_text(exc)}")
    if any(not torch.equal(a, p.detach()) for a, p in zip(before, model.parameters())):
        return CheckResult.fail(name, "fisher_scores changed the model's parameters (an optimizer "
                                      "step?); it must only compute gradients")
    if isinstance(out, (list, tuple)):
        return CheckResult.fail(name, f"fisher_scores returned a {type(out).__name__}; return one (B, P) "
                                      f"tensor (per-parameter gradients flattened and concatenated)")
    s = torch.as_tensor(out).detach().double().cpu()
    g = reference_scores(model, x, log_prob or default_log_prob)
    b, p = g.shape
    num_vars = x[0].numel() if num_vars is None else num_vars
    details = {"B": b, "P": p, "shape": tuple(s.shape)}
    if not bool(torch.isfinite(s).all()):
        return CheckResult.fail(name, "the scores contain NaN or inf", **details)
    if s.dim() == 1 or (s.dim() == 2 and s.shape[0] == 1 and b > 1):
        if s.numel() == p:
            return CheckResult.fail(name, f"fisher_scores returned shape {tuple(s.shape)}: "
                                          f"{_one_vector(s.reshape(-1), g, rtol, atol)}", **details)
    if tuple(s.shape) == (p, b) and b != p:
        return CheckResult.fail(name, f"shape {tuple(s.shape)} is transposed: one row per example, "
                                      f"(B, P) = ({b}, {p})", **details)
    if s.dim() != 2 or s.shape[0] != b:
        return CheckResult.fail(name, f"fisher_scores returned shape {tuple(s.shape)}, expected (B, P) = "
                                      f"({b}, {p})", **details)
    if s.shape[1] != p:
        counts = [q.numel() for q in trainable(model)]
        return CheckResult.fail(name, f"{s.shape[1]} values per example, but the model has P = {p} "
                                      f"trainable parameters ({len(counts)} tensors: {counts[:6]}...); "
                                      f"include every parameter of model.parameters()", **details)
    if _close(s, g, rtol, atol):
        err = float(((s - g).norm(dim=-1) / g.norm(dim=-1).clamp_min(1e-30)).max())
        return CheckResult.ok(name, f"per-example scores match for all {b} examples x {p} parameters "
                                    f"(max relative error {err:.1e})", max_rel_err=err, **details)
    same_rows = bool((s - s[:1]).abs().max() <= 1e-9 + 1e-6 * s.abs().max())
    scales = [(-1.0, "the gradient of -log p (the loss): wrong sign"),
              (1.0 / b, f"divided by the batch size B = {b}: the gradient of the loss averaged over "
                        f"the batch, taken per example"),
              (-1.0 / b, f"the gradient of the batch-averaged loss (NLL): divided by B = {b} and wrong sign"),
              (1.0 / num_vars, f"divided by D = {num_vars}: the gradient of log p per dimension (nats/dim)"),
              (-1.0 / num_vars, f"the gradient of the loss per dimension: divided by D = {num_vars} and wrong sign"),
              (1.0 / math.log(2), "in bits (divided by ln 2): log p must be in nats"),
              (-1.0 / math.log(2), "the gradient of the loss in bits: divided by ln 2 and wrong sign")]
    cause = None
    if same_rows and b > 1:
        cause = f"every row is the same vector: {_one_vector(s[0], g, rtol, atol)}"
    for c, text in scales:
        if cause is None and _close(s, c * g, rtol, atol):
            cause = text
    if cause is None:
        for perm_name, perm in (("reversed", torch.arange(b).flip(0)),):
            if _close(s, g[perm], rtol, atol):
                cause = f"the rows are in another order ({perm_name}) than the examples"
        row_norms_match = bool(((s.norm(dim=-1) - g.norm(dim=-1)).abs() <= rtol * g.norm(dim=-1) + atol).all())
        sorted_match = _close(s.sort(-1).values, g.sort(-1).values, rtol, atol)
        if cause is None and row_norms_match and sorted_match:
            cause = ("each row holds the right numbers in another order: concatenate the "
                     "parameters in the order of model.parameters(), each flattened in C order")
    rel = ((s - g).norm(dim=-1) / g.norm(dim=-1).clamp_min(1e-30))
    i = int(rel.argmax())
    if cause is None:
        cause = (f"example {i}'s scores differ from d log p(x_{i}) / d theta (relative error "
                 f"{float(rel[i]):.3g})")
    return CheckResult.fail(name, f"fisher_scores is not the per-example gradient of log p: {cause}",
                            hint="for each example i separately: torch.autograd.grad(log_prob(x[i:i+1]).sum(), "
                                 "params), or torch.func.vmap(torch.func.grad(...))",
                            max_rel_err=float(rel.max()), **details)
