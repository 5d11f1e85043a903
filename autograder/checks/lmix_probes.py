"""Probes for ``logistic_mixture_log_prob(x, params, num_mixtures)`` (PixelCNN++ layout).

Most probes use 1x1 images so that one output value is one pixel; the first
probe uses real image sizes to check the per-image sum. Buggy behaviours are
emulated by feeding modified inputs to the trusted reference (e.g. a wrong RGB
coupling is the right coupling plus a shift of the means), so every message
below is backed by an exact reproduction of the bug, not a guess.
Parameters are float64; seeds are fixed.
"""
from __future__ import annotations

import functools

import math
from typing import Callable

import torch

from autograder.checks.likelihood_probe import (
    Probe, bin_width_explanation, far_below, reproduces, scaled,
)
from autograder.reference.likelihoods.pixelcnnpp import (
    logistic_mixture_log_prob as exact, logistic_mixture_log_prob_small_mass as small_mass,
)

F64 = torch.float64
SIGN_MSG = "sign error: return the log-likelihood (<= 0), not the negative log-likelihood"
BITS_MSG = "units: you returned bits (log base 2); return nats (natural log, torch.log)"
WEIGHTS_MSG = "mixture weights not normalized: use log_softmax(logits) as the log mixture weights"
RESCALE_MSG = ("x not rescaled to [-1, 1]: the means live in [-1, 1]; use x / 127.5 - 1 "
               "(value 0 -> -1, 255 -> +1, bin half-width 1/255)")
CLAMP_MSG = "log-scales not clamped at -7: use log_scales.clamp(min=-7) as PixelCNN++ does"
TANH_MSG = "coefficients not passed through tanh: alpha, beta, gamma = tanh(coeff blocks)"
JOINT_MSG = ("the mixture is over whole pixels: add the R, G, B log-probabilities of each component, "
             "then mix once per pixel (logsumexp over components)")


def pack(logits, means, log_scales, coeffs=None) -> torch.Tensor:
    """Blocks -> ``(B, P, H, W)`` params. logits (B,K,H,W); others (B,C,K,H,W)."""
    if means.shape[1] == 1:
        return torch.cat([logits, means[:, 0], log_scales[:, 0]], dim=1)
    b, c, k, h, w = means.shape
    blocks = torch.stack([means, log_scales, coeffs], dim=2)          # (B, C, 3, K, H, W)
    return torch.cat([logits, blocks.reshape(b, 9 * k, h, w)], dim=1)


def _permute_blocks(params: torch.Tensor, k: int, channels: int, order: str) -> torch.Tensor:
    """What a reader with another layout would see, rewritten in the right layout."""
    b, _, h, w = params.shape
    if channels == 1:   # swap means and log_scales
        return torch.cat([params[:, :k], params[:, 2 * k:3 * k], params[:, k:2 * k]], dim=1)
    blocks = params[:, k:].reshape(b, 3, 3, k, h, w)
    if order == "type-major":       # [means RGB | log_scales RGB | coeffs RGB]
        blocks = blocks.transpose(1, 2)
    else:                           # means and log_scales swapped inside each channel
        blocks = blocks[:, :, [1, 0, 2]]
    return torch.cat([params[:, :k], blocks.reshape(b, 9 * k, h, w)], dim=1)


class Case:
    """Inputs of one probe, kept as blocks so that bugs can be emulated."""

    def __init__(self, x, logits, means, log_scales, coeffs=None):
        self.x, self.logits, self.means, self.log_scales = x, logits, means, log_scales
        self.coeffs = coeffs if coeffs is not None else torch.zeros_like(means)
        self.k, self.c = logits.shape[1], x.shape[1]
        self.params = pack(logits, means, log_scales, self.coeffs if self.c == 3 else None)

    def ref(self, params=None):
        return exact(self.x, self.params if params is None else params, self.k)

    def with_shifts(self, shift_g: Callable, shift_b: Callable) -> torch.Tensor:
        """Reference output if the G/B means moved by ``shift_g(xr, xg, xb, a, b, g, raw)`` etc."""
        xs = (self.x.to(F64) / 127.5 - 1.0).unsqueeze(2)
        xr, xg, xb = xs[:, 0], xs[:, 1], xs[:, 2]
        raw = self.coeffs
        a, b, g = torch.tanh(raw[:, 0]), torch.tanh(raw[:, 1]), torch.tanh(raw[:, 2])
        means = self.means.clone()
        means[:, 1] += shift_g(xr, xg, xb, a, b, g, raw) - a * xr
        means[:, 2] += shift_b(xr, xg, xb, a, b, g, raw) - (b * xr + g * xg)
        return self.ref(pack(self.logits, means, self.log_scales, self.coeffs))

    def per_channel_mixture(self) -> torch.Tensor:
        """Reference output if each channel were mixed separately (a common bug)."""
        xs = (self.x.to(F64) / 127.5 - 1.0).unsqueeze(2)
        t = torch.tanh(self.coeffs)
        mu = self.means.clone()
        mu[:, 1] += t[:, 0] * xs[:, 0]
        mu[:, 2] += t[:, 1] * xs[:, 0] + t[:, 2] * xs[:, 1]
        return sum(exact(self.x[:, c:c + 1], pack(self.logits, mu[:, c:c + 1], self.log_scales[:, c:c + 1]),
                         self.k) for c in range(3))

    def probe(self, name, message, explanations=(), dims=None) -> Probe:
        x, k, c, params = self.x, self.k, self.c, self.params
        h = x.shape[2] * x.shape[3]

        def describe(i: int) -> str:
            if h > 1:
                return f"image {i} of shape {tuple(x.shape[1:])}, K={k}"
            vals = ", ".join(str(int(v)) for v in x[i, :, 0, 0])
            if k > 1:
                return f"pixel ({vals}), K={k}"
            pr = ", ".join(f"{float(v):.4g}" for v in params[i, :, 0, 0])
            return f"pixel ({vals}), params [{pr}]"

        common = [(SIGN_MSG, scaled(-1.0)), (BITS_MSG, scaled(1.0 / math.log(2.0))),
                  ("parameter layout: expected [logits, means, log_scales] (C=1) / [logits, then per channel "
                   "R, G, B: means, log_scales, coeffs] (C=3); you swapped means and log_scales",
                   reproduces(lambda: self.ref(_permute_blocks(params, k, c, "swap"))))]
        if c == 3:
            common.append(("parameter layout: for C=3 the blocks are [logits | R: means, log_scales, coeffs | "
                           "G: ... | B: ...] (grouped by channel), not grouped by parameter type",
                           reproduces(lambda: self.ref(_permute_blocks(params, k, c, "type-major")))))
        return Probe(name, (x, params, k), small_mass(x, params, k), exact(x, params, k),
                     dims or c * h, message, common + list(explanations), describe)


def _rand(g, *shape, lo=0.0, hi=1.0):
    return torch.empty(*shape, dtype=F64).uniform_(lo, hi, generator=g)


def _case(g, n, c, k, mu=(-0.8, 0.8), ls=(-3.0, -1.0), co=(-2.0, 2.0), x=None, hw=(1, 1)):
    h, w = hw
    means = _rand(g, n, c, k, h, w, lo=mu[0], hi=mu[1])
    log_scales = _rand(g, n, c, k, h, w, lo=ls[0], hi=ls[1])
    coeffs = _rand(g, n, c, k, h, w, lo=co[0], hi=co[1]) if c == 3 else None
    logits = 2.0 * torch.randn(n, k, h, w, generator=g, dtype=F64) if k > 1 else torch.zeros(n, 1, h, w, dtype=F64)
    if x is None:   # values near the first component's mean (likely values)
        x = ((means[:, :, 0] + 1.0) * 127.5 + 40.0 * torch.randn(n, c, h, w, generator=g, dtype=F64))
        x = x.round().clamp(0, 255).long()
    return Case(x, logits, means, log_scales, coeffs)


def shape_hint(got: tuple, want: tuple) -> str:
    if len(got) >= 3 and got[0] == want[0]:
        return (f"you returned per-pixel values of shape {got}: sum over channels and pixels to get one "
                f"log-likelihood per image, shape {want} (nats per image)")
    if got == ():
        return f"you returned a scalar (a sum or mean over the batch?): return one value per image, shape {want}"
    return f"expected output shape {want} (one log-likelihood per image), got {got}"


SUM_MSG = ("you summed the K components' log-probabilities instead of mixing them: a mixture adds "
           "probabilities, log P = logsumexp_k(log_softmax(logits)_k + log P_k(x))")


def _sum_explanations(case: Case) -> list:
    """Summing instead of mixing (C = 1 cases): with and without the log weights."""
    def summed(with_weights):
        parts = []
        for i in range(case.k):
            one = Case(case.x, torch.zeros_like(case.logits[:, :1]), case.means[:, :, i:i + 1],
                       case.log_scales[:, :, i:i + 1])
            parts.append(one.ref())
        total = torch.stack(parts, -1).sum(-1)
        if with_weights:
            total = total + torch.log_softmax(case.logits, 1).sum(1).flatten(1).sum(1)
        return total
    return [(SUM_MSG, reproduces(lambda: summed(True))),
            (SUM_MSG + f" (here exactly K = {case.k} times the right value)", reproduces(lambda: summed(False)))]


def _coupling_explanations(case: Case) -> list:
    s = case.with_shifts
    return [
        (TANH_MSG, reproduces(lambda: s(lambda xr, xg, xb, a, b, g, raw: raw[:, 0] * xr,
                                        lambda xr, xg, xb, a, b, g, raw: raw[:, 1] * xr + raw[:, 2] * xg))),
        ("RGB coupling uses the wrong channel: the G mean must shift by alpha * x_R",
         reproduces(lambda: s(lambda xr, xg, xb, a, b, g, raw: a * xg,
                              lambda xr, xg, xb, a, b, g, raw: b * xr + g * xg))),
        ("RGB coupling uses the wrong channel: the B mean must shift by beta * x_R + gamma * x_G "
         "(gamma multiplies x_G)",
         reproduces(lambda: s(lambda xr, xg, xb, a, b, g, raw: a * xr,
                              lambda xr, xg, xb, a, b, g, raw: b * xr + g * xb))),
        ("RGB coupling mixes up beta and gamma: the B mean must shift by beta * x_R + gamma * x_G",
         reproduces(lambda: s(lambda xr, xg, xb, a, b, g, raw: a * xr,
                              lambda xr, xg, xb, a, b, g, raw: g * xr + b * xg))),
        ("no RGB coupling: G's mean must shift by alpha * x_R and B's by beta * x_R + gamma * x_G",
         reproduces(lambda: s(lambda xr, xg, xb, a, b, g, raw: 0 * xr,
                              lambda xr, xg, xb, a, b, g, raw: 0 * xr))),
        ("RGB coupling uses x in 0..255: multiply the coefficients by the rescaled x in [-1, 1]",
         reproduces(lambda: s(lambda xr, xg, xb, a, b, g, raw: a * (xr + 1) * 127.5,
                              lambda xr, xg, xb, a, b, g, raw: (b * (xr + 1) + g * (xg + 1)) * 127.5))),
        (JOINT_MSG, reproduces(case.per_channel_mixture)),
    ]


@functools.lru_cache(maxsize=4)
def lmix_probes(seed: int = 0) -> tuple[Probe, ...]:
    """The ordered probes; the first failing one names the cause."""
    g = torch.Generator().manual_seed(seed)
    probes = []
    # 1. whole images: per-image sums, both channel counts
    for c in (1, 3):
        case = _case(g, 6, c, 3, hw=(3, 4))
        d = c * 12
        probes.append(case.probe(f"whole images C={c}", "the per-image log-likelihood differs from the reference",
                                 [("you averaged: return the total log-likelihood per image (sum over channels "
                                   "and pixels), in nats", reproduces(lambda case=case, d=d: case.ref() / d)),
                                  ("you averaged over pixels: return the sum over pixels (nats per image)",
                                   reproduces(lambda case=case: case.ref() / 12))]))
    # 2. interior bins, one wide component: bin width, rescaling, sign, units, layout
    case = _case(g, 256, 1, 1, ls=(-2.5, -1.5))
    case = Case(case.x.clamp(1, 254), case.logits, case.means, case.log_scales)
    probes.append(case.probe("interior bins", "log P(x) is wrong for a single logistic away from 0 and 255: "
                             "rescale x to [-1, 1], P = sigmoid((x + 1/255 - mean)/s) - sigmoid((x - 1/255 - mean)/s)",
                             [bin_width_explanation(lambda w: f"{w * 255:.3g}/255", 2.0 / 255.0,
                                                    "in the [-1, 1] scale each value owns [x - 1/255, x + 1/255] "
                                                    "(width 2/255)"),
                              far_below(5.0, RESCALE_MSG)]))
    # 3. edge bins with significant mass beyond the edge
    for name, value in (("first bin", 0), ("last bin", 255)):
        case = _case(g, 64, 1, 1, mu=(-0.9, 0.9), ls=(-1.5, 0.5), x=torch.full((64, 1, 1, 1), value))
        msg = ("edge bins: P(x=0) should include all mass below -1 + 1/255 (the first bin extends to -inf): "
               "P(0) = sigmoid((-1 + 1/255 - mean)/s)" if value == 0 else
               "edge bins: P(x=255) should include all mass above 1 - 1/255 (the last bin extends to +inf): "
               "P(255) = 1 - sigmoid((1 - 1/255 - mean)/s)")
        probes.append(case.probe(name, msg))
    # 4. log-scales below -7 must be clamped: means 0.5-3 bins away from x
    n = 128
    x = torch.randint(20, 236, (n, 1, 1, 1), generator=g)
    offset = _rand(g, n, 1, 1, 1, 1, lo=0.5, hi=3.0) * torch.where(torch.rand(n, 1, 1, 1, 1, generator=g) < 0.5, -1, 1)
    means = (x.to(F64) / 127.5 - 1.0).unsqueeze(2) + offset * (2.0 / 255.0)
    case = Case(x, torch.zeros(n, 1, 1, 1, dtype=F64), means, _rand(g, n, 1, 1, 1, 1, lo=-12.0, hi=-8.0))
    probes.append(case.probe("log-scale clamp", CLAMP_MSG))
    # 5. identical components, varied logits
    base = _case(g, 128, 1, 1)
    k = 4
    case = Case(base.x, 3.0 * torch.randn(128, k, 1, 1, generator=g, dtype=F64) + 2.0,
                base.means.expand(-1, -1, k, -1, -1).contiguous(),
                base.log_scales.expand(-1, -1, k, -1, -1).contiguous())
    probes.append(case.probe("mixture weights", "wrong for K identical components with different logits: "
                             "whatever the weights, the result must equal the single component's log P(x)",
                             _sum_explanations(case) + [(WEIGHTS_MSG, reproduces(
                                 lambda case=case: case.ref() + torch.logsumexp(case.logits, 1)[:, 0, 0]))]))
    # 6. mixtures, C=1
    case = _case(g, 256, 1, 5, ls=(-4.0, 0.0))
    probes.append(case.probe("mixture C=1", "the mixture is wrong: log P = logsumexp_k(log_softmax(logits)_k + "
                             "log P_k(x))", [(WEIGHTS_MSG, reproduces(
                                 lambda case=case: case.ref() + torch.logsumexp(case.logits, 1)[:, 0, 0]))]))
    # 7. colour without coupling (coeffs = 0): layout and the joint mixture
    case = _case(g, 256, 3, 3, co=(0.0, 0.0))
    probes.append(case.probe("colour channels", "3-channel likelihood is wrong even without coupling (coeffs=0): "
                             "check the layout [logits | R: means, log_scales, coeffs | G | B]",
                             [(JOINT_MSG, reproduces(case.per_channel_mixture))]))
    # 8. coupling, K = 1 then K = 3
    for k in (1, 3):
        case = _case(g, 256, 3, k, co=(-1.5, 1.5), ls=(-3.0, -1.5))
        probes.append(case.probe(f"RGB coupling K={k}", "RGB coupling is wrong: G's mean += alpha * x_R, B's mean "
                                 "+= beta * x_R + gamma * x_G, with alpha, beta, gamma = tanh of the coeff blocks "
                                 "stored with R, G, B and x rescaled to [-1, 1]", _coupling_explanations(case)))
    # 9. extreme parameters: log-scales <= -7, means far away, every value
    mu_grid = torch.tensor([-50.0, -3.0, -0.9, -0.2, 0.37, 0.95, 3.0, 50.0], dtype=F64)
    ls_grid = torch.tensor([-9.0, -7.0, -3.0, 0.0, 3.0], dtype=F64)
    mu, ls, xv = torch.meshgrid(mu_grid, ls_grid, torch.arange(256, dtype=F64), indexing="ij")
    n = mu.numel()
    case = Case(xv.reshape(n, 1, 1, 1).long(), torch.zeros(n, 1, 1, 1, dtype=F64),
                mu.reshape(n, 1, 1, 1, 1), ls.reshape(n, 1, 1, 1, 1))
    probes.append(case.probe("extreme parameters C=1", "inaccurate for extreme parameters (log-scales -7, "
                             "means far outside [-1, 1]): compute the bin masses in log space"))
    case = _case(g, 512, 3, 3, mu=(-5.0, 5.0), ls=(-9.0, 3.0), co=(-3.0, 3.0),
                 x=torch.randint(0, 256, (512, 3, 1, 1), generator=g))
    probes.append(case.probe("extreme parameters C=3", "inaccurate for extreme 3-channel parameters: compute "
                             "the bin masses in log space"))
    return tuple(probes)


DET_MEAN = -50.0   # a channel with this mean and log-scale -7 is 0 with probability 1 (to float64)


def lmix_normalization_sets(seed: int = 0) -> list[tuple[tuple, tuple]]:
    """Pairs ``(args_all, args_base)`` whose student outputs give normalized log-probs.

    ``f(args_all) - f(args_base)`` is ``log P(value | context)`` for the 256
    values of one channel: channels after it are made deterministic (mean -50,
    log-scale -7, so they equal 0 with probability 1) and ``args_base`` also makes
    the channel itself deterministic. C=1 settings have ``args_base = None``.
    """
    g = torch.Generator().manual_seed(seed + 1)
    sets = []
    for k, ls_rng, mu_rng in [(1, (-2, 0), (-0.5, 0.5)), (5, (-7, 1), (-1.2, 1.2)), (3, (-9, -6), (-0.99, 0.99)),
                              (2, (-3, 3), (-20, 20))]:
        case = _case(g, 1, 1, k, mu=mu_rng, ls=ls_rng)
        p = case.params.expand(256, -1, -1, -1)
        sets.append(((torch.arange(256).reshape(256, 1, 1, 1), p, k), None))
    for k, channel, context in [(1, 0, (0, 0)), (3, 1, (17, 0)), (3, 2, (200, 31)), (2, 2, (0, 255)), (4, 1, (255, 0))]:
        case = _case(g, 1, 3, k, ls=(-7.5, 0.0), co=(-2.0, 2.0))
        for c in range(channel + 1, 3):
            case.means[:, c], case.log_scales[:, c] = DET_MEAN, -7.0
        x = torch.tensor(list(context) + [0]).reshape(1, 3, 1, 1).repeat(256, 1, 1, 1)
        x[:, channel + 1:] = 0
        x[:, channel] = torch.arange(256).reshape(256, 1, 1)
        params = pack(case.logits, case.means, case.log_scales, case.coeffs)
        base_means = case.means.clone()
        base_means[:, channel] = DET_MEAN
        base_ls = case.log_scales.clone()
        base_ls[:, channel] = -7.0
        base = pack(case.logits, base_means, base_ls, case.coeffs)
        x_base = x[:1].clone()
        x_base[:, channel] = 0
        sets.append(((x, params.expand(256, -1, -1, -1), k), (x_base, base, k)))
    return sets


def lmix_gradient_inputs(seed: int = 0) -> tuple[dict, tuple]:
    """Adversarial float64 inputs for the finite-gradient check: ({x, params}, (K,))."""
    g = torch.Generator().manual_seed(seed + 2)
    case = _case(g, 128, 3, 3, mu=(-30.0, 30.0), ls=(-10.0, 4.0), co=(-3.0, 3.0),
                 x=torch.cat([torch.zeros(16, 3, 1, 1, dtype=torch.long), torch.full((16, 3, 1, 1), 255),
                              torch.randint(0, 256, (96, 3, 1, 1), generator=g)]))
    return {"x": case.x, "params": case.params}, (case.k,)
