"""Trusted likelihood references: exactness, normalization, stability, the two variants."""
import math

import pytest
import torch
import torch.nn.functional as F

from autograder.reference.likelihoods import (
    bernoulli_log_prob, categorical_log_prob, dmol_log_prob, dmol_log_prob_small_mass,
    logistic_mixture_log_prob, logistic_mixture_log_prob_small_mass,
)

F64 = torch.float64


def naive_dmol(x, logits, means, log_scales, nv):
    """Textbook formula in float64; accurate only where the CDFs are not both near 0 or 1."""
    s = log_scales.exp()
    cdf = lambda y: torch.sigmoid((y - means) / s)
    xf = x.double()[:, None]
    hi = torch.where(xf == nv - 1, torch.ones_like(means), cdf(xf + 0.5))
    lo = torch.where(xf == 0, torch.zeros_like(means), cdf(xf - 0.5))
    return torch.logsumexp(torch.log_softmax(logits, -1) + torch.log(hi - lo), -1)


def test_dmol_matches_textbook_formula_in_safe_regime():
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 20, (300,), generator=g)
    lg, mu = torch.randn(300, 4, generator=g, dtype=F64), torch.rand(300, 4, generator=g, dtype=F64) * 20
    ls = torch.rand(300, 4, generator=g, dtype=F64) * 2
    for fn in (dmol_log_prob, dmol_log_prob_small_mass):
        assert torch.allclose(fn(x, lg, mu, ls, 20), naive_dmol(x, lg, mu, ls, 20), atol=1e-9)


@pytest.mark.parametrize("ls, mu", [(-7.0, 9.3), (7.0, 5.0), (0.0, -1000.0), (0.0, 1000.0), (-3.0, 19.5)])
def test_dmol_normalizes_for_extreme_parameters(ls, mu):
    x = torch.arange(20)
    p = (torch.zeros(1, dtype=F64), torch.tensor([mu], dtype=F64), torch.tensor([ls], dtype=F64))
    assert dmol_log_prob(x, *p, 20).exp().sum().item() == pytest.approx(1.0, abs=1e-12)
    assert dmol_log_prob_small_mass(x, *p, 20).exp().sum().item() == pytest.approx(1.0, abs=1e-4)


def test_dmol_far_tail_is_exact_not_clamped():
    """With the mean 1000 units below, log P(5) = -(1004.5) + log(1 - e^-1) to float64 accuracy."""
    got = dmol_log_prob(torch.tensor([5]), torch.zeros(1, dtype=F64), torch.tensor([-1000.0], dtype=F64),
                        torch.zeros(1, dtype=F64), 20)
    assert got.item() == pytest.approx(-1004.5 + math.log(1 - math.exp(-1)), rel=1e-12)


def test_dmol_shared_params_equal_expanded_and_dtype_is_kept():
    x = torch.arange(10)
    lg, mu, ls = torch.randn(3), torch.tensor([1.0, 4.0, 8.0]), torch.zeros(3)
    a = dmol_log_prob(x, lg, mu, ls, 10)
    b = dmol_log_prob(x, lg.expand(10, 3), mu.expand(10, 3), ls.expand(10, 3), 10)
    assert a.dtype == torch.float32 and torch.allclose(a, b)
    with pytest.raises(ValueError, match=r"\(K,\) or \(N, K\)"):
        dmol_log_prob(x, lg[None].expand(4, 3), mu, ls, 10)


def pixel_by_hand(xr, xg, xb, p):
    """PixelCNN++ log P of one RGB pixel, K=1, in plain Python floats (safe regime only)."""
    (m_r, s_r, c_r), (m_g, s_g, c_g), (m_b, s_b, c_b) = p[1:4], p[4:7], p[7:10]
    v = [x / 127.5 - 1 for x in (xr, xg, xb)]
    means = [m_r, m_g + math.tanh(c_r) * v[0], m_b + math.tanh(c_g) * v[0] + math.tanh(c_b) * v[1]]
    total = 0.0
    for raw, val, mu, ls in zip((xr, xg, xb), v, means, (s_r, s_g, s_b)):
        s = math.exp(max(ls, -7.0))
        cdf = lambda y: 1 / (1 + math.exp(-(y - mu) / s))
        hi = 1.0 if raw == 255 else cdf(val + 1 / 255)
        lo = 0.0 if raw == 0 else cdf(val - 1 / 255)
        total += math.log(hi - lo)
    return total


def test_rgb_coupling_matches_a_hand_computation():
    """G's mean += tanh(c_R) x_R; B's mean += tanh(c_G) x_R + tanh(c_B) x_G (coefficient blocks R, G, B)."""
    g = torch.Generator().manual_seed(3)
    x = torch.tensor([[17, 200, 255], [0, 128, 64], [90, 91, 92]])
    params = torch.randn(3, 10, generator=g, dtype=F64) * 0.6
    params[:, [2, 5, 8]] = -1.5                                            # log-scales: safe regime
    got = logistic_mixture_log_prob(x.reshape(3, 3, 1, 1), params.reshape(3, 10, 1, 1), 1)
    want = [pixel_by_hand(*map(int, x[i]), params[i].tolist()) for i in range(3)]
    assert torch.allclose(got, torch.tensor(want, dtype=F64), atol=1e-10)


def test_per_image_value_is_the_sum_over_pixels():
    g = torch.Generator().manual_seed(4)
    x = torch.randint(0, 256, (2, 1, 3, 4), generator=g)
    params = torch.randn(2, 6, 3, 4, generator=g, dtype=F64)
    whole = logistic_mixture_log_prob(x, params, 2)
    pixels = logistic_mixture_log_prob(x.permute(0, 2, 3, 1).reshape(24, 1, 1, 1),
                                       params.permute(0, 2, 3, 1).reshape(24, 6, 1, 1), 2)
    assert torch.allclose(whole, pixels.reshape(2, 12).sum(1))


def test_rgb_joint_normalizes_over_blue_given_red_green():
    """sum_B P(R, G, B) = P(R) P(G | R) for K=1, computed with the 1-channel reference."""
    g = torch.Generator().manual_seed(5)
    p = torch.randn(10, generator=g, dtype=F64)
    p[[2, 5, 8]] = torch.tensor([-7.5, -2.0, 0.5], dtype=F64)
    r, gr = 40, 222
    x = torch.tensor([r, gr, 0]).repeat(256, 1)
    x[:, 2] = torch.arange(256)
    joint = logistic_mixture_log_prob(x.reshape(256, 3, 1, 1), p.expand(256, 10).reshape(256, 10, 1, 1), 1)
    lp_r = logistic_mixture_log_prob(torch.tensor([r]).reshape(1, 1, 1, 1), p[[0, 1, 2]].reshape(1, 3, 1, 1), 1)
    g_mean = p[4] + torch.tanh(p[3]) * (r / 127.5 - 1)
    lp_g = logistic_mixture_log_prob(torch.tensor([gr]).reshape(1, 1, 1, 1),
                                     torch.stack([p[0], g_mean, p[5]]).reshape(1, 3, 1, 1), 1)
    assert torch.logsumexp(joint, 0).item() == pytest.approx((lp_r + lp_g).item(), abs=1e-10)


def test_two_variants_differ_by_at_most_log_sinh_ratio_at_log_scale_minus_7():
    """At log-scale -7 the centre-density approximation is off by log(sinh(h)/h), h = e^7/255 (~2.148 nats),
    always from below; elsewhere the variants agree."""
    mus = torch.linspace(-1.05, 1.05, 101, dtype=F64)
    mu, xv = torch.meshgrid(mus, torch.arange(256, dtype=F64), indexing="ij")
    n = mu.numel()
    params = torch.stack([torch.zeros(n, dtype=F64), mu.reshape(-1), torch.full((n,), -7.0, dtype=F64)], 1)
    x = xv.reshape(n, 1, 1, 1).long()
    exact = logistic_mixture_log_prob(x, params.reshape(n, 3, 1, 1), 1)
    small = logistic_mixture_log_prob_small_mass(x, params.reshape(n, 3, 1, 1), 1)
    h = math.exp(7) / 255
    bound = math.log(math.sinh(h) / h)
    diff = exact - small
    assert diff.max().item() == pytest.approx(bound, abs=1e-3)
    assert diff.min().item() > -1e-8
    wide = params.clone()
    wide[:, 2] = -2.0
    assert torch.allclose(logistic_mixture_log_prob(x, wide.reshape(n, 3, 1, 1), 1),
                          logistic_mixture_log_prob_small_mass(x, wide.reshape(n, 3, 1, 1), 1), atol=2e-3)


def test_log_scales_are_clamped_at_minus_7():
    x = torch.tensor([100]).reshape(1, 1, 1, 1)
    a = torch.tensor([0.0, -0.2, -7.0], dtype=F64).reshape(1, 3, 1, 1)
    b = torch.tensor([0.0, -0.2, -30.0], dtype=F64).reshape(1, 3, 1, 1)
    assert logistic_mixture_log_prob(x, a, 1).item() == logistic_mixture_log_prob(x, b, 1).item()


def test_bad_layout_is_refused():
    with pytest.raises(ValueError, match="needs 30"):
        logistic_mixture_log_prob(torch.zeros(1, 3, 2, 2, dtype=torch.long), torch.zeros(1, 9, 2, 2), 3)


def test_categorical_and_bernoulli_match_torch_losses():
    g = torch.Generator().manual_seed(6)
    x = torch.randint(0, 5, (4, 2, 3), generator=g)
    logits = torch.randn(4, 5, 2, 3, generator=g)
    assert torch.allclose(categorical_log_prob(x, logits).sum(), -F.cross_entropy(logits.double(), x, reduction="sum"))
    last = logits.permute(0, 2, 3, 1)
    assert torch.allclose(categorical_log_prob(x, last, class_dim=-1), categorical_log_prob(x, logits))
    xb = torch.randint(0, 2, (4, 6), generator=g)
    lb = torch.randn(4, 6, generator=g)
    want = -F.binary_cross_entropy_with_logits(lb.double(), xb.double(), reduction="none")
    assert torch.allclose(bernoulli_log_prob(xb, lb), want)
    assert torch.isfinite(bernoulli_log_prob(torch.tensor([0, 1]), torch.tensor([1e4, -1e4]))).all()
