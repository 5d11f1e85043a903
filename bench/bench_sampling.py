"""Benchmark: fast (cached) vs naive sampling, same uniforms, same run.

* reference WaveNet (``autograder.reference.models.wavenet``): D = 784 binary variables
  (a 28x28 image in raster order), batch 64, 16 channels, dilations 1..512 (10 gated layers);
* reference masked-attention model with a KV cache (``...models.kv_attention``): D = 256
  (16x16), batch 64, width 32, 2 heads, 2 layers.

Naive = re-run the parallel network on the prefix x_<=t at every step; fast = one cached step
per variable. Both draw with the same uniforms (the contract of
``arkit.checks.check_sampler_equivalence``), so the samples must be identical; the table prints
the wall-clock ratio and whether they are. Then the counted work (``check_cost_scaling``, no
clock) at two sizes: the exponent of D in the total work, fast vs naive. Usage::

    .venv/bin/python bench/bench_sampling.py [--quick]

``--quick``: D = 256 for the WaveNet and 64 for the attention model (naive sampling is O(D^2)).
``--threads N`` (default 1) sets the torch threads of both samplers.

Measured 2026-12-01 on the shared 2-core box (load average ~9, 1 thread): WaveNet D = 784, batch
64: naive 295 s, fast 3.1 s, 96x, samples identical; attention D = 256: naive 40 s, fast 1.6 s,
25x, identical. Counted work: WaveNet fast D^1.20 vs naive D^2.19 (125x less work at D = 256);
attention fast D^1.20 vs naive D^2.25 (72x at D = 128). The full run takes ~6 minutes (the naive
WaveNet baseline); ``--quick`` about 45 s at the same load.
"""
from __future__ import annotations

import argparse
import os
import time

import torch

from arkit.checks.cost_scaling import check_cost_scaling
from autograder.reference.models.kv_attention import KVTransformer
from autograder.reference.models.wavenet import WaveNet
from autograder.reference.sampling import sample_fast, sample_naive


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def build(kind: str, d: int):
    if kind == "wavenet":
        return WaveNet(d, channels=16)
    return KVTransformer(d, dim=32, heads=2, layers=2)


def compare(label: str, kind: str, d: int, batch: int) -> None:
    model = build(kind, d).eval()
    u = torch.rand(batch, d, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    sample_fast(model.step, u[:, :8])  # warm-up
    t_fast, fast = timed(sample_fast, model.step, u)
    t_naive, naive = timed(sample_naive, model, u)
    same = torch.equal(fast, naive)
    print(f"{label:<34}{d:>5}{batch:>6}{t_naive:>10.2f}{t_fast:>9.3f}{t_naive / t_fast:>9.1f}x  "
          f"{'identical' if same else 'DIFFERENT (%d of %d)' % (int((fast != naive).sum()), fast.numel())}")


def cost_rows(quick: bool) -> None:
    sizes = {"wavenet": (32, 128) if quick else (64, 256), "attention": (16, 64) if quick else (32, 128)}
    print(f"\n{'counted work (check_cost_scaling)':<34}{'sizes':>12}{'fast':>10}{'naive':>10}"
          f"{'work ratio at largest D':>26}")
    for kind, expect in (("wavenet", "constant"), ("attention", "linear")):
        rows = {}
        for how in ("fast", "naive"):
            def sampler(n, how=how):
                m = build(kind, n) if kind == "wavenet" else KVTransformer(n, dim=32, heads=2, layers=2)
                u = torch.rand(4, n, generator=torch.Generator().manual_seed(n), dtype=torch.float64)
                return sample_fast(m.step, u) if how == "fast" else sample_naive(m, u)
            rows[how] = check_cost_scaling(sampler, sizes[kind], expect=expect)
        exp = {h: r.details.get("exponent", float("nan")) for h, r in rows.items()}
        work = {h: r.details["rows"][-1]["count"] for h, r in rows.items()}
        print(f"{kind + ' total work ~ D^e':<34}{str(sizes[kind]):>12}{exp['fast']:>10.2f}{exp['naive']:>10.2f}"
              f"{work['naive'] / work['fast']:>25.1f}x   (fast {'pass' if rows['fast'].passed else 'FAIL'}, "
              f"naive {'fail' if not rows['naive'].passed else 'PASS?!'} as {expect!r})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller D (naive sampling is O(D^2))")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads for both samplers (default 1: on a shared 2-core box two "
                             "threads per process thrash and slow tiny per-step ops 10-50x)")
    args, _ = parser.parse_known_args(argv)
    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(False)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'model':<34}{'D':>5}{'batch':>6}{'naive s':>10}{'fast s':>9}{'ratio':>10}  samples")
    compare("wavenet (16 ch, 10 layers)", "wavenet", 256 if args.quick else 784, 64)
    compare("masked attention + KV cache", "attention", 64 if args.quick else 256, 64)
    cost_rows(args.quick)
    print("target (issue 13): wavenet ratio >= 20x at D = 784 on 2 CPU cores, samples identical")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
