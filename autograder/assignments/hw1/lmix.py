"""Questions of notebook 4 (``04_logistic_mixtures``): PixelCNN++ logistic mixtures.

=====================  ======  =========================================================
question id            points  what is graded
=====================  ======  =========================================================
lmix_log_prob_test     5       ``logistic_mixture_log_prob`` against the trusted references
lmix_sampler_test      4       ``sample_logistic_mixture``: chi-square tests, 1 and 3 channels
lmix_model_test        4       held-out NLL (bits/dim) of the mixture model on mnist_gray
lmix_ar_test           2       the mixture network is autoregressive (and uses its context)
=====================  ======  =========================================================
"""
from __future__ import annotations

from typing import Any, Mapping

import torch

from arkit.checks.result import CheckResult
from autograder.assignments.base import GradingContext, Question, register
from autograder.assignments.spec import ParamFnSpec
from autograder.assignments.hw1.warmup import CHI2_MAX_Z, _combined, chi_square_gof

NOTEBOOK = "04_logistic_mixtures"
DATASET = "mnist_gray"
HELDOUT_SUBSET = {"ci": 500, "cpu": 2000, "gpu": None}
HALF_BIN = 1.0 / 255.0
# Trusted declarations: the mixture network the AR question checks, and the scored parameter function
# (the same trained network: the grader checks both give the same parameters on held-out images).
MIX_MODEL = ParamFnSpec("lmix_model", DATASET, "pixelcnnpp", (1, 28, 28))
MIX_PARAMS = ParamFnSpec("lmix_mnist_params", DATASET, "pixelcnnpp", (1, 28, 28), same_model_as="lmix_model")
AR_AUDIT_IMAGES = 32            # held-out images (and their splices) audited by the AR question
EDGES = torch.arange(255, dtype=torch.float64) * (2.0 / 255.0) - 1.0 + HALF_BIN   # upper edges of values 0..254


# --------------------------------------------------------------------------- exact pmfs
def channel_pmf(means: torch.Tensor, log_scales: torch.Tensor) -> torch.Tensor:
    """Discretized logistic pmf over 0..255 (edge bins to +-inf), float64 ``(*shape, 256)``.

    ``means`` and ``log_scales`` (already clamped) are in the [-1, 1] scale, any common shape.
    """
    cdf = torch.sigmoid((EDGES - means.double()[..., None]) * torch.exp(-log_scales.double())[..., None])
    zeros, ones = torch.zeros_like(cdf[..., :1]), torch.ones_like(cdf[..., :1])
    return torch.diff(torch.cat([zeros, cdf, ones], dim=-1), dim=-1)


def _scaled(v: torch.Tensor) -> torch.Tensor:
    return v.double() * (2.0 / 255.0) - 1.0


def pmf_1ch(params: torch.Tensor, k: int) -> torch.Tensor:
    """Exact pmf (256,) of one pixel with params (3K,)."""
    p = params.double()
    weights = torch.softmax(p[:k], 0)
    comps = channel_pmf(p[k:2 * k], p[2 * k:3 * k].clamp(min=-7.0))       # (K, 256)
    return weights @ comps


def pmf_3ch_coarse(params: torch.Tensor, k: int, bins: int = 8) -> torch.Tensor:
    """Exact probabilities (bins, bins, bins) of coarse RGB cells (256/bins values per side)
    for one pixel with params (10K,) in the PixelCNN++ layout."""
    p = params.double()
    weights = torch.softmax(p[:k], 0)
    blk = p[k:].reshape(3, 3, k)                                         # channel, [mean, log_scale, coeff], K
    means, log_scales, coeffs = blk[:, 0], blk[:, 1].clamp(min=-7.0), torch.tanh(blk[:, 2])
    v = _scaled(torch.arange(256))
    width = 256 // bins
    member = torch.zeros(256, bins, dtype=torch.float64)
    member[torch.arange(256), torch.arange(256) // width] = 1.0
    coarse_edges = _scaled(torch.arange(1, bins) * width) - HALF_BIN      # lower edges of coarse cells 1..bins-1
    total = torch.zeros(bins, bins, bins, dtype=torch.float64)
    for j in range(k):
        p_r = channel_pmf(means[0, j], log_scales[0, j])                                   # (256,)
        p_g = channel_pmf(means[1, j] + coeffs[0, j] * v, log_scales[1, j].expand(256))     # (r, g)
        mu_b = means[2, j] + coeffs[1, j] * v[:, None] + coeffs[2, j] * v[None, :]        # (r, g)
        cdf = torch.sigmoid((coarse_edges - mu_b[..., None]) * torch.exp(-log_scales[2, j]))
        cdf = torch.cat([torch.zeros_like(cdf[..., :1]), cdf, torch.ones_like(cdf[..., :1])], -1)
        p_b = torch.diff(cdf, dim=-1)                                                     # (r, g, bins)
        joint = torch.einsum("r,rg,rgc,ra,gb->abc", p_r, p_g, p_b, member, member)
        total += weights[j] * joint
    return total


# Fixed probe parameters for the sampler (one pixel each); chosen so that every coupling,
# the shared component and the tanh matter at the sample sizes below.
PROBES_1CH = [
    (3, torch.tensor([0.5, -0.3, 1.0, -0.6, 0.1, 0.9, -3.0, -2.5, -4.0])),
    (2, torch.tensor([2.0, -1.0, -0.995, 0.2, -5.0, -1.5])),                    # mass piles on value 0
]
PROBE_3CH = (2, torch.tensor([0.3, -0.2,
                              -0.5, 0.4, -2.5, -2.0, 1.5, -1.0,                  # R: means, log_scales, alpha
                              0.2, -0.3, -2.2, -2.8, -0.8, 0.6,                  # G: means, log_scales, beta
                              0.0, 0.5, -2.0, -2.5, 1.0, 2.0]))                  # B: means, log_scales, gamma


def _sample(sampler, params: torch.Tensor, k: int, channels: int, n: int, seed: int) -> torch.Tensor:
    torch.manual_seed(seed)
    out = sampler(params.expand(n, -1).contiguous(), k, channels)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"sample_logistic_mixture must return a torch.Tensor, got {type(out).__name__}")
    return out


def _well_formed(name: str, s: torch.Tensor, n: int, channels: int) -> CheckResult | None:
    if s.shape != (n, channels):
        return CheckResult.fail(name, f"expected shape ({n}, {channels}) (one row per pixel), got {tuple(s.shape)}")
    if s.dtype != torch.int64:
        return CheckResult.fail(name, f"expected dtype int64 pixel values, got {s.dtype}")
    if int(s.min()) < 0 or int(s.max()) > 255:
        return CheckResult.fail(name, f"values must lie in 0..255, got {int(s.min())}..{int(s.max())}",
                                hint="round (x + 1) * 255 / 2 and clamp")
    return None


def _gof_fail(name: str, what: str, stats: dict, hint: str) -> CheckResult:
    return CheckResult.fail(name, f"{what}: the samples do not follow the mixture (chi-square "
                                  f"{stats['statistic']:.0f} with {stats['dof']} degrees of freedom, "
                                  f"p = {stats['p_value']:.1e})", hint=hint, **stats)


def _one_channel_part(sampler, ctx: GradingContext) -> CheckResult:
    name = "sampler.one_channel"
    n = 60_000
    for i, (k, params) in enumerate(PROBES_1CH):
        s = _sample(sampler, params, k, 1, n, ctx.seed + i)
        bad = _well_formed(name, s, n, 1)
        if bad is not None:
            return bad
        stats = chi_square_gof(torch.bincount(s[:, 0], minlength=256), pmf_1ch(params, k))
        if stats["z"] > CHI2_MAX_Z:
            return _gof_fail(name, f"1 channel, probe {i + 1}", stats,
                             "Check the component choice (softmax of the logits), the logistic inverse CDF "
                             "mu + s * (log u - log(1 - u)) with s = exp(log_scale), and the map to 0..255.")
    sharp = torch.tensor([0.0, _scaled(torch.tensor(77.0)).item(), -7.0])
    s = _sample(sampler, sharp, 1, 1, 2000, ctx.seed + 7)
    bad = _well_formed(name, s, 2000, 1)
    if bad is not None:
        return bad
    frac = float((s == 77).double().mean())
    if frac < 0.9:
        return CheckResult.fail(name, f"a component centred on value 77 with log_scale -7 gave 77 only "
                                      f"{100 * frac:.0f}% of the time (expected ~97%)",
                                hint="value v sits at 2v/255 - 1")
    return CheckResult.ok(name, f"{len(PROBES_1CH)} one-channel mixtures match (chi-square on {n} samples)")


def _three_channel_part(sampler, ctx: GradingContext) -> CheckResult:
    name = "sampler.three_channels"
    k, params = PROBE_3CH
    n, bins = 100_000, 8
    s = _sample(sampler, params, k, 3, n, ctx.seed + 20)
    bad = _well_formed(name, s, n, 3)
    if bad is not None:
        return bad
    cells = (s // (256 // bins)).long()
    counts = torch.bincount((cells[:, 0] * bins + cells[:, 1]) * bins + cells[:, 2], minlength=bins ** 3)
    probs = pmf_3ch_coarse(params, k, bins)
    for c, label in enumerate("RGB"):
        marg = probs.sum(dim=tuple(d for d in range(3) if d != c))
        stats = chi_square_gof(torch.bincount(cells[:, c], minlength=bins), marg)
        if stats["z"] > CHI2_MAX_Z:
            hint = {"R": "R is sampled like a 1-channel pixel with the R block (means, log_scales).",
                    "G": "G must use the component chosen for R, with its mean shifted by tanh(alpha) * x_R "
                         "(x_R = the sampled R value rescaled to [-1, 1]).",
                    "B": "B must use the component chosen for R, with its mean shifted by "
                         "tanh(beta) * x_R + tanh(gamma) * x_G."}[label]
            return _gof_fail(name, f"3 channels, marginal of {label}", stats, hint)
    stats = chi_square_gof(counts, probs.flatten())
    if stats["z"] > CHI2_MAX_Z:
        return _gof_fail(name, "3 channels, joint of (R, G, B) on an 8x8x8 grid", stats,
                         "Use ONE mixture component per pixel for all three channels, and couple G and B "
                         "to the sampled R (and G) values through tanh(coeffs).")
    return CheckResult.ok(name, f"3-channel joint matches on an {bins}x{bins}x{bins} grid ({n} samples)")


def grade_sampler(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    sampler = objects["sample_logistic_mixture"]
    parts = [_one_channel_part(sampler, ctx), _three_channel_part(sampler, ctx)]
    out = _combined("lmix_sampler_test", parts)
    out.score = 0.5 * parts[0].score + 0.5 * parts[1].score
    return out


# --------------------------------------------------------------------------- log-prob
def grade_log_prob(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    from autograder.checks.likelihood import check_logistic_mixture_log_prob

    res = check_logistic_mixture_log_prob(objects["logistic_mixture_log_prob"], seed=ctx.seed)
    res.name = "lmix_log_prob_test"
    return res


# --------------------------------------------------------------------------- trained model
def grade_model(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    from autograder.checks.threshold import check_threshold

    qid = "lmix_model_test"
    res = check_threshold(objects["lmix_mnist_params"], ctx.assignment, DATASET, qid, "pixelcnnpp",
                          profile=ctx.profile, max_examples=HELDOUT_SUBSET.get(ctx.profile))
    res.name = qid
    return res


def params_to_vars(out: torch.Tensor) -> torch.Tensor:
    """Per-pixel parameters (B, P, H, W) -> per-variable outputs (B, H*W, P) (variable d = pixel d)."""
    return out.permute(0, 2, 3, 1).reshape(out.shape[0], -1, out.shape[1])


def grade_ar(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    from arkit.checks.autoregressive import check_autoregressive

    # Remote proxies have no autograd: the check then falls back to forward-only perturbations.
    res = check_autoregressive(objects["lmix_model"], (1, 28, 28), num_values=256, to_vars=params_to_vars,
                               seed=ctx.seed)
    if res.passed or res.score > 0:         # and on held-out images and their splices, not only noise
        from autograder.checks.ar_audit import audit_heldout
        audit = audit_heldout(objects["lmix_model"], MIX_MODEL, AR_AUDIT_IMAGES, seed=ctx.seed, name="lmix_ar_test")
        res = res if audit.passed else audit
    res.name = "lmix_ar_test"
    return res


for _q in (
    Question("lmix_log_prob_test", NOTEBOOK, 5, ("logistic_mixture_log_prob",), grade_log_prob,
             title="(a) PixelCNN++ logistic mixture likelihood"),
    Question("lmix_sampler_test", NOTEBOOK, 4, ("sample_logistic_mixture",), grade_sampler,
             title="(b) sampling from the mixture (1 and 3 channels)"),
    Question("lmix_model_test", NOTEBOOK, 4, ("lmix_mnist_params",), grade_model,
             title="(c) mixture model: held-out bits/dim on mnist_gray", param_fns=(MIX_PARAMS,)),
    Question("lmix_ar_test", NOTEBOOK, 2, ("lmix_model",), grade_ar,
             title="(d) the mixture model is autoregressive"),
):
    register("hw1", _q)
