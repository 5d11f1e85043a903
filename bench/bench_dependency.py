"""Benchmark: verifying the autoregressive property, three ways, side by side.

* naive  -- one autograd backward per output variable (what most notebooks do);
* jacrev -- the full Jacobian with ``torch.func.jacrev``;
* ours   -- ``arkit.checks.check_autoregressive`` (fast path for conv models).

Models: the deepul HW1 PixelCNN on 28x28 binary images (7x7 type A, 5 x 7x7 type B,
2 x 1x1 type B, 64 channels, 2-way softmax) and a MADE on 784 inputs (512, 512).
Also checks that the verdicts agree. Usage::

    .venv/bin/python bench/bench_dependency.py [--quick]

``--quick`` runs the naive loop on a subset of the outputs and extrapolates
linearly (printed as such); jacrev and ours always run in full.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from arkit.checks.autoregressive import check_autoregressive
from arkit.checks.orders import allowed_matrix, default_order
from autograder.reference.models import MADE, PixelCNN


def deepul_pixelcnn(first_type: str = "A") -> torch.nn.Module:
    torch.manual_seed(0)
    model = PixelCNN(in_channels=1, num_values=2, hidden=64, kernel_size=7, num_b_layers=5, num_1x1=2)
    if first_type == "B":  # a wrong model: the first layer sees the current pixel
        from autograder.reference.masks import pixelcnn_mask
        model.first.mask.copy_(pixelcnn_mask(7, "B", 1, 64))
    return model.eval()


def made784() -> torch.nn.Module:
    torch.manual_seed(0)
    return MADE(784, [512, 512], num_values=2).eval()


def per_var(model, x):
    """(B, D, F) outputs for both models."""
    out = model(x)
    return out.reshape(x.shape[0], out.shape[1], -1).transpose(1, 2) if out.dim() == 5 else out


def naive(model, shape, max_outputs=None):
    """One backward per output; returns (seconds for all D outputs, extrapolated?, dep)."""
    x = torch.randint(0, 2, (1, *shape)).float().requires_grad_(True)
    y = per_var(model, x)
    num = y.shape[1]
    todo = num if max_outputs is None else min(num, max_outputs)
    dep = torch.zeros(todo, num, dtype=torch.bool)
    start = time.perf_counter()
    for d in range(todo):
        (g,) = torch.autograd.grad(y[0, d].sum(), x, retain_graph=True)
        dep[d] = g.reshape(-1) != 0
    seconds = time.perf_counter() - start
    return seconds * num / todo, todo < num, dep


def jacrev(model, shape):
    x = torch.randint(0, 2, shape).float()
    f = lambda v: per_var(model, v.view(1, *shape))[0].sum(-1)  # noqa: E731  (D,) from (D,)
    start = time.perf_counter()
    jac = torch.func.jacrev(f)(x.reshape(-1))
    return time.perf_counter() - start, jac != 0


def ours(model, shape, repeats=3):
    """(cold seconds, median warm seconds, result)."""
    start = time.perf_counter()
    result = check_autoregressive(model, shape, figure=False)
    cold = time.perf_counter() - start
    warm = []
    for _ in range(repeats):
        start = time.perf_counter()
        check_autoregressive(model, shape, figure=False)
        warm.append(time.perf_counter() - start)
    return cold, statistics.median(warm), result


def ar_ok(dep, order):
    return not bool((dep & ~allowed_matrix(order)[: dep.shape[0]]).any())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="naive loop on 64 outputs, extrapolated")
    args, _ = parser.parse_known_args(argv)  # make bench passes its flags to every script
    torch.set_grad_enabled(True)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"load average {os.getloadavg()[0]:.1f}")
    header = f"{'model':<26}{'naive s':>12}{'jacrev s':>10}{'ours s':>9}{'(cold)':>8}" \
             f"{'ours/naive':>12}{'ours/jacrev':>13}  verdicts"
    print(header)
    rows = [("pixelcnn 28x28 (deepul)", deepul_pixelcnn(), (1, 28, 28)),
            ("made 784 (512,512)", made784(), (784,))]
    for name, model, shape in rows:
        t_naive, extrapolated, dep_naive = naive(model, shape, 64 if args.quick else None)
        t_jac, dep_jac = jacrev(model, shape)
        cold, warm, result = ours(model, shape)
        order = default_order(shape)
        agree = ar_ok(dep_naive, order) == ar_ok(dep_jac, order) == result.passed
        mark = "*" if extrapolated else " "
        print(f"{name:<26}{t_naive:>11.2f}{mark}{t_jac:>10.2f}{warm:>9.3f}{cold:>8.2f}"
              f"{warm / t_naive:>12.4f}{warm / t_jac:>13.4f}  "
              f"{'agree' if agree else 'DISAGREE'} ({'pass' if result.passed else 'fail'}, "
              f"{result.details['path']})")
    start = time.perf_counter()
    wrong = check_autoregressive(deepul_pixelcnn("B"), (1, 28, 28), figure=False)
    print(f"wrong pixelcnn (first layer 'B'): {'fail' if not wrong.passed else 'PASS?!'} in "
          f"{time.perf_counter() - start:.3f} s: {wrong.message[:90]}")
    if args.quick:
        print("* naive measured on the first 64 outputs and extrapolated linearly to all outputs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
