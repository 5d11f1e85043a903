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

    Finite gradients are confirmed with forward evaluations this check chooses: along two
    random directions per input, the reported gradient must match central (or, at a kink,
    one-sided) finite differences of ``fn``. A function in another process (the grader's
    sandbox, ``fn.value_and_grad``) differentiates itself there; its output is recomputed
    with a forward call and its gradients are only a claim until they agree.
    """
    inputs = {k: v.detach().clone() for k, v in inputs.items()}   # fn may modify what it is given
    if hasattr(fn, "value_and_grad"):
        # The other process sends back its output and gradients: claims, confirmed below. A
        # non-finite output is a claim against itself; a finite one is recomputed here.
        out, grad_list = fn.value_and_grad(*[v.clone() for v in inputs.values()], *extra_args)
        if not isinstance(out, torch.Tensor) or bool(torch.isfinite(out).all()):
            with torch.no_grad():
                out = fn(*[v.clone() for v in inputs.values()], *extra_args)
        grads = {k: g for k, g in zip(inputs, grad_list) if inputs[k].is_floating_point()}
    else:
        args = {k: v.detach().clone().requires_grad_(True) if v.is_floating_point() else v.clone()
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
    wrong = _disagreement(fn, inputs, extra_args, grads)
    if wrong:
        return CheckResult.fail(name, f"the gradient w.r.t. `{wrong}` does not match finite differences of the "
                                      "function's own values: the reported gradient is not the gradient of what "
                                      "the function computes (a custom backward, or values changed after the graph)")
    return CheckResult.ok(name, f"output and gradients w.r.t. {', '.join(grads)} are finite "
                                "(and agree with finite differences)")


def _disagreement(fn: Callable, inputs: Mapping[str, torch.Tensor], extra_args: tuple,
                  grads: Mapping[str, torch.Tensor], directions: int = 2, seed: int = 0) -> str | None:
    """Name of the first input whose gradient of ``fn(...).sum()`` disagrees with finite differences.

    Along a random unit direction ``v``, ``<grad, v>`` must match the central difference, or one
    of the one-sided differences (at a kink, e.g. a clamp, autograd takes one side), at step
    ``h`` or ``h / 10``; relative tolerance 2%, plus the rounding noise of the sum (``eps S / h``).
    """
    gen = torch.Generator().manual_seed(seed)

    out_eps = [0.0]

    def total(key, x):
        args = [(x if k == key else v).clone() for k, v in inputs.items()]   # fresh copies: fn may modify them
        with torch.no_grad():
            out = torch.as_tensor(fn(*args, *extra_args))
        if out.is_floating_point():
            out_eps[0] = max(out_eps[0], torch.finfo(out.dtype).eps)
        return float(out.double().sum())

    for key, grad in grads.items():
        x = inputs[key]
        f0 = total(key, x)
        # the precision the function computes in: a float64 input it rounds to float32 inside gives
        # exactly the value of the input rounded to float32
        eps = max(torch.finfo(x.dtype).eps, out_eps[0])
        if x.dtype == torch.float64:
            rounded = x.float().double()
            if not torch.equal(rounded, x) and total(key, rounded) == f0:
                eps = torch.finfo(torch.float32).eps
        scale = 1.0 + float(x.detach().abs().max())
        precisions = (eps,)
        for _ in range(directions):
            v = torch.randn(x.shape, generator=gen, dtype=torch.float64)
            v = v / v.norm().clamp_min(1e-30)
            # at several kinks at once (inputs exactly on a clamp) a mixed-sign direction crosses
            # them on different sides; a same-sign direction crosses all on one side
            if not any(_agrees(total, key, x, f0, grad, w, eps ** (1 / 3) * scale, eps)
                       for eps in precisions for w in (v, v.abs(), -v.abs())):
                return key
    return None


def _agrees(total, key, x, f0, grad, v, base_h, eps) -> bool:
    claimed = float((grad.double() * v).sum())
    for h in (base_h, base_h / 10):
        up = total(key, (x.double() + h * v).to(x.dtype))
        down = total(key, (x.double() - h * v).to(x.dtype))
        noise = 8 * eps * (1.0 + abs(f0) + abs(up) + abs(down)) / h
        for fd in ((up - down) / (2 * h), (up - f0) / h, (f0 - down) / h):
            if abs(fd - claimed) <= 0.02 * (abs(fd) + abs(claimed)) + noise:
                return True
    return False
