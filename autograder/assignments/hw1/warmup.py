"""Questions of notebook 1 (``01_warmup``): histograms and logistic mixtures in 1D.

=========================  ======  ==================================================
question id                points  what is graded
=========================  ======  ==================================================
warmup_histogram_test      5       held-out NLL of the two trained histograms
warmup_sampler_test        4       ``sample_histogram``: distribution, zero bins, edges
warmup_dmol_test           6       ``dmol_log_prob`` against the trusted references
warmup_dmol_model_test     5       held-out NLL of the two trained DMoL models
=========================  ======  ==================================================

Every grade function only *calls* the exposed objects with inputs it chooses
and decides with trusted code (see :mod:`autograder.assignments.base`).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import torch

from arkit.checks.result import CheckResult, combine
from autograder.assignments.base import GradingContext, Question, register
from autograder.assignments.spec import ParamFnSpec

NOTEBOOK = "01_warmup"
DATASETS = {"small": "gauss1d_small", "large": "gauss1d_large"}
NUM_VALUES = {"gauss1d_small": 20, "gauss1d_large": 100}
# Held-out examples per threshold evaluation, per profile (None: the whole split).
HELDOUT_SUBSET = {"ci": 1000, "cpu": None, "gpu": None}
# A chi-square statistic this many standard deviations above its mean fails (p ~ 1e-6).
CHI2_MAX_Z = 4.75


# --------------------------------------------------------------------------- statistics
def chi_square_gof(counts: torch.Tensor, probs: torch.Tensor, min_expected: float = 5.0) -> dict[str, float]:
    """Pearson chi-square goodness of fit of observed ``counts`` to ``probs`` (same shape, any).

    Cells with expected count below ``min_expected`` are pooled into one cell; any count in a
    cell of probability 0 makes the statistic infinite (p = 0).
    Returns ``statistic``, ``dof``, ``p_value`` (upper tail, exact via the regularized
    incomplete gamma function) and ``z`` (``(statistic - dof) / sqrt(2 dof)``).
    """
    counts = counts.flatten().to(torch.float64)
    probs = probs.flatten().to(torch.float64)
    probs = probs / probs.sum()
    n = counts.sum()
    if bool((counts[probs == 0] > 0).any()):
        return {"statistic": math.inf, "dof": int((probs > 0).sum()), "p_value": 0.0, "z": math.inf}
    expected = n * probs
    big = expected >= min_expected
    obs = torch.cat([counts[big], counts[~big].sum().view(1)])
    exp = torch.cat([expected[big], expected[~big].sum().view(1)])
    keep = exp > 0
    obs, exp = obs[keep], exp[keep]
    stat = float(((obs - exp) ** 2 / exp).sum())
    dof = max(int(keep.sum()) - 1, 1)
    p_value = float(torch.special.gammaincc(torch.tensor(dof / 2.0, dtype=torch.float64),
                                            torch.tensor(stat / 2.0, dtype=torch.float64)))
    return {"statistic": stat, "dof": dof, "p_value": p_value, "z": (stat - dof) / math.sqrt(2 * dof)}


# --------------------------------------------------------------------------- thresholds
def grade_thresholds(objects: Mapping[str, Any], ctx: GradingContext, qid: str, prefix: str,
                     likelihood: str) -> CheckResult:
    """Held-out NLL of ``objects[prefix + key]`` on each dataset in :data:`DATASETS`; mean score."""
    from autograder.checks.threshold import check_threshold

    results = []
    for key, dataset in DATASETS.items():
        res = check_threshold(objects[f"{prefix}{key}"], ctx.assignment, dataset, qid, likelihood,
                              profile=ctx.profile, max_examples=HELDOUT_SUBSET.get(ctx.profile),
                              num_values=NUM_VALUES[dataset],
                              entry=capped_entry(ctx.assignment, qid, dataset, ctx.profile))
        res.name, res.label = f"{qid}.{dataset}", dataset
        results.append(res)
    return _combined(qid, results)


def capped_entry(assignment: str, qid: str, dataset: str, profile: str) -> dict | None:
    """The calibration entry with ``loose_bound`` capped halfway between the threshold and the
    uniform distribution's NLL ``ln V`` (nats/dim), so that an untrained model earns nothing.

    With the generic ``loose_bound = 1.5 * threshold`` a uniform histogram over 20 values
    (2.996 nats) would still earn ~80% of the points. ``None`` when no entry exists (then
    :func:`check_threshold` handles the calibration run or reports the missing entry).
    """
    from autograder.calibration.store import CalibrationMissing, threshold_entry

    try:
        entry = threshold_entry(assignment, qid, dataset, profile)
    except CalibrationMissing:
        return None
    thr, uniform = float(entry["threshold"]), math.log(NUM_VALUES[dataset])
    if uniform > thr:
        entry["loose_bound"] = min(float(entry["loose_bound"]), thr + 0.5 * (uniform - thr))
    return entry


def _combined(qid: str, results: list[CheckResult]) -> CheckResult:
    """combine() with a message that lists every part (passing ones too)."""
    out = combine(qid, results)
    if out.passed:
        out.message = "; ".join(f"{r.display_label}: {r.message}" for r in results)
    out.details["parts"] = {r.name: {"passed": r.passed, "score": r.score, **{
        k: v for k, v in r.details.items() if isinstance(v, (int, float, str, bool))}} for r in results}
    return out


def grade_histogram(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    return grade_thresholds(objects, ctx, "warmup_histogram_test", "warmup_hist_", "categorical")


def grade_dmol_model(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    return grade_thresholds(objects, ctx, "warmup_dmol_model_test", "warmup_dmol_", "dmol")


# --------------------------------------------------------------------------- sampler
def _draw(sampler, probs: torch.Tensor, n: int, seed: int, ctx: GradingContext) -> torch.Tensor:
    """Call the student's sampler; a seeded generator locally, none through a remote proxy."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed) if ctx.mode == "local" else None
    out = sampler(probs, n, generator)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"sample_histogram must return a torch.Tensor, got {type(out).__name__}")
    return out


def _valid_samples(name: str, s: torch.Tensor, probs: torch.Tensor, n: int) -> CheckResult | None:
    """Shape/dtype/range/zero-bin failures, or None when the samples are well formed."""
    V = len(probs)
    if s.shape != (n,):
        return CheckResult.fail(name, f"expected shape ({n},), got {tuple(s.shape)}")
    if s.dtype != torch.int64:
        return CheckResult.fail(name, f"expected dtype int64 (indices of values), got {s.dtype}")
    if int(s.min()) < 0 or int(s.max()) >= V:
        return CheckResult.fail(
            name, f"samples must lie in 0..{V - 1}, got values from {int(s.min())} to {int(s.max())}: "
                  "u can exceed the last cumulative sum when it is slightly below 1 (rounding)",
            hint="scale u by the last cumulative sum, or clamp the index")
    zero = probs[s] == 0
    if bool(zero.any()):
        bad = sorted(set(s[zero].tolist()))[:5]
        return CheckResult.fail(name, f"values with probability 0 were sampled ({bad}, {int(zero.sum())} times)",
                                hint="value v must be returned only for F[v-1] <= u < F[v] "
                                     "(an off-by-one in the index, or searchsorted with the wrong side)")
    return None


def _distribution_part(sampler, ctx: GradingContext) -> CheckResult:
    """Chi-square tests against three fixed distributions (with zero bins)."""
    name = "sampler.distribution"
    gen = torch.Generator().manual_seed(1234)
    cases = []
    raw = torch.rand(20, generator=gen) ** 2
    raw[[0, 7, 19]] = 0.0
    cases.append(raw / raw.sum())                                        # 20 values, zero edge bins
    v = torch.arange(100, dtype=torch.float64)
    cases.append(torch.softmax(-(v - 30) ** 2 / 50, 0) * 0.7 + torch.softmax(-(v - 80) ** 2 / 8, 0) * 0.3)
    cases.append(torch.tensor([0.05, 0.0, 0.6, 0.0, 0.35]))
    n = 100_000
    for i, probs in enumerate(cases):
        probs = probs.to(torch.float32)
        s = _draw(sampler, probs, n, ctx.seed + 10 + i, ctx)
        bad = _valid_samples(name, s, probs, n)
        if bad is not None:
            return bad
        stats = chi_square_gof(torch.bincount(s, minlength=len(probs)), probs)
        if stats["z"] > CHI2_MAX_Z:
            emp = torch.bincount(s, minlength=len(probs)).double() / n
            worst = int((emp - probs.double()).abs().argmax())
            return CheckResult.fail(
                name, f"samples do not follow probs (distribution {i + 1} of {len(cases)}, V={len(probs)}): "
                      f"chi-square {stats['statistic']:.0f} with {stats['dof']} degrees of freedom, "
                      f"p = {stats['p_value']:.1e}; value {worst} has frequency {float(emp[worst]):.4f} "
                      f"but probability {float(probs[worst]):.4f}",
                hint="check the cumulative sum and the searchsorted side (an off-by-one shifts every value by one)",
                **stats)
    return CheckResult.ok(name, f"{len(cases)} distributions match (chi-square tests on {n} samples each)")


def _edge_part(sampler, ctx: GradingContext) -> CheckResult:
    """Point masses at either end, a single value, and a cumulative sum ending 1e-5 short of 1."""
    name = "sampler.edges"
    cases = [("all mass on the first value", torch.tensor([1.0, 0.0, 0.0, 0.0]), 2000),
             ("all mass on the last value", torch.tensor([0.0, 0.0, 0.0, 1.0]), 2000),
             ("a single value", torch.tensor([1.0]), 100),
             ("probabilities summing to 1 - 1e-5 with zero last bins",
              torch.tensor([0.25, 0.75 - 1e-5, 0.0, 0.0], dtype=torch.float64), 500_000)]
    for i, (what, probs, n) in enumerate(cases):
        s = _draw(sampler, probs, n, ctx.seed + 100 + i, ctx)
        bad = _valid_samples(name, s, probs, n)
        if bad is not None:
            bad.message = f"{what}: {bad.message}"
            return bad
        if i < 3:
            want = int(probs.argmax())
            if not bool((s == want).all()):
                return CheckResult.fail(name, f"{what}: every sample must be {want}")
    return CheckResult.ok(name, "point masses, a single value and slightly unnormalized probs are handled")


def _generator_part(sampler, ctx: GradingContext) -> CheckResult:
    """The same seeded generator gives the same samples, whatever the global RNG state."""
    name = "sampler.generator"
    if ctx.mode != "local":
        return CheckResult.ok(name, "skipped (a generator cannot be passed to a remote process)")
    probs = torch.tensor([0.1, 0.2, 0.3, 0.4])
    torch.manual_seed(1)
    a = sampler(probs, 500, torch.Generator().manual_seed(7))
    torch.manual_seed(2)
    b = sampler(probs, 500, torch.Generator().manual_seed(7))
    if not torch.equal(torch.as_tensor(a), torch.as_tensor(b)):
        return CheckResult.fail(name, "the same seeded generator gave different samples: the uniforms do not "
                                      "come from `generator`",
                                hint="draw the uniforms with torch.rand(..., generator=generator)")
    c = sampler(probs, 500, torch.Generator().manual_seed(8))
    if torch.equal(torch.as_tensor(a), torch.as_tensor(c)):
        return CheckResult.fail(name, "different generator seeds gave identical samples: the samples are not random")
    return CheckResult.ok(name, "reproducible with a seeded generator")


def grade_sampler(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    sampler = objects["sample_histogram"]
    parts = [_distribution_part(sampler, ctx), _edge_part(sampler, ctx), _generator_part(sampler, ctx)]
    weights = (0.6, 0.25, 0.15)
    out = _combined("warmup_sampler_test", parts)
    out.score = sum(w * r.score for w, r in zip(weights, parts))
    return out


# --------------------------------------------------------------------------- dmol_log_prob
def grade_dmol_log_prob(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    from autograder.checks.likelihood import check_dmol_log_prob

    res = check_dmol_log_prob(objects["dmol_log_prob"], seed=ctx.seed)
    res.name = "warmup_dmol_test"
    return res


# --------------------------------------------------------------------------- registry
for _q in (
    Question("warmup_histogram_test", NOTEBOOK, 5, ("warmup_hist_small", "warmup_hist_large"), grade_histogram,
             title="(a) histogram: held-out NLL on gauss1d_small and gauss1d_large",
             param_fns=tuple(ParamFnSpec(f"warmup_hist_{k}", d, "categorical", ()) for k, d in DATASETS.items())),
    Question("warmup_sampler_test", NOTEBOOK, 4, ("sample_histogram",), grade_sampler,
             title="(b) inverse-CDF sampler"),
    Question("warmup_dmol_test", NOTEBOOK, 6, ("dmol_log_prob",), grade_dmol_log_prob,
             title="(c) discretized logistic mixture likelihood"),
    Question("warmup_dmol_model_test", NOTEBOOK, 5, ("warmup_dmol_small", "warmup_dmol_large"), grade_dmol_model,
             title="(d) DMoL: held-out NLL on gauss1d_small and gauss1d_large",
             param_fns=tuple(ParamFnSpec(f"warmup_dmol_{k}", d, "dmol", ()) for k, d in DATASETS.items())),
):
    register("hw1", _q)
