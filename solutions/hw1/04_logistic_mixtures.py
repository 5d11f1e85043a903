# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Homework 1, notebook 4: logistic mixtures for images (15 points)
#
# **Goal.** An 8-bit pixel takes 256 values. The PixelCNNs of notebook 3 predict each pixel with a
# softmax over all its values; for 256 values that output layer is large and it ignores that
# 127 and 128 are neighbours. PixelCNN++ (Salimans et al., 2017) instead predicts a small
# **mixture of logistics** per pixel and integrates it over the 256 bins, as you did in 1D in
# notebook 1. In this notebook you
#
# 1. implement the PixelCNN++ likelihood `logistic_mixture_log_prob` for 1- and 3-channel images,
# 2. implement sampling from it, `sample_logistic_mixture`,
# 3. train a small causal network with a mixture head on 8-bit MNIST and compare it with the same
#    network with a 256-way softmax head: bits/dim, size of the output layer, samples.
#
# | question | points |
# |---|---|
# | (a) `logistic_mixture_log_prob` (1 and 3 channels) | 5 |
# | (b) `sample_logistic_mixture` (1 and 3 channels) | 4 |
# | (c) the mixture model's held-out bits/dim on `mnist_gray` | 4 |
# | (d) the mixture model is autoregressive | 2 |

# %% [markdown] tags=["how-to-submit"]
# ## How to submit
#
# *(This cell is written by `autograder release`: which files to upload, where, what the
# autograder checks and how to run the public tests.)*

# %% nbgrader={"grade": false, "grade_id": "lmix_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
import matplotlib.pyplot as plt

from arkit.data import load_dataset
from arkit.plotting import plot_losses, show_samples
from arkit.profiles import active_profile, default_device, pick
from arkit.seeding import seed_everything
from arkit.submission import expose
from arkit.training import evaluate, train_epochs
from arkit.units import format_nll, nats_to_bits

PROFILE = active_profile()            # "ci" | "cpu" | "gpu"  (env ARKIT_PROFILE overrides)
SEED = int(os.environ.get("ARKIT_SEED", "0"))
seed_everything(SEED)
DEVICE = default_device(PROFILE)
if PROFILE == "ci":
    torch.set_num_threads(1)          # tiny models: one thread avoids oversubscribing 2 shared cores
CFG = pick({
    "ci": dict(n_train=2000, n_valid=500, hidden=16, layers=3, num_mixtures=5, epochs=2,
               max_steps=150, batch_size=16, lr=5e-3, n_samples=8),
    "cpu": dict(n_train=10000, n_valid=1000, hidden=32, layers=4, num_mixtures=5, epochs=1,
                max_steps=400, batch_size=32, lr=1e-3, n_samples=16),
    "gpu": dict(n_train=None, n_valid=None, hidden=128, layers=8, num_mixtures=10, epochs=15,
                max_steps=None, batch_size=128, lr=1e-3, n_samples=64),
}, PROFILE)
print(f"profile={PROFILE} seed={SEED} device={DEVICE} config={CFG}")

# %% [markdown]
# ## (a) The PixelCNN++ likelihood (5 points)
#
# For one pixel with value $x \in \{0, \dots, 255\}$, rescale it to $\tilde x = 2x/255 - 1 \in [-1, 1]$;
# neighbouring values are $2/255$ apart, so each value owns the bin $[\tilde x - \tfrac{1}{255},
# \tilde x + \tfrac{1}{255}]$. With $K$ logistic components (weights $\pi = \operatorname{softmax}(\text{logits})$,
# means $\mu_k$, log-scales $\log s_k$):
#
# $$ P(x) = \sum_k \pi_k \Big[\sigma\big(\tfrac{\tilde x + 1/255 - \mu_k}{s_k}\big)
#                            - \sigma\big(\tfrac{\tilde x - 1/255 - \mu_k}{s_k}\big)\Big], $$
#
# where the bin of $x = 0$ extends to $-\infty$ and the bin of $x = 255$ to $+\infty$. Log-scales
# are clamped below at $-7$.
#
# **Colour.** For RGB the channels of one pixel share the mixture component $k$, and inside a
# component the channels are coupled linearly (the autoregressive order R, G, B within a pixel):
#
# $$ \mu_{k,G} \leftarrow \mu_{k,G} + \alpha_k \tilde x_R, \qquad
#    \mu_{k,B} \leftarrow \mu_{k,B} + \beta_k \tilde x_R + \gamma_k \tilde x_G, $$
#
# with $\alpha, \beta, \gamma = \tanh(\cdot)$ of the raw coefficients. Then
# $P(x_R, x_G, x_B) = \sum_k \pi_k \prod_{c} P_{k,c}(x_c)$ with the shifted means.
#
# **Parameter layout** (channels of `params`, shape (B, P, H, W)):
# - $C = 1$: $P = 3K$: `[logits (K) | means (K) | log_scales (K)]`;
# - $C = 3$: $P = 10K$: `[logits (K) | R: means, log_scales, coeffs (3K) | G: the same (3K) | B: the same (3K)]`,
#   where the coefficient block stored with R is $\alpha$, with G is $\beta$ and with B is $\gamma$.
#
# Return the log-likelihood of each **image** (sum over pixels and channels) in **nats**, shape (B,).
# As in notebook 1, compute the log of a bin mass in log space so that it stays finite when a
# bin is far in the tail (log-scale $-7$).

# %% nbgrader={"grade": false, "grade_id": "lmix_log_prob", "locked": false, "schema_version": 3, "solution": true, "task": false}
def logistic_mixture_log_prob(x: torch.Tensor, params: torch.Tensor, num_mixtures: int) -> torch.Tensor:
    """PixelCNN++ discretized logistic mixture log-likelihood, in **nats per image**.

    Args:
        x: int64 (B, C, H, W), C in {1, 3}, values 0..255.
        params: (B, P, H, W) with P = 3K (C = 1) or 10K (C = 3), layout described above.
        num_mixtures: K.

    Returns:
        (B,) float tensor: log P(x[b]) summed over channels and pixels (nats).
    """
    ### BEGIN SOLUTION
    B, C, H, W = x.shape
    K = num_mixtures
    xs = x.to(params.dtype) * (2.0 / 255.0) - 1.0                     # (B, C, H, W) in [-1, 1]
    log_pi = torch.log_softmax(params[:, :K], dim=1)                    # (B, K, H, W)
    if C == 1:
        means, log_scales = params[:, K:2 * K][:, None], params[:, 2 * K:3 * K][:, None]  # (B, 1, K, H, W)
    else:
        blocks = params[:, K:].reshape(B, 3, 3, K, H, W)                # (B, channel, [mean, log_scale, coeff], K, H, W)
        means, log_scales, coeffs = blocks[:, :, 0], blocks[:, :, 1], torch.tanh(blocks[:, :, 2])
        xr, xg = xs[:, 0:1, None], xs[:, 1:2, None]                     # (B, 1, 1, H, W)
        means = torch.cat([means[:, 0:1],
                           means[:, 1:2] + coeffs[:, 0:1] * xr,
                           means[:, 2:3] + coeffs[:, 1:2] * xr + coeffs[:, 2:3] * xg], dim=1)
    log_scales = log_scales.clamp(min=-7.0)
    xk = xs[:, :, None]                                                 # (B, C, 1, H, W)
    inv_s = torch.exp(-log_scales)
    lo = (xk - 1.0 / 255.0 - means) * inv_s
    hi = (xk + 1.0 / 255.0 - means) * inv_s
    lo = torch.where(x[:, :, None] <= 0, torch.full_like(lo, -torch.inf), lo)
    hi = torch.where(x[:, :, None] >= 255, torch.full_like(hi, torch.inf), hi)
    d = (lo - hi).clamp(max=-1e-12)
    log1mexp = torch.where(d > -0.6931, torch.log(-torch.expm1(d)), torch.log1p(-torch.exp(d)))
    log_mass = F.logsigmoid(hi) + F.logsigmoid(-lo) + log1mexp           # (B, C, K, H, W)
    per_pixel = torch.logsumexp(log_pi + log_mass.sum(dim=1), dim=1)    # (B, H, W)
    return per_pixel.flatten(1).sum(dim=1)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "lmix_log_prob_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("logistic_mixture_log_prob", logistic_mixture_log_prob)

# %% [markdown]
# Public checks: for a single 1x1 image the probabilities of all 256 values (all $256^3$ colours
# would be too many, so we sum over B for a few fixed (R, G)) must sum to 1, values must be
# finite even for log-scale $-7$, and gradients must be finite.

# %% nbgrader={"grade": true, "grade_id": "lmix_log_prob_test", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
from arkit.checks.finite import check_finite_gradients

_g = torch.Generator().manual_seed(0)
_v = torch.arange(256)
for _K in (1, 3):
    for _scale in (-7.0, -3.0, 0.0):
        _p = torch.randn(1, 3 * _K, 1, 1, generator=_g)
        _p[:, 2 * _K:] = _scale
        _lp = logistic_mixture_log_prob(_v.view(256, 1, 1, 1), _p.expand(256, -1, -1, -1), _K)
        assert _lp.shape == (256,), f"expected one log-likelihood per image, shape (256,), got {tuple(_lp.shape)}"
        assert torch.isfinite(_lp).all(), f"non-finite log-likelihood for log_scale={_scale}"
        _tot = float(torch.exp(_lp.double()).sum())
        assert abs(_tot - 1) < 1e-3, f"1 channel, K={_K}, log_scale={_scale}: probabilities sum to {_tot:.5f}, not 1"
# 3 channels: summing P(r, g, b) over all (g, b) must give the marginal of R, i.e. the 1-channel
# likelihood with the R block of the parameters (the same components, no coupling).
_K = 2
_p = torch.randn(1, 10 * _K, 1, 1, generator=_g)
_gb = torch.stack(torch.meshgrid(_v, _v, indexing="ij"), -1).reshape(-1, 2)
_pR = _p[:, list(range(_K)) + list(range(_K, 3 * _K))]   # logits, R means, R log_scales
for _r in (0, 100, 255):
    _img = torch.cat([torch.full((len(_gb), 1), _r), _gb], 1).view(-1, 3, 1, 1)
    _lp = logistic_mixture_log_prob(_img, _p.expand(len(_img), -1, -1, -1), _K)
    assert torch.isfinite(_lp).all(), "non-finite 3-channel log-likelihoods"
    _marg = float(torch.logsumexp(_lp.double(), 0))
    _want = float(logistic_mixture_log_prob(torch.tensor([[[[_r]]]]), _pR, _K))
    assert abs(_marg - _want) < 1e-3, (f"3 channels, R={_r}: summing P(R, G, B) over G and B gives log {_marg:.4f}, "
                                      f"but the marginal of R is log {_want:.4f}: G and B must each be normalised")
# Shape and finite gradients with extreme log-scales (3 channels, K=3).
_x1 = torch.randint(0, 256, (4, 3, 5, 5), generator=_g)
_x1[0] = 0
_x1[1] = 255
_p1 = torch.randn(4, 30, 5, 5, generator=_g) * 3
assert logistic_mixture_log_prob(_x1, _p1, 3).shape == (4,), "expected one value per image, shape (4,)"
check_finite_gradients(lambda x, p: logistic_mixture_log_prob(x, p, 3), {"x": _x1, "params": _p1}).raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "lmix_log_prob_test")
### END HIDDEN TESTS

# %% [markdown]
# ## (b) Sampling from the mixture (4 points)
#
# To sample one pixel given its parameters:
#
# 1. pick a component $k \sim \operatorname{Categorical}(\operatorname{softmax}(\text{logits}))$ (e.g. Gumbel-max:
#    $\arg\max_k(\text{logits}_k + g_k)$ with $g_k = -\log(-\log u_k)$, or `torch.multinomial`),
# 2. draw a logistic sample by inverting its CDF: $\tilde x = \mu_k + s_k(\log u - \log(1-u))$ with
#    $u \sim \mathrm{Uniform}(0, 1)$ (keep $u$ away from 0 and 1),
# 3. map it to a pixel value: $x = \mathrm{round}\big((\tilde x + 1) \cdot 255 / 2\big)$, clamped to $0..255$
#    (the clamp is exactly the "edge bins extend to infinity" rule).
#
# For 3 channels use the **same** component for R, G and B, sample R first, then G with its mean
# shifted by $\alpha_k \tilde x_R$, then B shifted by $\beta_k \tilde x_R + \gamma_k \tilde x_G$, where
# $\tilde x_R, \tilde x_G$ are the *sampled pixel values* rescaled to $[-1, 1]$ (the same values the
# likelihood conditions on). Clamp log-scales at $-7$ as in the likelihood.
#
# `params` holds the parameters of $N$ independent pixels, shape (N, P), in the layout of part (a).

# %% nbgrader={"grade": false, "grade_id": "lmix_sampler", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sample_logistic_mixture(params: torch.Tensor, num_mixtures: int, channels: int) -> torch.Tensor:
    """Sample one value per pixel from PixelCNN++ mixture parameters.

    Args:
        params: (N, P) float, P = 3K (channels = 1) or 10K (channels = 3).
        num_mixtures: K.
        channels: 1 or 3.

    Returns:
        int64 (N, channels), values in 0..255.
    """
    ### BEGIN SOLUTION
    N, K = params.shape[0], num_mixtures
    u = torch.rand(N, K, device=params.device).clamp(1e-10, 1 - 1e-10)
    k = torch.argmax(params[:, :K] - torch.log(-torch.log(u)), dim=1, keepdim=True)  # Gumbel-max (N, 1)
    blocks = params[:, K:].reshape(N, channels, 3 if channels == 3 else 2, K)
    chosen = blocks.gather(3, k[:, None, None, :].expand(N, channels, blocks.shape[2], 1))[..., 0]
    means, log_scales = chosen[:, :, 0], chosen[:, :, 1].clamp(min=-7.0)               # (N, C)
    coeffs = torch.tanh(chosen[:, :, 2]) if channels == 3 else None
    out, scaled = [], []
    for c in range(channels):
        mean = means[:, c]
        if c == 1:
            mean = mean + coeffs[:, 0] * scaled[0]
        elif c == 2:
            mean = mean + coeffs[:, 1] * scaled[0] + coeffs[:, 2] * scaled[1]
        v = torch.rand(N, device=params.device).clamp(1e-6, 1 - 1e-6)
        xt = mean + torch.exp(log_scales[:, c]) * (torch.log(v) - torch.log1p(-v))
        value = torch.round((xt + 1) * 127.5).clamp(0, 255)
        out.append(value.long())
        scaled.append(value * (2.0 / 255.0) - 1.0)
    return torch.stack(out, dim=1)
    ### END SOLUTION


# %% [markdown]
# Below, 20,000 samples for one fixed pixel against its probabilities computed with your
# likelihood (they should agree if both are right).

# %% nbgrader={"grade": false, "grade_id": "lmix_sampler_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("sample_logistic_mixture", sample_logistic_mixture)
_demo = torch.tensor([0.5, -0.3, 1.0, -0.6, 0.1, 0.9, -3.0, -2.5, -4.0])  # K=3: logits, means, log_scales
with torch.no_grad():
    _pmf = torch.exp(logistic_mixture_log_prob(torch.arange(256).view(256, 1, 1, 1),
                                               _demo.view(1, 9, 1, 1).expand(256, -1, -1, -1), 3))
_samples = sample_logistic_mixture(_demo.expand(20_000, -1), 3, 1)[:, 0]
fig, ax = plt.subplots(figsize=(8, 3))
ax.bar(np.arange(256), np.bincount(_samples.numpy(), minlength=256) / len(_samples), color="0.7", width=1.0, label="samples")
ax.plot(np.arange(256), _pmf.numpy(), color="C3", lw=1, label="P(x) from the likelihood")
ax.set_xlabel("pixel value")
ax.legend()
plt.show()

# %% nbgrader={"grade": true, "grade_id": "lmix_sampler_test", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Public checks: dtype, shape, range, a nearly deterministic component, and the mean of a wide one.
for _C, _P in ((1, 3), (3, 10)):
    _s = sample_logistic_mixture(torch.zeros(100, _P * 2), 2, _C)
    assert _s.dtype == torch.int64 and _s.shape == (100, _C), f"expected int64 (100, {_C}), got {_s.dtype} {tuple(_s.shape)}"
    assert int(_s.min()) >= 0 and int(_s.max()) <= 255, "samples must lie in 0..255"
_sharp = torch.tensor([0.0, 5 / 255 * 2 - 1, -7.0])           # one component, mean at value 5, tiny scale
assert float((sample_logistic_mixture(_sharp.expand(500, -1), 1, 1) == 5).float().mean()) > 0.9, \
    "a component with mean at value 5 and log_scale -7 must nearly always give 5: check the rescaling to 0..255"
_far = torch.tensor([0.0, 3.0, -7.0])                         # mean beyond the right edge
assert bool((sample_logistic_mixture(_far.expand(200, -1), 1, 1) == 255).all()), "values above 1 must clamp to 255"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "lmix_sampler_test")
### END HIDDEN TESTS

# %% [markdown]
# ## A causal network without masks
#
# Notebook 3 makes convolutions causal by masking their kernels. PixelCNN++ uses a different
# construction that we provide here: **shifted convolutions**. A convolution with a $2 \times 3$
# kernel whose input is padded with one row on top (and none below) only sees the current row and
# the row above; shifting its output down by one row (`down_shift`) makes it see only rows
# *strictly above*. Likewise a $2 \times 2$ kernel padded on the top and left sees only the
# up-left quadrant, and `right_shift` excludes the current column.
#
# ```
#  "up" stream u (rows above)        "up-left" stream ul (rows above + left in this row)
#   . . . . . . .                      . . . . . . .
#   x x x x x x x                      x x x x x x x
#   x x x x x x x                      x x x x x x x
#   . . . o . . .                      x x x o . . .
# ```
#
# Two streams are combined: `u` sees everything above the current row, `ul` additionally sees
# the pixels to the left in the current row. Stacking the layers grows the receptive field without
# a blind spot (unlike the masked PixelCNN of notebook 3). The head is a $1 \times 1$ convolution
# on `ul` that outputs `out_channels` parameters per pixel.

# %% nbgrader={"grade": false, "grade_id": "lmix_network", "locked": true, "schema_version": 3, "solution": false, "task": false}
def down_shift(h):
    """(B, C, H, W) -> the same shape, moved down one row (top row zero)."""
    return F.pad(h, (0, 0, 1, 0))[:, :, :-1, :]


def right_shift(h):
    """(B, C, H, W) -> the same shape, moved right one column (left column zero)."""
    return F.pad(h, (1, 0, 0, 0))[:, :, :, :-1]


class DownConv(nn.Module):
    """Conv with kernel (kh, kw): output (i, j) sees input rows i-kh+1..i, columns j-(kw-1)/2..j+(kw-1)/2."""

    def __init__(self, cin, cout, kernel=(2, 3)):
        super().__init__()
        kh, kw = kernel
        self.pad = ((kw - 1) // 2, (kw - 1) // 2, kh - 1, 0)   # left, right, top, bottom
        self.conv = nn.Conv2d(cin, cout, kernel)

    def forward(self, h):
        return self.conv(F.pad(h, self.pad))


class DownRightConv(nn.Module):
    """Conv with kernel (kh, kw): output (i, j) sees input rows i-kh+1..i, columns j-kw+1..j."""

    def __init__(self, cin, cout, kernel=(2, 2)):
        super().__init__()
        kh, kw = kernel
        self.pad = (kw - 1, 0, kh - 1, 0)
        self.conv = nn.Conv2d(cin, cout, kernel)

    def forward(self, h):
        return self.conv(F.pad(h, self.pad))


class ShiftedPixelCNN(nn.Module):
    """A small PixelCNN++-style network: x (B, C, H, W) with values 0..255 -> (B, out_channels, H, W).

    Output (i, j) depends only on pixels strictly before (i, j) in raster order (all channels
    of earlier pixels, none of pixel (i, j) itself).
    """

    def __init__(self, in_channels=1, hidden=32, layers=4, out_channels=15):
        super().__init__()
        self.u0 = DownConv(in_channels, hidden, (2, 3))
        self.ul0_up = DownConv(in_channels, hidden, (1, 3))
        self.ul0_left = DownRightConv(in_channels, hidden, (2, 1))
        self.u_layers = nn.ModuleList(DownConv(hidden, hidden, (2, 3)) for _ in range(layers))
        self.ul_layers = nn.ModuleList(DownRightConv(hidden, hidden, (2, 2)) for _ in range(layers))
        self.links = nn.ModuleList(nn.Conv2d(hidden, hidden, 1) for _ in range(layers))
        self.head = nn.Conv2d(hidden, out_channels, 1)

    def forward(self, x):
        h = x.float() * (2.0 / 255.0) - 1.0
        u = down_shift(self.u0(h))
        ul = down_shift(self.ul0_up(h)) + right_shift(self.ul0_left(h))
        for conv_u, conv_ul, link in zip(self.u_layers, self.ul_layers, self.links):
            u = u + conv_u(F.elu(u))
            ul = ul + conv_ul(F.elu(ul)) + link(F.elu(u))
        return self.head(F.elu(ul))


# %% [markdown]
# ## (c) Training on 8-bit MNIST (4 points)
#
# We train the same network twice on grayscale MNIST (`mnist_gray`, values 0..255): once with a
# mixture head ($3K$ outputs per pixel) and once with a 256-way softmax head. Write the two losses,
# both as the mean NLL in **nats/dim** (one dimension per pixel and channel).

# %% nbgrader={"grade": false, "grade_id": "lmix_data", "locked": true, "schema_version": 3, "solution": false, "task": false}
_train, _valid = load_dataset("mnist_gray", "train"), load_dataset("mnist_gray", "valid")
X_TRAIN = torch.as_tensor(_train.x[:CFG["n_train"]]).long()
X_VALID = torch.as_tensor(_valid.x[:CFG["n_valid"]]).long()
K = CFG["num_mixtures"]
print(f"mnist_gray: train {tuple(X_TRAIN.shape)}, valid {tuple(X_VALID.shape)}, K = {K}")

# %% nbgrader={"grade": false, "grade_id": "lmix_losses", "locked": false, "schema_version": 3, "solution": true, "task": false}
def mixture_loss(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Mean NLL of images x (int64 (B, C, H, W), 0..255) under the mixture model, **nats/dim** (0-dim)."""
    ### BEGIN SOLUTION
    return -logistic_mixture_log_prob(x, model(x), K).mean() / x[0].numel()
    ### END SOLUTION


def softmax_loss(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Mean NLL of images x (int64 (B, 1, H, W), 0..255) under a 256-way softmax model
    whose output is logits (B, 256, H, W); **nats/dim** (0-dim)."""
    ### BEGIN SOLUTION
    return F.cross_entropy(model(x), x[:, 0])
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "lmix_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
def train(out_channels, loss_fn, desc):
    torch.manual_seed(SEED)
    model = ShiftedPixelCNN(1, CFG["hidden"], CFG["layers"], out_channels).to(DEVICE)
    start = time.perf_counter()
    history = train_epochs(model, loss_fn, X_TRAIN, X_VALID, epochs=CFG["epochs"], lr=CFG["lr"],
                           batch_size=CFG["batch_size"], max_steps=CFG["max_steps"], device=DEVICE,
                           grad_clip=1.0, seed=SEED, desc=desc)
    print(f"{desc}: {time.perf_counter() - start:.1f} s, validation {format_nll(history.test[-1])}")
    return model.eval(), history


MIX_MODEL, MIX_HISTORY = train(3 * K, mixture_loss, "mixture head")
SOFT_MODEL, SOFT_HISTORY = train(256, softmax_loss, "softmax head")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
plot_losses(MIX_HISTORY.train, MIX_HISTORY.test, title=f"mixture head (K={K})", ax=axes[0])
plot_losses(SOFT_HISTORY.train, SOFT_HISTORY.test, title="256-way softmax head", ax=axes[1])
fig.tight_layout()
plt.show()

# %% nbgrader={"grade": false, "grade_id": "lmix_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
def mixture_params(x):
    """Grader view of the trained mixture model: x (B, 1, 28, 28) 0..255 -> params (B, 3K, 28, 28), CPU."""
    MIX_MODEL.eval()
    with torch.no_grad():
        return MIX_MODEL(torch.as_tensor(x).to(DEVICE)).cpu()


expose("lmix_mnist_params", mixture_params, kind="param_fn", dataset="mnist_gray",
       likelihood="pixelcnnpp", num_mixtures=K)
def mixture_model_fn(x):
    """The trained mixture network as a differentiable function (for the autoregressive check)."""
    return MIX_MODEL(torch.as_tensor(x).to(DEVICE)).cpu()


expose("lmix_model", mixture_model_fn, kind="model", num_mixtures=K)

# %% nbgrader={"grade": true, "grade_id": "lmix_model_test", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Public checks: the parameters have the right shape and are finite; validation NLL is finite.
_params = mixture_params(X_VALID[:2])
assert _params.shape == (2, 3 * K, 28, 28), f"expected params (2, {3 * K}, 28, 28), got {tuple(_params.shape)}"
assert torch.isfinite(_params).all(), "the model outputs non-finite parameters"
assert np.isfinite(MIX_HISTORY.test[-1]), "validation NLL is not finite"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "lmix_model_test")
### END HIDDEN TESTS

# %% [markdown]
# ## (d) Is the mixture model autoregressive? (2 points)
#
# The check below computes which input pixels each output pixel's parameters depend on and fails
# if any output depends on its own pixel or a later one. It uses the gradient of each output with
# respect to the input; the $3K$ parameters of a pixel count as that pixel's output.

# %% nbgrader={"grade": true, "grade_id": "lmix_ar_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
from arkit.checks.autoregressive import check_autoregressive
_to_vars = lambda out: out.permute(0, 2, 3, 1).reshape(out.shape[0], -1, out.shape[1])  # (B, 3K, H, W) -> (B, H*W, 3K)
_ar = check_autoregressive(mixture_model_fn, (1, 12, 12), num_values=256, to_vars=_to_vars)
print(_ar)
_ar.raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "lmix_ar_test")
### END HIDDEN TESTS

# %% [markdown]
# ## Samples and the cost of a softmax
#
# Sampling is sequential: for each pixel in raster order, run the network on the partial image and
# draw that pixel from its predicted distribution (784 network evaluations for a 28x28 image).

# %% nbgrader={"grade": false, "grade_id": "lmix_samples", "locked": true, "schema_version": 3, "solution": false, "task": false}
@torch.no_grad()
def sample_images(model, n, draw_pixel, shape=(1, 28, 28)):
    """Raster-order sampling; draw_pixel(out[:, :, i, j]) -> int64 (n, C)."""
    x = torch.zeros(n, *shape, dtype=torch.long, device=DEVICE)
    for i in range(shape[1]):
        for j in range(shape[2]):
            x[:, :, i, j] = draw_pixel(model(x)[:, :, i, j])
    return x.cpu()


torch.manual_seed(SEED)
start = time.perf_counter()
MIX_SAMPLES = sample_images(MIX_MODEL, CFG["n_samples"], lambda p: sample_logistic_mixture(p, K, 1))
SOFT_SAMPLES = sample_images(SOFT_MODEL, CFG["n_samples"],
                             lambda logits: torch.multinomial(torch.softmax(logits, 1), 1))
print(f"sampling took {time.perf_counter() - start:.1f} s")
fig, axes = plt.subplots(1, 3, figsize=(12, 4))
show_samples(X_VALID[:CFG["n_samples"]], nrow=4, num_values=256, title="data", ax=axes[0])
show_samples(MIX_SAMPLES, nrow=4, num_values=256, title=f"mixture head (K={K})", ax=axes[1])
show_samples(SOFT_SAMPLES, nrow=4, num_values=256, title="softmax head", ax=axes[2])
plt.show()

# %% nbgrader={"grade": false, "grade_id": "lmix_table", "locked": true, "schema_version": 3, "solution": false, "task": false}
def head_params(model):
    return sum(p.numel() for p in model.head.parameters())


print(f"{'head':<16} {'output-layer params':>20} {'total params':>13} {'nats/dim':>9} {'bits/dim':>9}")
for label, model, hist in (("mixture", MIX_MODEL, MIX_HISTORY), ("softmax (256)", SOFT_MODEL, SOFT_HISTORY)):
    total = sum(p.numel() for p in model.parameters())
    print(f"{label:<16} {head_params(model):>20} {total:>13} {hist.test[-1]:>9.4f} {nats_to_bits(hist.test[-1]):>9.4f}")

# %% [markdown]
# **Why a 256-way softmax wastes parameters.** Its output layer maps the $h$ hidden features of
# a pixel to 256 logits: $(h + 1) \cdot 256$ weights and biases per colour channel, against
# $(h + 1) \cdot 3K$ for the mixture (15 outputs for $K = 5$, 17 times fewer). For RGB the gap grows: $3 \cdot 256 = 768$ logits per pixel against $10K$ mixture parameters.
#
# More importantly, the softmax treats the 256 values as unrelated labels: seeing many pixels of
# value 200 teaches it nothing about 199 or 201, so it needs much more data to learn a smooth
# distribution, and its distributions stay jagged where data are scarce. The mixture *knows* that
# values are ordered and that close values have close probabilities: a few parameters put mass on
# whole ranges of values, and the edge bins capture the many exact 0s and 255s cheaply.
#
# **Read the table with care.** MNIST is an easy case for the softmax: almost every pixel is
# exactly 0 or 255 (two spikes that a softmax learns in a few steps), so with a short training
# budget the softmax head can reach a *lower* NLL than the mixture, which first has to shrink its
# scales around the edge bins. The mixture's advantages show on data whose intensities vary
# smoothly (natural images, CIFAR-10 in the PixelCNN++ paper) and in the size of the output layer.
#
# **Optional (ungraded) bonus.** Train the same network with `in_channels=3` and a $10K$ head on a
# colour dataset of your choice, sample with `sample_logistic_mixture(p, K, 3)`, and compare the
# bits/dim with a per-channel softmax. Which coupling coefficients does the model learn?
