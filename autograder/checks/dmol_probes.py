"""Probes for the 1D ``dmol_log_prob(x, logits, means, log_scales, num_values)`` contract.

Every probe uses float64 parameters (rounding never counts against a student
whose function keeps the input dtype) and a fixed ``torch.Generator`` seed.
"""
from __future__ import annotations

import functools

import math

import torch

from autograder.checks.likelihood_probe import (
    Probe, bin_width_explanation, reproduces, scaled,
)
from autograder.reference.likelihoods.dmol import dmol_log_prob, dmol_log_prob_small_mass

F64 = torch.float64
SIGN_MSG = "sign error: return the log-likelihood log P(x) (<= 0), not the negative log-likelihood"
BITS_MSG = "units: you returned bits (log base 2); return nats (natural log, torch.log)"
SWAP_MSG = ("means and log_scales swapped: the signature is "
            "dmol_log_prob(x, logits, means, log_scales, num_values)")
WEIGHTS_MSG = "mixture weights not normalized: use log_softmax(logits) as the log mixture weights"
SUM_MSG = ("you summed the K components' log-probabilities instead of mixing them: a mixture adds "
           "probabilities, log P(x) = logsumexp_k(log_softmax(logits)_k + log P_k(x))")
SOFTMAX_MSG = ("mixture weights not normalized: you added softmax(logits) (probabilities, not log-probabilities); "
               "use log_softmax(logits) as the log mixture weights")


def _probe(name, x, lg, mu, ls, nv, message, explanations=()) -> Probe:
    v1 = dmol_log_prob_small_mass(x, lg, mu, ls, nv)
    v2 = dmol_log_prob(x, lg, mu, ls, nv)

    def describe(i: int) -> str:
        row = (lambda p: p if p.dim() == 1 else p[i])
        k = mu.shape[-1]
        if k > 3:
            return f"x={int(x[i])}, num_values={nv}, K={k} components"
        fmt = (lambda p: ", ".join(f"{float(v):.4g}" for v in row(p)))
        return f"x={int(x[i])}, num_values={nv}, logits=[{fmt(lg)}], means=[{fmt(mu)}], log_scales=[{fmt(ls)}]"

    common = [(SIGN_MSG, scaled(-1.0)), (BITS_MSG, scaled(1.0 / math.log(2.0))),
              (SWAP_MSG, reproduces(lambda: dmol_log_prob(x, lg, ls, mu, nv)))]
    return Probe(name, (x, lg, mu, ls, nv), v1, v2, 1, message, common + list(explanations), describe)


def _sum_explanations(x, lg, mu, ls, nv) -> list:
    """Summing instead of mixing: sum_k (log w_k + log P_k) or sum_k log P_k (K times the value
    when the components are identical)."""
    def per_component(with_weights):
        k = mu.shape[-1]
        cols = [dmol_log_prob(x, torch.zeros_like(lg[..., :1]), mu[..., i:i + 1], ls[..., i:i + 1], nv)
                for i in range(k)]
        total = torch.stack(cols, -1)
        if with_weights:
            total = total + torch.log_softmax(lg, -1).expand_as(total)
        return total.sum(-1)
    return [(SUM_MSG, reproduces(lambda: per_component(True))),
            (SUM_MSG + f" (here exactly K = {mu.shape[-1]} times the right value)",
             reproduces(lambda: per_component(False)))]


def shape_hint(got: tuple, want: tuple) -> str:
    if len(got) == 2 and got[0] == want[0]:
        return f"you returned shape {got}, one value per component: mix them (logsumexp over K) into shape {want}"
    if got == ():
        return f"you returned a scalar (a sum or mean over x?): return one log-probability per x, shape {want}"
    return f"expected output shape {want} (one log-probability per x), got {got}"


def _single(g, n, nv, mu_range, ls_range):
    mu = torch.empty(n, 1, dtype=F64).uniform_(*mu_range, generator=g)
    ls = torch.empty(n, 1, dtype=F64).uniform_(*ls_range, generator=g)
    return torch.zeros(n, 1, dtype=F64), mu, ls


@functools.lru_cache(maxsize=4)
def dmol_probes(seed: int = 0) -> tuple[Probe, ...]:
    """The ordered probes; the first failing one names the cause."""
    g = torch.Generator().manual_seed(seed)
    probes = []
    # 1. interior bins, one wide component: isolates bin width, sign, units, layout
    nv, n = 100, 200
    lg, mu, ls = _single(g, n, nv, (10.0, 90.0), (1.5, 3.0))
    x = (mu[:, 0] + 1.5 * ls[:, 0].exp() * torch.randn(n, generator=g, dtype=F64)).round().clamp(1, nv - 2).long()
    probes.append(_probe("interior bins", x, lg, mu, ls, nv,
                         "log P(x) is wrong for a single logistic (K=1) away from the edges: value v owns "
                         "the bin [v - 0.5, v + 0.5], P(v) = sigmoid((v + 0.5 - mean)/s) - "
                         "sigmoid((v - 0.5 - mean)/s) with s = exp(log_scale)",
                         [(SOFTMAX_MSG, reproduces(
                             lambda x=x, lg=lg, mu=mu, ls=ls, nv=nv: dmol_log_prob(x, lg, mu, ls, nv) + 1.0)),
                          bin_width_explanation(lambda w: f"{w:.3g} units", 1.0,
                                                 "each value v must own the bin [v - 0.5, v + 0.5] (width 1)")]))
    # 2./3. edge bins with significant mass beyond the edge
    for name, value in (("first bin", 0), ("last bin", nv - 1)):
        lg, mu, ls = _single(g, 64, nv, (-20.0, 120.0), (1.0, 3.5))
        x = torch.full((64,), value, dtype=torch.long)
        msg = (f"edge bins: P(x=0) should include all mass below 0.5 (first bin extends to -inf): "
               f"P(0) = sigmoid((0.5 - mean)/s)" if value == 0 else
               f"edge bins: P(x={value}) should include all mass above {value - 0.5} (last bin extends "
               f"to +inf): P({value}) = 1 - sigmoid(({value - 0.5} - mean)/s)")
        probes.append(_probe(name, x, lg, mu, ls, nv, msg))
    # 4. extreme parameters: log-scales -7..7, means far outside the range, every value incl. edges
    nv = 20
    grid_mu = torch.tensor([-1000.0, -50.0, 3.3, 9.5, 16.7, 70.0, 1000.0], dtype=F64)
    grid_ls = torch.tensor([-7.0, -3.0, 0.0, 3.0, 7.0], dtype=F64)
    mu, ls, x = torch.meshgrid(grid_mu, grid_ls, torch.arange(nv, dtype=F64), indexing="ij")
    probes.append(_probe("extreme parameters", x.reshape(-1).long(), torch.zeros(mu.numel(), 1, dtype=F64),
                         mu.reshape(-1, 1), ls.reshape(-1, 1), nv,
                         "inaccurate for extreme parameters (log_scales in [-7, 7], means far outside "
                         "0..num_values-1): compute the bin masses in log space"))
    # 5. identical components, varied logits: isolates mixture weights
    nv, n, k = 20, 128, 5
    mu = torch.empty(n, 1, dtype=F64).uniform_(2.0, 17.0, generator=g).expand(n, k)
    ls = torch.empty(n, 1, dtype=F64).uniform_(0.0, 2.0, generator=g).expand(n, k)
    lg = 3.0 * torch.randn(n, k, generator=g, dtype=F64) + 2.0
    x = torch.randint(0, nv, (n,), generator=g)
    probes.append(_probe("mixture weights", x, lg, mu.contiguous(), ls.contiguous(), nv,
                         "wrong for K identical components with different logits: whatever the weights, "
                         "the result must equal the single component's log P(x)",
                         _sum_explanations(x, lg, mu.contiguous(), ls.contiguous(), nv) +
                         [(WEIGHTS_MSG, reproduces(lambda x=x, lg=lg, mu=mu, ls=ls, nv=nv: dmol_log_prob(
                             x, lg, mu.contiguous(), ls.contiguous(), nv) + torch.logsumexp(lg, -1)))]))
    # 6. general mixtures, batch-shaped (N, K) parameters, K = 5 and 30
    for k in (5, 30):
        nv, n = 20, 256
        lg = 2.0 * torch.randn(n, k, generator=g, dtype=F64)
        mu = torch.empty(n, k, dtype=F64).uniform_(-10.0, 30.0, generator=g)
        ls = torch.empty(n, k, dtype=F64).uniform_(-2.0, 3.0, generator=g)
        x = torch.randint(0, nv, (n,), generator=g)
        probes.append(_probe(f"mixture K={k}", x, lg, mu, ls, nv,
                             "the mixture is wrong: log P(x) = logsumexp_k(log_softmax(logits)_k + log P_k(x))",
                             _sum_explanations(x, lg, mu, ls, nv) +
                             [(WEIGHTS_MSG, reproduces(lambda x=x, lg=lg, mu=mu, ls=ls: dmol_log_prob(
                                 x, lg, mu, ls, 20) + torch.logsumexp(lg, -1)))]))
    # 7. shared (K,) parameters
    nv, n, k = 20, 64, 3
    lg, mu = torch.randn(k, generator=g, dtype=F64), torch.tensor([2.3, 9.0, 15.6], dtype=F64)
    ls = torch.tensor([0.5, -1.0, 1.5], dtype=F64)
    probes.append(_probe("shared parameters", torch.randint(0, nv, (n,), generator=g), lg, mu, ls, nv,
                         "shared parameters of shape (K,) must apply to every x (broadcast over the N values)"))
    # 8. many components with extreme parameters
    n, k = 256, 30
    lg = 3.0 * torch.randn(n, k, generator=g, dtype=F64)
    mu = torch.empty(n, k, dtype=F64).uniform_(-200.0, 220.0, generator=g)
    ls = torch.empty(n, k, dtype=F64).uniform_(-7.0, 7.0, generator=g)
    probes.append(_probe("extreme mixtures", torch.randint(0, nv, (n,), generator=g), lg, mu, ls, nv,
                         "inaccurate for mixtures of 30 components with extreme parameters: compute in "
                         "log space and mix with logsumexp"))
    return tuple(probes)


def dmol_normalization_inputs(seed: int = 0, num_values: int = 20) -> list[tuple]:
    """Argument tuples ``(x=arange(V), logits, means, log_scales, V)`` with (V, K) params, one per setting."""
    g = torch.Generator().manual_seed(seed + 1)
    out = []
    for k, ls_range, mu_range in [(1, (-1, 2), (0, 19)), (5, (-2, 3), (-10, 30)), (30, (-7, 7), (-50, 70)),
                                  (1, (-7, -7), (9.3, 9.3)), (1, (7, 7), (5, 5)), (3, (-7, 7), (-1000, 1000))]:
        lg = 2.0 * torch.randn(k, generator=g, dtype=F64)
        mu = torch.empty(k, dtype=F64).uniform_(*mu_range, generator=g)
        ls = torch.empty(k, dtype=F64).uniform_(*ls_range, generator=g)
        expand = (lambda p: p.expand(num_values, k).contiguous())
        out.append((torch.arange(num_values), expand(lg), expand(mu), expand(ls), num_values))
    return out


def dmol_gradient_inputs(seed: int = 0) -> tuple[dict, tuple]:
    """Adversarial float64 inputs for the finite-gradient check: ({x, logits, means, log_scales}, (V,))."""
    g = torch.Generator().manual_seed(seed + 2)
    nv, n, k = 20, 128, 4
    x = torch.cat([torch.zeros(16, dtype=torch.long), torch.full((16,), nv - 1),
                   torch.randint(0, nv, (n - 32,), generator=g)])
    mu = torch.empty(n, k, dtype=F64).uniform_(-300.0, 300.0, generator=g)
    ls = torch.empty(n, k, dtype=F64).uniform_(-7.0, 7.0, generator=g)
    return {"x": x, "logits": torch.randn(n, k, generator=g, dtype=F64), "means": mu, "log_scales": ls}, (nv,)
