"""``logistic_mixture_log_prob`` written the way students write it, plus one-bug mutants.

``student_style`` follows the original PixelCNN++ code (channels-last, small-mass
branch, clamp at -7, x < -0.999 / x > 0.999 edge tests) with switches; each mutant
flips exactly one switch. The correct variants are independent rewrites.
"""
from __future__ import annotations

import math
from functools import partial

import torch
import torch.nn.functional as F


def student_style(x, params, num_mixtures, *, tanh=True, coupling="ok", rescale=True, clamp_scales=True,
                  layout="channel-major", edges=True, clamp=True, small_mass=True, half=1.0 / 255.0,
                  weights="log_softmax", joint=True, reduce="sum", scale=1.0, dtype=None):
    k = num_mixtures
    b, c, h, w = x.shape
    if dtype is not None:
        params = params.to(dtype)
    xs = x.to(params.dtype)
    xs = xs / 127.5 - 1.0 if rescale else xs
    xs = xs.permute(0, 2, 3, 1).unsqueeze(-1)                 # (B, H, W, C, 1)
    p = params.permute(0, 2, 3, 1)                            # (B, H, W, P)
    logits = p[..., :k]
    if c == 1:
        blocks = p[..., k:].reshape(b, h, w, 1, 2, k)
    elif layout == "channel-major":
        blocks = p[..., k:].reshape(b, h, w, 3, 3, k)
    else:                                                     # [means RGB | log_scales RGB | coeffs RGB]
        blocks = p[..., k:].reshape(b, h, w, 3, 3, k).transpose(3, 4)
    i_mean, i_ls = (1, 0) if layout == "swap" else (0, 1)
    means, log_scales = blocks[..., i_mean, :], blocks[..., i_ls, :]
    if clamp_scales:
        log_scales = torch.clamp(log_scales, min=-7.0)
    if c == 3:
        coeffs = torch.tanh(blocks[..., 2, :]) if tanh else blocks[..., 2, :]
        xr, xg, xb = xs[..., 0, :], xs[..., 1, :], xs[..., 2, :]
        src_g = xg if coupling == "alpha_on_g" else xr
        src_gamma = xb if coupling == "gamma_on_b" else xg
        m2 = means[..., 1, :] + coeffs[..., 0, :] * src_g
        m3 = means[..., 2, :] + coeffs[..., 1, :] * xr + coeffs[..., 2, :] * src_gamma
        means = torch.stack([means[..., 0, :], m2, m3], dim=-2)
    centered = xs - means
    inv_s = torch.exp(-log_scales)
    plus_in, min_in = inv_s * (centered + half), inv_s * (centered - half)
    cdf_plus, cdf_min = torch.sigmoid(plus_in), torch.sigmoid(min_in)
    log_cdf_plus = plus_in - F.softplus(plus_in)
    log_one_minus_cdf_min = -F.softplus(min_in)
    cdf_delta = cdf_plus - cdf_min
    mid_in = inv_s * centered
    log_pdf_mid = mid_in - log_scales - 2.0 * F.softplus(mid_in)
    log_delta = torch.log(torch.clamp(cdf_delta, min=1e-12)) if clamp else torch.log(cdf_delta)
    inner = torch.where(cdf_delta > 1e-5, log_delta, log_pdf_mid - math.log(127.5)) if small_mass else log_delta
    if edges:
        lp = torch.where(xs < -0.999, log_cdf_plus, torch.where(xs > 0.999, log_one_minus_cdf_min, inner))
    else:
        lp = inner
    lw = torch.log_softmax(logits, -1) if weights == "log_softmax" else logits
    if joint:
        per_pixel = torch.logsumexp(lp.sum(dim=3) + lw, dim=-1)              # (B, H, W)
    else:
        per_pixel = torch.logsumexp(lp + lw.unsqueeze(3), dim=-1).sum(dim=3)
    if reduce == "none":
        return scale * per_pixel
    out = per_pixel.sum(dim=(1, 2)) if reduce == "sum" else per_pixel.mean(dim=(1, 2)) / c
    return (scale * out).to(params.dtype)


MUTANTS = {
    "no_tanh": (partial(student_style, tanh=False), "coefficients not passed through tanh"),
    "alpha_on_g": (partial(student_style, coupling="alpha_on_g"), "the G mean must shift by alpha * x_R"),
    "gamma_on_b": (partial(student_style, coupling="gamma_on_b"), "gamma multiplies x_G"),
    "no_rescale": (partial(student_style, rescale=False), "x not rescaled to [-1, 1]"),
    "log_scales_not_clamped": (partial(student_style, clamp_scales=False), "log-scales not clamped at -7"),
    "means_log_scales_swapped": (partial(student_style, layout="swap"), "swapped means and log_scales"),
    "type_major_layout": (partial(student_style, layout="type-major"), "grouped by channel"),
    "per_pixel_output": (partial(student_style, reduce="none"), "per-pixel values"),
    "mean_not_sum": (partial(student_style, reduce="mean"), "return the total log-likelihood per image"),
    "bits": (partial(student_style, scale=1.0 / math.log(2.0)), "you returned bits"),
    "negative_log_lik": (partial(student_style, scale=-1.0), "sign error"),
    "no_edge_bins": (partial(student_style, edges=False), "the first bin extends to -inf"),
    "log_of_difference": (partial(student_style, clamp=False, small_mass=False), "underflows to -inf"),
    "no_clamp_in_where": (partial(student_style, clamp=False), "gradient w.r.t."),
    "bin_width_doubled": (partial(student_style, half=2.0 / 255.0), "your bins are 4/255 wide"),
    "raw_logits": (partial(student_style, weights="raw"), "mixture weights not normalized"),
    "per_channel_mixture": (partial(student_style, joint=False), "the mixture is over whole pixels"),
}


def float32_port(x, params, num_mixtures):
    """Correct: the original PixelCNN++ code computed in float32."""
    return student_style(x, params, num_mixtures, dtype=torch.float32).to(params.dtype)


def loop_exact(x, params, num_mixtures):
    """Correct: exact masses with logsigmoid identities; explicit loops over components and channels."""
    k, c = num_mixtures, x.shape[1]
    xs = x.double() / 127.5 - 1.0
    p = params.double()
    per_comp = []
    for j in range(k):
        total = torch.log_softmax(p[:, :k], dim=1)[:, j]
        for ch in range(c):
            base = k + ch * 3 * k if c == 3 else k
            step = k
            mu = p[:, base + j]
            ls = torch.clamp(p[:, base + step + j], min=-7.0)
            if c == 3 and ch == 1:
                mu = mu + torch.tanh(p[:, k + 2 * k + j]) * xs[:, 0]
            if c == 3 and ch == 2:
                beta, gamma = p[:, k + 3 * k + 2 * k + j], p[:, k + 6 * k + 2 * k + j]
                mu = mu + torch.tanh(beta) * xs[:, 0] + torch.tanh(gamma) * xs[:, 1]
            s = torch.exp(ls)
            a, bb = (xs[:, ch] - 1 / 255 - mu) / s, (xs[:, ch] + 1 / 255 - mu) / s
            inner = F.logsigmoid(bb) + F.logsigmoid(-a) + torch.log(-torch.expm1(-(2 / 255) / s))
            lp = torch.where(x[:, ch] == 0, F.logsigmoid(bb), torch.where(x[:, ch] == 255, F.logsigmoid(-a), inner))
            total = total + lp
        per_comp.append(total)
    return torch.logsumexp(torch.stack(per_comp), dim=0).sum(dim=(1, 2)).to(params.dtype)


def clamp_only_float64(x, params, num_mixtures):
    """Correct under the tail contract: log(max(delta, 1e-12)), no small-mass branch, float64."""
    return student_style(x, params, num_mixtures, small_mass=False, dtype=torch.float64).to(params.dtype)


CORRECT = {"float32_port": float32_port, "loop_exact": loop_exact, "clamp_only_float64": clamp_only_float64}
