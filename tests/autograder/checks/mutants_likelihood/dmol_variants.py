"""``dmol_log_prob`` written the way students write it, plus one-bug mutants.

``student_style`` is a PixelCNN++-style port (small-mass branch, clamp) with
switches; each mutant flips exactly one switch. The correct variants below are
independent rewrites (different formulas, loops, dtypes).
"""
from __future__ import annotations

import math
from functools import partial

import torch
import torch.nn.functional as F


def student_style(x, logits, means, log_scales, num_values, *, lower_edge=True, upper_edge=True,
                  half=0.5, weights="log_softmax", clamp=True, small_mass=True, stable_edges=True,
                  swap=False, mix=True, scale=1.0):
    if swap:
        means, log_scales = log_scales, means
    xf = x.to(means.dtype).unsqueeze(-1)
    centered = xf - means
    inv_s = torch.exp(-log_scales)
    plus, minus = inv_s * (centered + half), inv_s * (centered - half)
    cdf_plus, cdf_min = torch.sigmoid(plus), torch.sigmoid(minus)
    if stable_edges:
        log_cdf_plus, log_one_minus_cdf_min = plus - F.softplus(plus), -F.softplus(minus)
    else:
        log_cdf_plus, log_one_minus_cdf_min = torch.log(cdf_plus), torch.log(1 - cdf_min)
    delta = cdf_plus - cdf_min
    log_delta = torch.log(torch.clamp(delta, min=1e-12)) if clamp else torch.log(delta)
    mid = inv_s * centered
    log_pdf_mid = mid - log_scales - 2.0 * F.softplus(mid)
    lp = torch.where(delta > 1e-5, log_delta, log_pdf_mid) if small_mass else log_delta
    if upper_edge:
        lp = torch.where(xf == num_values - 1, log_one_minus_cdf_min, lp)
    if lower_edge:
        lp = torch.where(xf == 0, log_cdf_plus, lp)
    lw = {"log_softmax": lambda: torch.log_softmax(logits, -1), "raw": lambda: logits,
          "softmax": lambda: torch.softmax(logits, -1)}[weights]()
    if not mix:
        return lw + lp
    return scale * torch.logsumexp(lw + lp, dim=-1)


MUTANTS = {
    # name: (function, substring the check's message must contain)
    "no_edge_bins": (partial(student_style, lower_edge=False, upper_edge=False), "first bin extends to -inf"),
    "no_last_edge": (partial(student_style, upper_edge=False), "last bin extends to +inf"),
    "bin_width_2": (partial(student_style, half=1.0), "your bins are 2 units wide"),
    "raw_logits": (partial(student_style, weights="raw"), "mixture weights not normalized"),
    "softmax_not_log": (partial(student_style, weights="softmax"), "mixture weights not normalized"),
    "log_of_difference": (partial(student_style, clamp=False, small_mass=False), "underflows to -inf"),
    "no_clamp_in_where": (partial(student_style, clamp=False), "gradient w.r.t."),
    "log_of_sigmoid": (partial(student_style, stable_edges=False), "underflows to -inf"),
    "means_log_scales_swapped": (partial(student_style, swap=True), "means and log_scales swapped"),
    "per_component": (partial(student_style, mix=False), "one value per component"),
    "negative_log_lik": (partial(student_style, scale=-1.0), "sign error"),
    "bits": (partial(student_style, scale=1.0 / math.log(2.0)), "you returned bits"),
}


def float32_port(x, logits, means, log_scales, num_values):
    """Correct: the PixelCNN++ branch computed in float32, as most notebooks run it."""
    out = student_style(x, logits.float(), means.float(), log_scales.float(), num_values)
    return out.to(means.dtype)


def loop_logsigmoid(x, logits, means, log_scales, num_values):
    """Correct: exact masses via logsigmoid identities, an explicit loop over components."""
    k = means.shape[-1]
    means, log_scales = means.expand(x.shape[0], k), log_scales.expand(x.shape[0], k)
    logw = torch.log_softmax(logits.expand(x.shape[0], k), dim=-1)
    xf = x.double()
    terms = []
    for j in range(k):
        s = torch.exp(log_scales[:, j].double())
        a, b = (xf - 0.5 - means[:, j]) / s, (xf + 0.5 - means[:, j]) / s
        w = 1.0 / s
        inner = F.logsigmoid(b) + F.logsigmoid(-a) + torch.log(-torch.expm1(-w))
        lp = torch.where(x == 0, F.logsigmoid(b), torch.where(x == num_values - 1, F.logsigmoid(-a), inner))
        terms.append(logw[:, j] + lp)
    return torch.logsumexp(torch.stack(terms, -1), -1).to(means.dtype)


def log1mexp_cdfs(x, logits, means, log_scales, num_values):
    """Correct: log(F(b) - F(a)) = log F(b) + log1mexp(log F(b) - log F(a)), flipped in the upper half."""
    xf = x.double().unsqueeze(-1)
    inv_s = torch.exp(-log_scales)
    a, b = (xf - 0.5 - means) * inv_s, (xf + 0.5 - means) * inv_s
    flip = (a + b) > 0                       # use the survival function where the CDF is near 1
    a2, b2 = torch.where(flip, -b, a), torch.where(flip, -a, b)
    la, lb = F.logsigmoid(a2), F.logsigmoid(b2)
    d = (lb - la).clamp_min(1e-300)
    inner = lb + torch.where(d < math.log(2), torch.log(-torch.expm1(-d)), torch.log1p(-torch.exp(-d)))
    lp = torch.where(xf == 0, F.logsigmoid(b), torch.where(xf == num_values - 1, F.logsigmoid(-a), inner))
    return torch.logsumexp(torch.log_softmax(logits, -1) + lp, -1)


def clamp_only_float64(x, logits, means, log_scales, num_values):
    """Correct under the tail contract: log(max(delta, 1e-12)) without the small-mass branch, float64."""
    return student_style(x, logits.double(), means.double(), log_scales.double(), num_values,
                         small_mass=False).to(means.dtype)


CORRECT = {"float32_port": float32_port, "loop_logsigmoid": loop_logsigmoid,
           "log1mexp_cdfs": log1mexp_cdfs, "clamp_only_float64": clamp_only_float64}
