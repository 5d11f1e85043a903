"""Benchmark: verifying the autoregressive property, three ways, side by side.

* naive  -- one autograd backward per output variable (what most notebooks do);
* jacrev -- the full Jacobian with ``torch.func.jacrev``: on one input (``jacrev 1``) and on the
  same test inputs the check takes its union over (``jacrev =``: 2 inputs when D > 256, else 4);
* grads  -- ``arkit.checks.dependency.gradient_dependency_and_seen`` on those same inputs: the same
  Jacobian pattern jacrev gives (the part of the check that computes a Jacobian);
* ours   -- ``arkit.checks.check_autoregressive`` with its defaults: the convolutional fast path
  for conv models; on the full path the gradient union over those inputs PLUS D black-box cut
  forward passes PLUS liveness, i.e. more evidence than the Jacobian.

Besides seconds, the floating-point operations each way computes are counted (``GF``, 1e9, with
``arkit.checks.WorkCounter``): deterministic, so the cost ratio of ours to jacrev does not depend
on the machine or its load. A Jacobian row costs one backward pass per test input whichever way it
is computed, and each cut one forward pass, so on the full path ours = jacrev on the same inputs +
D forward passes: 1.5x jacrev's operations for a MADE (6.91 vs 4.60 GFLOP at D = 784). That is the
floor while both the union over inputs and the exhaustive cuts are kept; the wall-clock ratio
approaches it from above.

Models: the deepul HW1 PixelCNN on 28x28 binary images (7x7 type A, 5 x 7x7 type B,
2 x 1x1 type B, 64 channels, 2-way softmax), a MADE on 784 inputs (512, 512), and a small
causal self-attention image model (2 layers, 2 heads, width 16; iGPT-style shifted input,
learned positions) at D = 400 with an explicit softmax (``manual``: jacrev batches it) and with
``scaled_dot_product_attention`` (``sdpa``: no batching rule for its backward, jacrev falls back
to a loop), and at D = 784 (ours only: jacrev would hold a (D, D, D) tensor per layer).
Also checks that the verdicts agree. Usage::

    .venv/bin/python bench/bench_dependency.py [--quick]

``--quick`` runs the naive loop on a subset of the outputs and extrapolates
linearly (printed as such); jacrev and ours always run in full. MADE times are wall-clock medians
of 5 interleaved repeats after one warm-up; the slower rows run once (ours' first call, so its
"cold" equals its time). On a shared, loaded machine compare the ratios, not the seconds.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import torch
from torch import nn

from arkit.checks.autoregressive import check_autoregressive
from arkit.checks.cost_scaling import WorkCounter
from arkit.checks.dependency import gradient_dependency_and_seen
from arkit.checks.orders import allowed_matrix, default_order
from arkit.checks.outputs import default_to_vars
from arkit.checks.probe import ModelProbe
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


class CausalAttention(nn.Module):
    """x (B, 1, H, W) in {0, 1} -> Bernoulli logits (B, 1, H, W): shifted input, learned positions,
    pre-LayerNorm blocks of causal self-attention (diagonal included) and an MLP."""

    def __init__(self, h, w, embed=16, heads=2, layers=2, style="manual", seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.h, self.w, self.d, self.heads, self.style = h, w, h * w, heads, style
        self.value, self.start = nn.Linear(1, embed), nn.Parameter(torch.randn(embed))
        self.pos = nn.Parameter(0.5 * torch.randn(self.d, embed))
        self.qkv = nn.ModuleList(nn.Linear(embed, 3 * embed) for _ in range(layers))
        self.proj = nn.ModuleList(nn.Linear(embed, embed) for _ in range(layers))
        self.mlp = nn.ModuleList(nn.Sequential(nn.Linear(embed, 2 * embed), nn.GELU(), nn.Linear(2 * embed, embed))
                                 for _ in range(layers))
        self.norms = nn.ModuleList(nn.LayerNorm(embed) for _ in range(2 * layers))
        self.head = nn.Linear(embed, 1)
        self.register_buffer("allowed", torch.ones(self.d, self.d, dtype=torch.bool).tril())

    def forward(self, x):
        b = x.shape[0]
        v = self.value(x.reshape(b, self.d, 1).float())                          # (B, D, E)
        z = torch.cat([self.start.expand(b, 1, -1), v[:, :-1]], dim=1) + self.pos
        for i, (qkv, proj, mlp) in enumerate(zip(self.qkv, self.proj, self.mlp)):
            z = z + proj(self._attend(qkv(self.norms[2 * i](z))))
            z = z + mlp(self.norms[2 * i + 1](z))
        return self.head(z).view(b, 1, self.h, self.w)

    def _attend(self, qkv):
        b, d, e3 = qkv.shape
        q, k, v = (t.reshape(b, d, self.heads, -1).transpose(1, 2) for t in qkv.split(e3 // 3, dim=-1))
        if self.style == "sdpa":
            out = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=self.allowed)
        else:
            scores = (q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])).masked_fill(~self.allowed, float("-inf"))
            out = scores.softmax(dim=-1) @ v                                      # (B, heads, D, E/heads)
        return out.transpose(1, 2).reshape(b, d, -1)


def per_var(model, x, shape):
    """(B, D, F) outputs, as the check reads them."""
    return default_to_vars(model(x), tuple(shape))


def naive(model, shape, max_outputs=None):
    """One backward per output; returns (seconds for all D outputs, extrapolated?, dep)."""
    x = torch.randint(0, 2, (1, *shape)).float().requires_grad_(True)
    y = per_var(model, x, shape)
    num = y.shape[1]
    todo = num if max_outputs is None else min(num, max_outputs)
    dep = torch.zeros(todo, num, dtype=torch.bool)
    start = CLOCK()
    for d in range(todo):
        (g,) = torch.autograd.grad(y[0, d].sum(), x, retain_graph=True)
        dep[d] = g.reshape(-1) != 0
    seconds = CLOCK() - start
    return seconds * num / todo, todo < num, dep


def check_inputs(shape, num):
    """The test inputs check_autoregressive draws (seed 0), as floats (num, *shape)."""
    x, _ = ModelProbe(lambda v: v.reshape(v.shape[0], -1), shape, 2, input_dtype=torch.float32).sample(num, 0)
    return x.float()


def jacrev_fn(model, shape, num_inputs):
    """() -> dependency bool (D, D): union over ``num_inputs`` inputs of jacrev's Jacobian != 0."""
    xs = check_inputs(shape, num_inputs)
    f = lambda v: per_var(model, v.view(1, *shape), shape)[0].sum(-1)  # noqa: E731  (D,) from (D,)

    def run():
        dep = None
        for x in xs:
            jac = torch.func.jacrev(f)(x.reshape(-1)) != 0
            dep = jac if dep is None else dep | jac
        return dep
    return run


def default_num_inputs(shape):
    return 4 if math.prod(shape) <= 256 else 2


CLOCK = time.perf_counter  # --clock cpu: time.process_time (CPU seconds of this process; with
                           # --threads 1 the least disturbed by other jobs on a loaded machine)


def timed(fn):
    start = CLOCK()
    out = fn()
    return CLOCK() - start, out


def compare(model, shape, kw, with_jacrev=True, repeats=3):
    """Interleaved repeats: {'jac1', 'jacn', 'ours': median s}, ours' cold s, result, jacrev dep."""
    ours = lambda: check_autoregressive(model, shape, figure=False, **kw)  # noqa: E731
    fns = {"ours": ours}
    if with_jacrev:
        probe = ModelProbe(model, shape, 2)
        x, _ = probe.sample(default_num_inputs(shape), 0)                 # the check's test inputs
        fns = {"jac1": jacrev_fn(model, shape, 1), "jacn": jacrev_fn(model, shape, default_num_inputs(shape)),
               "grads": lambda: gradient_dependency_and_seen(probe, x), "ours": ours}
    cold, result = timed(ours)
    times = {name: [] for name in fns}
    outs = {}
    for name, fn in fns.items():
        if name != "ours":
            seconds, outs[name] = timed(fn)                             # a warm-up when repeats > 1
            if repeats == 1:
                times[name].append(seconds)
    if repeats == 1:
        times["ours"].append(cold)
    for _ in range(repeats if repeats > 1 else 0):
        for name, fn in fns.items():
            times[name].append(timed(fn)[0])
    flops = {}
    if with_jacrev:                       # deterministic: the operations each way computes (no clock)
        for name in ("jacn", "ours"):
            with WorkCounter() as counter:
                fns[name]()
            flops[name] = counter.flops
    return {k: statistics.median(v) for k, v in times.items()}, cold, result, outs.get("jacn"), flops


def ar_ok(dep, order):
    return not bool((dep & ~allowed_matrix(order)[: dep.shape[0]]).any())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="naive loop on 64 outputs, extrapolated")
    parser.add_argument("--models", default="", help="comma-separated substrings of the model names to run")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall", help="wall-clock or CPU seconds")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args, _ = parser.parse_known_args(argv)  # make bench passes its flags to every script
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.set_grad_enabled(True)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"load average {os.getloadavg()[0]:.1f}, {args.clock} seconds")
    print(f"{'model':<27}{'naive s':>9}{'jacrev 1':>10}{'jacrev =':>10}{'grads s':>9}{'ours s':>9}{'(cold)':>8}"
          f"{'ours/naive':>11}{'ours/jac 1':>11}{'ours/jac =':>11}{'grads/jac =':>12}{'GF jac =':>9}{'GF ours':>8}"
          f"{'GF o/j=':>8}  verdicts")
    generic = dict(family="generic")
    torch.func.jacrev(torch.sin)(torch.ones(3))                        # functorch's one-off start-up cost
    rows = [("pixelcnn 28x28 (deepul)", deepul_pixelcnn(), (1, 28, 28), {}, True, 1),
            ("made 784 (512,512)", made784(), (784,), {}, True, 5),
            ("attention 20x20 manual", CausalAttention(20, 20).eval(), (1, 20, 20), generic, True, 1),
            ("attention 20x20 sdpa", CausalAttention(20, 20, style="sdpa").eval(), (1, 20, 20), generic, True, 1),
            ("attention 28x28 sdpa", CausalAttention(28, 28, style="sdpa").eval(), (1, 28, 28), generic, False, 1)]
    wanted = [m for m in args.models.split(",") if m]
    for name, model, shape, kw, with_jacrev, repeats in rows:
        if wanted and not any(m in name for m in wanted):
            continue
        t_naive, extrapolated, dep_naive = naive(model, shape, 64 if args.quick else None)
        times, cold, result, dep_jac, flops = compare(model, shape, kw, with_jacrev, repeats)
        order = default_order(shape)
        verdicts = [ar_ok(dep_naive, order), result.passed] + ([ar_ok(dep_jac, order)] if with_jacrev else [])
        agree = len(set(verdicts)) == 1
        ours = times["ours"]
        jac = (f"{times['jac1']:>10.3f}{times['jacn']:>10.3f}{times['grads']:>9.3f}" if with_jacrev
               else f"{'-':>10}{'-':>10}{'-':>9}")
        ratios = (f"{ours / times['jac1']:>11.2f}{ours / times['jacn']:>11.2f}{times['grads'] / times['jacn']:>12.2f}"
                  if with_jacrev else f"{'-':>11}{'-':>11}{'-':>12}")
        ratios += (f"{flops['jacn'] / 1e9:>9.2f}{flops['ours'] / 1e9:>8.2f}{flops['ours'] / flops['jacn']:>8.2f}"
                   if flops else f"{'-':>9}{'-':>8}{'-':>8}")
        print(f"{name:<27}{t_naive:>8.2f}{'*' if extrapolated else ' '}{jac}{ours:>9.3f}{cold:>8.2f}"
              f"{ours / t_naive:>11.3f}{ratios}  {'agree' if agree else 'DISAGREE'} "
              f"({'pass' if result.passed else 'fail'}, {result.details['path']}, "
              f"{result.details.get('cuts')} cuts)", flush=True)
    start = time.perf_counter()
    wrong = check_autoregressive(deepul_pixelcnn("B"), (1, 28, 28), figure=False)
    print(f"wrong pixelcnn (first layer 'B'): {'fail' if not wrong.passed else 'PASS?!'} in "
          f"{time.perf_counter() - start:.3f} s: {wrong.message[:90]}")
    print("jacrev 1: one input; jacrev =: the check's test inputs (its union); grads: our gradient union over "
          "the same inputs (the same Jacobian pattern); ours: the whole check, which adds D cut forward passes "
          "and liveness on the full path; GF: 1e9 floating-point operations counted (arkit.checks.WorkCounter, 2 per multiply-add), the same on "
          "any machine: on the full path ours = jacrev = (the gradient union) + one forward pass per cut, so "
          "GF o/j= is 1.5 for a MADE and keeping both the union and the exhaustive cuts cannot go below it")
    if args.quick:
        print("* naive measured on the first 64 outputs and extrapolated linearly to all outputs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
