"""Public checks: values and gradients are finite (no NaN, no +-inf).

Solution-free: they only look at what your code returns. Typical causes of a
failure are ``log(0)`` (take logs of probabilities in log space:
``log_softmax``, ``logsigmoid``), ``exp`` overflow, and ``torch.where`` whose
*unselected* branch is ``-inf``/NaN: its gradient is still computed, and
``0 * inf = NaN`` -- clamp the input of ``log`` in that branch.
"""
from __future__ import annotations

from typing import Callable, Mapping

import torch

from arkit.checks.result import CheckResult


def _describe(t: torch.Tensor) -> str:
    nan, pinf, ninf = int(torch.isnan(t).sum()), int(torch.isposinf(t).sum()), int(torch.isneginf(t).sum())
    parts = [f"{n} {what}" for n, what in ((nan, "NaN"), (pinf, "+inf"), (ninf, "-inf")) if n]
    first = tuple(int(i) for i in torch.nonzero(~torch.isfinite(t))[0].tolist())
    return f"{', '.join(parts)} of {t.numel()} values (first at index {first})"


def check_finite(values, name: str = "finite", what: str = "output") -> CheckResult:
    """Pass iff ``values`` (tensor or array-like, any shape) has no NaN/+-inf."""
    t = torch.as_tensor(values).detach()
    if not torch.is_floating_point(t) or bool(torch.isfinite(t).all()):
        return CheckResult.ok(name, f"{what}: all {t.numel()} values are finite")
    return CheckResult.fail(name, f"{what} is not finite: {_describe(t)}. Compute log-probabilities in "
                                  "log space (log_softmax, logsigmoid) instead of log(p).")


def check_finite_gradients(fn: Callable[..., torch.Tensor], inputs: Mapping[str, torch.Tensor],
                           name: str = "finite_gradients", extra_args: tuple = ()) -> CheckResult:
    """Call ``fn(*inputs.values(), *extra_args)``; check the output and d(sum)/d(input) are finite.

    Args:
        fn: the function under test, e.g. ``dmol_log_prob``.
        inputs: name -> tensor, passed positionally in this order; floating ones are
            cloned into leaf tensors with ``requires_grad`` (integer ones, e.g. ``x``, as is).
        extra_args: non-differentiable trailing arguments (e.g. ``num_values``).

    Fails when the output has NaN/inf, when a gradient has NaN/inf, or when an
    input gets no gradient at all (it was not used, or the graph was detached).
    """
    if hasattr(fn, "value_and_grad"):
        # A function running in another process (the grader's sandbox) differentiates
        # itself there and sends back the output and the gradients.
        out, grad_list = fn.value_and_grad(*inputs.values(), *extra_args)
        grads = {k: g for k, g in zip(inputs, grad_list) if inputs[k].is_floating_point()}
    else:
        args = {k: v.detach().clone().requires_grad_(True) if v.is_floating_point() else v
                for k, v in inputs.items()}
        out = fn(*args.values(), *extra_args)
        grads = None
    if not isinstance(out, torch.Tensor):
        return CheckResult.fail(name, f"expected a tensor, got {type(out).__name__}")
    if not bool(torch.isfinite(out).all()):
        return CheckResult.fail(name, f"output is not finite: {_describe(out.detach())}")
    if grads is None:
        if not out.requires_grad:
            return CheckResult.fail(name, "the output does not depend on the inputs through autograd "
                                          "(.detach(), .item(), numpy or torch.no_grad inside?)")
        out.sum().backward()
        grads = {k: v.grad for k, v in args.items() if v.requires_grad}
    for key, grad in grads.items():
        if grad is None:
            return CheckResult.fail(name, f"no gradient reaches `{key}`: it is unused or detached")
        if not bool(torch.isfinite(grad).all()):
            return CheckResult.fail(name, f"gradient w.r.t. `{key}` is not finite: {_describe(grad)}. "
                                          "A torch.where branch that is not selected still backpropagates: "
                                          "clamp the input of log in that branch (e.g. log(clamp(p, min=1e-12))).")
    return CheckResult.ok(name, f"output and gradients w.r.t. {', '.join(grads)} are finite")
