"""Questions of notebook ``02_wavenet`` (25 points): causal dilated convolutions, a WaveNet over
the flattened image, and cached generation.

Every grade function only *calls* the exposed objects with inputs it chooses and decides with
trusted code: a reference causal convolution, ``check_autoregressive`` plus the held-out audit,
the calibrated held-out NLL, ``check_step_consistency`` (the parent drives every step and holds
the cache between steps), ``check_sampler_equivalence`` (the student's samplers, and the parent's
own loop over the student's step) and a deterministic count of what one cached step reads.

Cost without a clock, from the trusted parent: the work done inside the student's process is
invisible to the parent, but the step contract makes every step a function of ``(x_prev, t,
cache)`` only, with the cache a tree of batch-first tensors that passes through the parent. The
parent then counts how many numbers of the cache the step's logits depend on (each number
changed in turn, in batched group tests: :func:`cache_reads`) at an early and a late step. A
cached step reads one entry per block whatever t; a step that recomputes the prefix must read
the whole prefix, so its count grows like t. That count is a lower bound of the step's work; the
notebook's public cell counts FLOPs with ``check_cost_scaling`` (in-process, where it can see
them). Wall-clock times of the two samplers are *reported* in the sampler question's details,
never graded.
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Mapping

import torch
import torch.nn.functional as F

from arkit.checks.result import CheckResult, combine
from autograder.assignments.base import GradingContext, Question, register
from autograder.assignments.spec import ParamFnSpec
from autograder.examples import Mutation

ASSIGNMENT = "hw2"
NOTEBOOK = "02_wavenet"
DATASET = "binarized_mnist"
SHAPE = (1, 28, 28)
D = 28 * 28
CI_MAX_EXAMPLES = 1000          # held-out images per threshold evaluation in the ci profile
AR_AUDIT_IMAGES = 32            # held-out images (and their splices) audited for the AR question
STEP_IMAGES = 3                 # held-out images fed through the cached step
SAMPLE_PIXELS = 160             # samplers compared on the first 160 pixels (past the d = 128 queue's wrap;
                                # every queue, d = 512 included, is checked over all 784 steps by the step question)
READ_STEPS = (D // 8 - 1, D - 1)  # early and late step at which cache reads are counted
MAX_READ_EXPONENT = 0.5         # reads ~ t^e; a cached step has e ~ 0, a recomputing one e ~ 1
PROBE_NUMBERS = 1 << 22         # cache numbers per probe call (rows x numbers per row)

MODEL = ParamFnSpec("wavenet_model", DATASET, "categorical", SHAPE)
PARAMS = ParamFnSpec("wavenet_mnist_params", DATASET, "categorical", SHAPE, same_model_as="wavenet_model")


def _heldout(n: int) -> torch.Tensor:
    from autograder.heldout import load_heldout

    return torch.as_tensor(load_heldout(DATASET).x[:n]).long()


# ----------------------------------------------------------------- 1. causal convolution
# (in_channels, out_channels, kernel_size, dilation), T = 20
CONV_CONFIGS = ((1, 1, 2, 1), (2, 3, 2, 4), (3, 2, 3, 2), (2, 2, 2, 8), (1, 2, 4, 3))
CONV_T = 20


def reference_causal_conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, dilation: int) -> torch.Tensor:
    """Causal dilated conv in float64: left-pad (k-1) d zeros. x (B, C_in, T) -> (B, C_out, T)."""
    k = weight.shape[-1]
    return F.conv1d(F.pad(x.double(), ((k - 1) * dilation, 0)), weight.double(), bias.double(), dilation=dilation)


def _conv_problem(r: Any, x: torch.Tensor, config) -> tuple[str, str] | None:
    """(cause, hint) of what is wrong with one probe report, None if it is right."""
    cin, cout, k, d = config
    where = f" (CausalConv1d({cin}, {cout}, {k}, dilation={d}), T = {x.shape[-1]})"
    if not isinstance(r, Mapping) or not all(isinstance(r.get(n), torch.Tensor) for n in ("out", "weight", "bias")):
        return "the probe did not return the expected tensors" + where, "do not change the probe cell"
    w, b, out = r["weight"], r["bias"], r["out"].double()
    if tuple(w.shape) != (cout, cin, k):
        return (f"weight shaped {tuple(w.shape)}, expected {(cout, cin, k)}" + where,
                "pass the arguments on to nn.Conv1d")
    want = reference_causal_conv(x, w, b, d)
    if tuple(out.shape) != tuple(want.shape):
        return (f"output shaped {tuple(out.shape)}, expected {tuple(want.shape)}: the output must keep the "
                f"input's length" + where, "pad (k-1)*dilation zeros on the left only, and nothing on the right")
    if torch.allclose(out, want, atol=1e-4, rtol=1e-4):
        return None
    t_len = x.shape[-1]
    for s in range(1, (k - 1) * d + 2):             # output t == reference output t + s: reads the future
        if torch.allclose(out[..., : t_len - s], want[..., s:], atol=1e-4, rtol=1e-4):
            return (f"output t depends on inputs up to t + {s}: it sees the future (the padding is off by {s}, "
                    f"or the convolution is cut at the wrong end)" + where,
                    "pad (k-1)*dilation zeros on the left of the input and none on the right")
        if torch.allclose(out[..., s:], want[..., : t_len - s], atol=1e-4, rtol=1e-4):
            return (f"output t is the causal output of t - {s}: everything is delayed by {s} (too much "
                    f"left padding); output t must read input t" + where,
                    "pad exactly (k-1)*dilation zeros on the left")
    if d > 1 and torch.allclose(out, reference_causal_conv(x, w, b, 1), atol=1e-4, rtol=1e-4):
        return "the dilation is not applied" + where, "pass dilation on to nn.Conv1d"
    err = float((out - want).abs().max())
    return (f"output differs from the causal dilated convolution by up to {err:.3g}" + where,
            "output t = bias + sum_j weight[:, :, j] @ x[t - (k-1-j) * dilation]")


def grade_conv(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """CausalConv1d equals the reference causal dilated convolution on several configurations."""
    probe = objects["wavenet_causal_conv_probe"]
    gen = torch.Generator().manual_seed(ctx.seed)
    problems = []
    for n, config in enumerate(CONV_CONFIGS):
        x = torch.randn(2, config[0], CONV_T, generator=gen)
        problem = _conv_problem(probe(*config, x.clone(), ctx.seed + n), x, config)
        if problem:
            problems.append(problem)
    if problems:
        return CheckResult.fail("causal_conv", problems[0][0], score=1 - len(problems) / len(CONV_CONFIGS),
                                hint=problems[0][1], problems=[p[0] for p in problems])
    return CheckResult.ok("causal_conv", f"CausalConv1d is right on {len(CONV_CONFIGS)} configurations")


# ----------------------------------------------------------------- 2./3. model and NLL
def grade_ar(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """Autoregressive in raster order over the flattened image and sees its immediate past (family
    'pixelcnn': the left neighbour and the pixel above), then the held-out audit.

    Not 'gated': a WaveNet reaches every earlier pixel by design, but through forward-only proxies
    dependencies are found by single-input perturbations (|change| > 1e-5 relative), and a trained
    WaveNet's sensitivity to pixels a dozen rows back is often below that: the blind-spot rule
    would fail correct models (measured on the ci solution: a 65-pixel "wedge" remotely, none with
    gradients). The coverage is reported."""
    from arkit.checks.autoregressive import check_autoregressive
    from autograder.checks.ar_audit import audit_heldout

    model = objects["wavenet_model"]
    result = check_autoregressive(model, SHAPE, num_values=2, family="pixelcnn", convolutional=False,
                                  exhaustive=False, output_shape=(2, *SHAPE), seed=ctx.seed,
                                  name="wavenet.autoregressive")
    if not result.passed and result.score == 0:
        return result
    audit = audit_heldout(model, MODEL, AR_AUDIT_IMAGES, seed=ctx.seed, name="wavenet.autoregressive")
    return result if audit.passed else audit


def grade_nll(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """Held-out NLL (nats/dim) on binarized_mnist against the calibrated threshold."""
    from autograder.checks.threshold import check_threshold

    result = check_threshold(objects["wavenet_mnist_params"], ASSIGNMENT, DATASET, "wavenet_nll_test",
                             "categorical", ctx.profile, max_examples=CI_MAX_EXAMPLES if ctx.profile == "ci" else None)
    result.label = DATASET
    return result


# ----------------------------------------------------------------- 4. cached step
def check_interleaved(parallel_fn: Callable, step_fn: Callable, xa: torch.Tensor, xb: torch.Tensor,
                      atol: float = 1e-4, rtol: float = 1e-3) -> CheckResult:
    """Two sequences generated step by step *alternately* (a step of ``xa``, a step of ``xb``, each
    with its own cache, different batch sizes) must both give the parallel parameters: a step that
    keeps state outside its cache (a global, an attribute of the model) mixes them up."""
    name = "step_consistency.interleaved"
    from arkit.checks.step_consistency import per_variable

    with torch.no_grad():
        want = [per_variable(torch.as_tensor(parallel_fn(x.clone())), x).double() for x in (xa, xb)]
    flats = [x.reshape(x.shape[0], -1) for x in (xa, xb)]
    caches, prev = [None, None], [torch.zeros_like(f[:, 0]) for f in flats]
    head = ("generating two sequences alternately (one step of each in turn, each with its own cache, "
            "batches of 2 and 1)")
    cause = ("although one sequence at a time matches: the step keeps state outside the cache it returns "
             "(a global or an attribute of the model)")
    hint = "keep everything a step needs in the cache it returns, and nothing anywhere else"
    for t in range(flats[0].shape[1]):
        for i in (0, 1):
            try:
                params, caches[i] = step_fn(prev[i].clone(), t, caches[i])
            except Exception as exc:  # noqa: BLE001  (student code)
                return CheckResult.fail(name, f"{head}, step {t + 1} of sequence {'AB'[i]} raised "
                                              f"{type(exc).__name__}: {str(exc)[:200]}, {cause}", hint=hint, step=t)
            params = torch.as_tensor(params).detach().double().reshape(flats[i].shape[0], -1)
            w = want[i][:, t]
            if params.shape != w.shape or not bool(((params - w).abs() <= atol + rtol * w.abs()).all()):
                return CheckResult.fail(name, f"{head}, the logits of sequence {'AB'[i]} differ from the parallel "
                                              f"pass at step {t + 1}, {cause}", hint=hint, step=t)
            prev[i] = flats[i][:, t]
    return CheckResult.ok(name, "two sequences generated alternately match the parallel pass")


def grade_step(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """The cached step equals the parallel pass at every step on held-out images (the parent feeds
    the steps and hands each cache back), also when two sequences alternate."""
    from arkit.checks.step_consistency import check_step_consistency

    model, step = objects["wavenet_model"], objects["wavenet_step_fn"]
    x = _heldout(STEP_IMAGES)
    result = check_step_consistency(model, step, x, num_values=2, name="step_consistency")
    if not result.passed:
        return result
    inter = check_interleaved(model, step, x[:2], x[2:3])
    if not inter.passed:
        return inter
    result.message += "; also when two sequences are generated alternately"
    return result


# ----------------------------------------------------------------- 5. samplers
def parent_loop_sampler(step_fn: Callable) -> Callable:
    """The trusted cached sampler over the student's step: u (B, 1, 28, 28) -> samples (same shape).
    Variable t is drawn in this process with ``sample_with_uniforms(logits_t, u[:, t])``."""
    from autograder.reference.sampling import sample_fast

    def sampler(u: torch.Tensor) -> torch.Tensor:
        return sample_fast(step_fn, u.reshape(u.shape[0], -1)).reshape(u.shape)
    return sampler


class _Timed:
    """Calls ``fn`` and keeps the wall-clock seconds of its calls (reported, never graded)."""

    def __init__(self, fn: Callable):
        self.fn, self.seconds = fn, []

    def __call__(self, *args):
        start = time.perf_counter()
        out = self.fn(*args)
        self.seconds.append(time.perf_counter() - start)
        return out


class _Memo:
    """The naive sampler's answer to a u it was already asked about (same u: same samples, by the
    contract; the first check asks each u afresh and fails a sampler that is not a function of u)."""

    def __init__(self, fn: Callable):
        self.fn, self.seen = fn, {}

    def __call__(self, u: torch.Tensor):
        key = (tuple(u.shape), u.numpy().tobytes())
        if key not in self.seen:
            self.seen[key] = self.fn(u)
        return self.seen[key].clone()


def grade_sampler(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """Same samples from the same uniforms: the student's cached sampler vs the student's naive
    one, and this process's loop over the student's step vs the naive one (its own samples fed back)."""
    from arkit.checks.sampler_equivalence import check_sampler_equivalence

    shape = (2, SAMPLE_PIXELS)
    naive, cached = _Timed(objects["wavenet_sample_naive"]), _Timed(objects["wavenet_sample_cached"])
    own = check_sampler_equivalence(naive, cached, shape, seed=ctx.seed, name="sampler_equivalence.samplers")
    own.label = "sample_cached vs sample_naive"
    loop = check_sampler_equivalence(_Memo(naive), parent_loop_sampler(objects["wavenet_step_fn"]), shape,
                                     seed=ctx.seed, name="sampler_equivalence.step")
    loop.label = "wavenet_step, its own samples fed back, vs sample_naive"
    result = combine("sampler_equivalence", [own, loop])
    failed = [p for p in (own, loop) if not p.passed]
    if len(failed) == 1:                         # say which pair of samplers differs
        result.message = f"{failed[0].label}: {result.message}"
    if naive.seconds and cached.seconds:
        n_s, c_s = min(naive.seconds), min(cached.seconds)
        result.details["timing"] = {"pixels": SAMPLE_PIXELS, "batch": shape[0], "naive_s": round(n_s, 3), "cached_s": round(c_s, 3),
                                    "speedup": round(n_s / max(c_s, 1e-9), 1), "graded": False}
        if result.passed:
            result.message = (f"{own.message}; measured here (not graded): naive {n_s:.2f} s, cached {c_s:.2f} s "
                              f"for {shape[0]} images, first {SAMPLE_PIXELS} pixels, {n_s / max(c_s, 1e-9):.1f}x faster")
    return result


# ----------------------------------------------------------------- 6. cost: what one step reads
def _tensors(tree: Any, out: list) -> list:
    if isinstance(tree, torch.Tensor):
        out.append(tree)
    elif isinstance(tree, (list, tuple)):
        for v in tree:
            _tensors(v, out)
    elif isinstance(tree, dict):
        for v in tree.values():
            _tensors(v, out)
    return out


def _rebuild(tree: Any, leaves: list) -> Any:
    """``tree`` with its tensors replaced, in order, by ``leaves`` (consumed from the front)."""
    if isinstance(tree, torch.Tensor):
        return leaves.pop(0)
    if isinstance(tree, (list, tuple)):
        return type(tree)(_rebuild(v, leaves) for v in tree)
    if isinstance(tree, dict):
        return {k: _rebuild(v, leaves) for k, v in tree.items()}
    return tree


def clone_cache(cache: Any) -> Any:
    """Deep copy of a cache tree (tensors cloned; a step may write into its cache in place)."""
    return _rebuild(cache, [t.detach().clone() for t in _tensors(cache, [])])


def _perturbed(leaf: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Every element of ``leaf`` changed: floats by a random amount of their own scale, integers by one."""
    if leaf.dtype == torch.bool:
        return ~leaf
    if leaf.is_floating_point():
        sign = torch.randint(0, 2, leaf.shape, generator=gen).to(leaf.dtype) * 2 - 1
        size = 0.5 + torch.rand(leaf.shape, generator=gen).to(leaf.dtype)
        return leaf + sign * size * (1 + leaf.abs())
    top = max(2, int(leaf.max()) + 1) if leaf.numel() else 2
    return (leaf + 1) % top


def cache_reads(step_fn: Callable, x_prev: torch.Tensor, t: int, cache: Any, batch: int,
                reference: torch.Tensor, seed: int = 0) -> dict:
    """How many numbers of example 0's cache the logits of step ``t`` depend on.

    ``cache`` is the cache handed to step ``t`` for a batch of ``batch`` examples (tensors with
    the batch first are per example; any other tensor is shared and counted as read in full).
    Group tests: each row of a probe batch is example 0 with one group of its cache numbers
    changed; groups whose change moves the logits are split (16 ways) until single numbers are
    left. ``reference``: example 0's logits at step t from the teacher-forced run; a copy of the
    cache must reproduce them. Returns {"reads", "per_example", "shared", "calls", "problem"}.
    """
    gen = torch.Generator().manual_seed(seed)
    leaves = _tensors(cache, [])
    own = [leaf.dim() >= 1 and leaf.shape[0] == batch for leaf in leaves]
    ex0 = [leaf[:1].detach().clone() if o else leaf for leaf, o in zip(leaves, own)]
    sizes = [e.numel() if o else 0 for e, o in zip(ex0, own)]
    total = sum(sizes)
    shared = sum(leaf.numel() for leaf, o in zip(leaves, own) if not o)
    noise = [_perturbed(e, gen) if o else None for e, o in zip(ex0, own)]
    info = {"reads": shared, "per_example": total, "shared": shared, "calls": 0, "problem": None}

    per_ex = [i for i, o in enumerate(own) if o]
    dtype = torch.float64 if any(ex0[i].is_floating_point() for i in per_ex) else torch.long
    base_vec = torch.cat([ex0[i].reshape(-1).to(dtype) for i in per_ex]) if per_ex else torch.zeros(0)
    noise_vec = torch.cat([noise[i].reshape(-1).to(dtype) for i in per_ex]) if per_ex else torch.zeros(0)

    def run(groups: list[tuple[int, int]]) -> torch.Tensor:
        """Logits change (bool per group) when the numbers [start, end) of each group are changed."""
        changed = []
        rows_per_call = max(1, min(256, PROBE_NUMBERS // max(1, total)))
        for lo in range(0, len(groups), rows_per_call):
            part = groups[lo: lo + rows_per_call]
            rows = len(part) + 1                                 # row 0: unchanged
            flat = base_vec.reshape(1, -1).repeat(rows, 1)       # (rows, all per-example numbers)
            for r, (a, b) in enumerate(part, start=1):
                flat[r, a:b] = noise_vec[a:b]
            pieces = iter(flat.split([sizes[i] for i in per_ex], dim=1))
            batch_leaves = [next(pieces).to(e.dtype).reshape(rows, *e.shape[1:]) if o else e
                            for e, o in zip(ex0, own)]
            probe_cache = _rebuild(cache, batch_leaves)
            prev = x_prev[:1].repeat(rows)
            out, _ = step_fn(prev, t, probe_cache)
            info["calls"] += 1
            out = torch.as_tensor(out).detach().double().reshape(rows, -1)
            base = out[0]
            if info["problem"] is None and not bool(((base - reference).abs() <= 1e-4 + 1e-3 * reference.abs()).all()):
                info["problem"] = "copy"
            changed.append(((out[1:] - base).abs() > 1e-6 * (1 + base.abs())).any(-1))
        return torch.cat(changed) if changed else torch.zeros(0, dtype=torch.bool)

    size = max(1, math.ceil(total / 128))
    groups = [(a, min(a + size, total)) for a in range(0, total, size)]
    while groups:
        hit = [g for g, c in zip(groups, run(groups).tolist()) if c]
        single = [g for g in hit if g[1] - g[0] == 1]
        info["reads"] += len(single)
        groups = []
        for a, b in (g for g in hit if g[1] - g[0] > 1):
            step = max(1, math.ceil((b - a) / 16))
            groups += [(s, min(s + step, b)) for s in range(a, b, step)]
    return info


def grade_cost(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """The number of cache numbers a step reads does not grow with t (constant work per pixel)."""
    name = "cost_scaling"
    step = objects["wavenet_step_fn"]
    flat = _heldout(2).reshape(2, -1)
    saved, prev, cache = {}, torch.zeros_like(flat[:, 0]), None
    for t in range(READ_STEPS[-1] + 1):
        before = clone_cache(cache) if t in READ_STEPS else None
        out, cache = step(prev.clone(), t, cache)
        if before is not None:      # (x_prev, cache handed to step t, example 0's logits there)
            saved[t] = (prev.clone(), before, torch.as_tensor(out).detach().double().reshape(2, -1)[0])
        prev = flat[:, t]
    rows = []
    for t in READ_STEPS:
        x_prev, c, logits = saved[t]
        info = cache_reads(step, x_prev, t, c, 2, logits, seed=ctx.seed + t)
        if info["problem"] == "copy":
            return CheckResult.fail(name, f"given a copy of its own cache at step {t + 1}, the step returned other "
                                          f"logits than in the run that built it: it keeps state outside the cache",
                                    hint="keep everything a step needs in the cache it returns")
        rows.append({"step": t + 1, **{k: v for k, v in info.items() if k != "problem"}})
    (r1, r2), (t1, t2) = [r["reads"] for r in rows], [r["step"] for r in rows]
    details = {"rows": rows, "measure": "cache numbers the step's logits depend on (example 0)"}
    if r1 == 0 or r2 == 0:
        return CheckResult.fail(name, f"at step {t1 if r1 == 0 else t2} the step's logits depend on no number of "
                                      f"its cache: it never reads its queues (an entry pushed before it is read is "
                                      f"never seen) or keeps its state elsewhere, so its work per pixel cannot be "
                                      f"judged", hint="read the entry of time t - d from each queue, then push the "
                                                      "new input", **details)
    exponent = math.log(r2 / r1) / math.log(t2 / t1)
    details.update(exponent=exponent, ratio=r2 / r1)
    growth = (f"at step {t1} the step's logits depend on {r1} numbers of its cache, at step {t2} on {r2} "
              f"({r2 / r1:.2f}x while t grew {t2 / t1:.1f}x, reads ~ t^{exponent:.2f})")
    if exponent <= MAX_READ_EXPONENT:
        return CheckResult.ok(name, f"constant work per pixel: {growth}", **details)
    return CheckResult.fail(name, f"the work per pixel grows with t: {growth}: the step recomputes from the "
                                  f"prefix instead of reading one queued entry per block",
                            hint="keep a queue of the last d inputs per block and read only the entry of time t - d",
                            **details)


QUESTIONS = [
    Question("wavenet_conv_test", NOTEBOOK, 4, ("wavenet_causal_conv_probe",), grade_conv,
             "Causal dilated convolution"),
    Question("wavenet_ar_test", NOTEBOOK, 5, ("wavenet_model",), grade_ar,
             "WaveNet: autoregressive and sees its whole past"),
    Question("wavenet_nll_test", NOTEBOOK, 5, ("wavenet_mnist_params",), grade_nll,
             "WaveNet: held-out NLL on binarized_mnist", param_fns=(PARAMS,)),
    Question("wavenet_step_test", NOTEBOOK, 5, ("wavenet_model", "wavenet_step_fn"), grade_step,
             "Cached step equals the parallel pass"),
    Question("wavenet_sampler_test", NOTEBOOK, 3, ("wavenet_sample_naive", "wavenet_sample_cached", "wavenet_step_fn"),
             grade_sampler, "Naive and cached samplers draw the same samples"),
    Question("wavenet_cost_test", NOTEBOOK, 3, ("wavenet_step_fn",), grade_cost,
             "Cached step: constant work per pixel"),
]
for _question in QUESTIONS:
    register(ASSIGNMENT, _question)
assert sum(q.points for q in QUESTIONS) == 25

MUTATIONS = (  # measured through `autograder grade` (ci): solution 25, then 17, 14, 3
    Mutation("wavenet_dilation_off_by_one", NOTEBOOK, "wavenet_step",
             "past = buf[:, slot].clone()", "past = buf[:, (slot + 1) % d].clone()",
             "cached step reads the queue entry of time t - d + 1 instead of t - d (loses 8 of 25: step "
             "consistency, sampler equivalence)",
             expect=("wavenet_step_test", "differ from the parallel pass")),  # the guessed cause varies (trained vs untrained)
    Mutation("wavenet_cache_not_shifted", NOTEBOOK, "wavenet_step",
             "        past = buf[:, slot].clone()                    # the input of time t - d\n"
             "        buf[:, slot] = h                               # then the input of time t takes its slot\n",
             "        buf[:, slot] = h                               # the input of time t takes its slot\n"
             "        past = buf[:, slot].clone()                    # (pushed before it is read)\n",
             "cached step: the new input is pushed into the queue before the old one is read (loses 11 of 25: "
             "step consistency, sampler equivalence, cost: the step never reads its queues)",
             expect=("wavenet_step_test", "stale")),
    Mutation("wavenet_conv_sees_future", NOTEBOOK, "wavenet_causal_conv",
             "F.pad(x, (self.left_pad, 0))", "F.pad(x, (self.left_pad - 1, 1))",
             "causal convolution padded one step short on the left and one on the right (loses 22 of 25: "
             "every question but cost, the model sees the pixel it predicts)",
             expect=("wavenet_conv_test", "future")),
)
