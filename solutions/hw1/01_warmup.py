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
# # Homework 1, notebook 1: warm-up with histograms and logistic mixtures in 1D (20 points)
#
# **Goal.** Before we model images, we fit distributions over a *single* discrete variable
# $x \in \{0, \dots, V-1\}$ by maximum likelihood. Two models:
#
# 1. a **histogram**: one free parameter per value (a categorical distribution),
# 2. a **discretized mixture of logistics** (DMoL): a handful of parameters that describe a
#    smooth density, integrated over unit-width bins.
#
# Both are trained with stochastic gradient descent on the negative log-likelihood (NLL).
# The same ideas carry over to the image models of notebooks 2 to 4: there the chain rule
# $p(x_1, \dots, x_D) = \prod_d p(x_d \mid x_{<d})$ turns a joint distribution into $D$
# one-dimensional conditionals, and each conditional is exactly one of the 1D models you build here.
#
# | question | points |
# |---|---|
# | (a) histogram fitted by maximum likelihood (held-out NLL on both datasets) | 5 |
# | (b) inverse-CDF sampler `sample_histogram` | 4 |
# | (c) `dmol_log_prob`: discretized logistic mixture likelihood | 6 |
# | (d) DMoL model fitted on both datasets (held-out NLL) | 5 |
#
# Cells marked "solution" are yours. The graded cells start with public checks you can run
# yourself; the grader adds hidden checks and measures your models on a held-out split that
# you never see.

# %% [markdown] tags=["how-to-submit"]
# ## How to submit
#
# *(This cell is written by `autograder release`: which files to upload, where, what the
# autograder checks and how to run the public tests.)*

# %% nbgrader={"grade": false, "grade_id": "warmup_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
import matplotlib.pyplot as plt

from arkit.data import load_dataset
from arkit.plotting import plot_distribution, plot_losses
from arkit.profiles import active_profile, default_device, pick
from arkit.seeding import seed_everything
from arkit.submission import expose
from arkit.training import train_epochs
from arkit.units import format_nll, nats_to_bits

PROFILE = active_profile()            # "ci" | "cpu" | "gpu"  (env ARKIT_PROFILE overrides)
SEED = int(os.environ.get("ARKIT_SEED", "0"))
seed_everything(SEED)
DEVICE = default_device(PROFILE)
if PROFILE == "ci":
    torch.set_num_threads(1)          # tiny models: one thread avoids oversubscribing 2 shared cores
CFG = pick({
    "ci": dict(steps=150, batch_size=256, lr_hist=5e-2, lr_dmol=5e-2, num_mixtures=4),
    "cpu": dict(steps=1000, batch_size=128, lr_hist=5e-2, lr_dmol=5e-2, num_mixtures=4),
    "gpu": dict(steps=1000, batch_size=128, lr_hist=5e-2, lr_dmol=5e-2, num_mixtures=4),
}, PROFILE)
DATASETS = ("gauss1d_small", "gauss1d_large")
print(f"profile={PROFILE} seed={SEED} device={DEVICE} config={CFG}")

# %% [markdown]
# ## Maximum likelihood, nats and bits
#
# Given samples $x^{(1)}, \dots, x^{(N)}$ from an unknown distribution $p_{\text{data}}$, maximum
# likelihood picks the parameters $\theta$ that minimise the average negative log-likelihood
#
# $$ \mathcal{L}(\theta) = -\frac{1}{N} \sum_{n=1}^{N} \log p_\theta\big(x^{(n)}\big). $$
#
# This is the cross-entropy between the data and the model; it is minimised (in expectation)
# by $p_\theta = p_{\text{data}}$, where it equals the entropy of the data.
#
# **Units.** With the natural logarithm the NLL is measured in **nats**; with $\log_2$ in
# **bits** (1 nat $= 1/\ln 2 \approx 1.443$ bits). A bit is the length of a yes/no answer, so
# "bits per dimension" is the average code length per variable that an ideal compressor built
# on the model would achieve. We train and plot in **nats/dim** (here one dimension per
# example); tables show both. `arkit.units` converts.
#
# Let us look at the two datasets. Both are samples from a discretized mixture of Gaussians;
# `gauss1d_small` has 20 values and few samples, `gauss1d_large` 100 values and many samples.

# %% nbgrader={"grade": false, "grade_id": "warmup_data", "locked": true, "schema_version": 3, "solution": false, "task": false}
DATA = {}
for name in DATASETS:
    train, valid = load_dataset(name, "train"), load_dataset(name, "valid")
    DATA[name] = dict(train=torch.as_tensor(train.x), valid=torch.as_tensor(valid.x),
                      num_values=train.info.num_values, true_pmf=train.info.extra["density"])
    print(f"{name}: {len(train.x)} train / {len(valid.x)} valid samples, values 0..{train.info.num_values - 1}")

fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
for ax, name in zip(axes, DATASETS):
    x, V = DATA[name]["train"], DATA[name]["num_values"]
    ax.bar(np.arange(V), np.bincount(x.numpy(), minlength=V), color="0.6")
    ax.set_title(f"{name}: training counts")
    ax.set_xlabel("x")
plt.show()

# %% [markdown]
# ## (a) A histogram is a categorical distribution (5 points)
#
# The histogram model has one logit $\theta_v$ per value and
# $p_\theta(x = v) = \operatorname{softmax}(\theta)_v = e^{\theta_v} / \sum_u e^{\theta_u}$.
# The softmax keeps the probabilities positive and normalised whatever the logits are, so we
# can run unconstrained gradient descent on $\theta$.
#
# The model below returns the **logits** for every example of a batch (the same row each time:
# this model ignores its input, but the image models later will not). Write `histogram_loss`:
# the average NLL of a batch, in nats per dimension (a 0-dim tensor). Use `log_softmax`, never
# `log(softmax(...))`, which underflows for very negative logits.

# %% nbgrader={"grade": false, "grade_id": "warmup_histogram_model", "locked": true, "schema_version": 3, "solution": false, "task": false}
class Histogram(nn.Module):
    """Categorical distribution over ``{0 .. num_values-1}`` with free logits ``theta`` (V,)."""

    def __init__(self, num_values: int):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(num_values))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: int64 (B,) -> logits (B, V), identical rows."""
        return self.logits.expand(x.shape[0], -1)

    def probs(self) -> torch.Tensor:
        """The model's distribution, (V,) float, sums to 1."""
        return torch.softmax(self.logits.detach(), dim=0)


# %% nbgrader={"grade": false, "grade_id": "warmup_histogram_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def histogram_loss(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood of ``x`` (int64 (B,)) under ``model``, in **nats/dim**.

    ``model(x)`` returns logits shaped (B, V). Returns a 0-dim tensor.
    """
    ### BEGIN SOLUTION
    log_probs = torch.log_softmax(model(x), dim=-1)
    return -log_probs.gather(1, x.long()[:, None]).mean()
    ### END SOLUTION


# %% [markdown]
# We train one histogram per dataset with Adam (the training loop `arkit.training.train_epochs`
# records the training loss per step and the validation loss once per epoch, both in nats/dim).

# %% nbgrader={"grade": false, "grade_id": "warmup_histogram_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
HIST, HIST_HISTORY = {}, {}
for name in DATASETS:
    d = DATA[name]
    torch.manual_seed(SEED)
    HIST[name] = Histogram(d["num_values"])
    HIST_HISTORY[name] = train_epochs(HIST[name], histogram_loss, d["train"], d["valid"],
                                      epochs=10_000, max_steps=CFG["steps"], lr=CFG["lr_hist"],
                                      batch_size=CFG["batch_size"], seed=SEED, desc=f"histogram {name}")
    print(f"histogram {name}: final validation NLL {format_nll(HIST_HISTORY[name].test[-1])}")

fig, axes = plt.subplots(2, 2, figsize=(11, 6.5))
for col, name in enumerate(DATASETS):
    h = HIST_HISTORY[name]
    plot_losses(h.train, h.test, title=f"histogram, {name}", ax=axes[0, col])
    plot_distribution(HIST[name].probs(), DATA[name]["train"], title=f"learned histogram, {name}", ax=axes[1, col])
fig.tight_layout()
plt.show()

# %% nbgrader={"grade": false, "grade_id": "warmup_histogram_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
def _param_fn(model):
    """Wrap a trained model as the grader sees it: x (B,) int64 -> parameters, eval mode, no grad, CPU."""
    def param_fn(x):
        model.eval()
        with torch.no_grad():
            out = model(torch.as_tensor(x).to(DEVICE))
        return tuple(o.cpu() for o in out) if isinstance(out, tuple) else out.cpu()
    return param_fn


for name in DATASETS:
    expose(f"warmup_hist_{name.split('_')[1]}", _param_fn(HIST[name]), kind="param_fn",
           dataset=name, likelihood="categorical")

# %% nbgrader={"grade": true, "grade_id": "warmup_histogram_test", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
# Public checks: the loss is a finite scalar that equals -log(1/V) for uniform logits.
_m = Histogram(7)
_x = torch.arange(7)
with torch.no_grad():
    _l = histogram_loss(_m, _x)
assert _l.shape == (), f"histogram_loss must return a 0-dim tensor, got shape {tuple(_l.shape)}"
assert abs(float(_l) - np.log(7)) < 1e-5, f"uniform logits over 7 values must give log(7) nats, got {float(_l):.5f}"
for name in DATASETS:
    assert abs(float(HIST[name].probs().sum()) - 1) < 1e-5, "the histogram's probabilities must sum to 1"
    assert np.isfinite(HIST_HISTORY[name].test[-1]), f"validation NLL on {name} is not finite"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "warmup_histogram_test")
### END HIDDEN TESTS

# %% [markdown]
# **Why the histogram overfits on the small dataset.** With 20 values and only 1000 samples, a
# few values (usually in the tails) appear rarely or never in the training set. Maximum likelihood
# pushes their probability towards zero: the gradient of the NLL with respect to a logit is
# $p_\theta(v) - \hat p_{\text{data}}(v)$, which stays positive for a value that never occurs, so
# its logit keeps falling. A validation or held-out sample with such a value then costs many
# nats. The validation curve stops improving (or rises) while the training loss keeps falling.
# A histogram has as many parameters as values and shares nothing between neighbouring values;
# the mixture model of part (d) shares strength through a smooth density and generalises better.

# %% [markdown]
# ## (b) Sampling by inverse CDF (4 points)
#
# To sample from a categorical distribution $p$ over $\{0, \dots, V-1\}$: compute the cumulative
# sums $F_v = \sum_{u \le v} p_u$, draw $u \sim \mathrm{Uniform}[0, 1)$ and return the first $v$
# with $u < F_v$. Value $v$ is returned exactly when $F_{v-1} \le u < F_v$, an interval of length
# $p_v$, so values with $p_v = 0$ are never returned.
#
# Implement `sample_histogram` with `torch.cumsum` and `torch.searchsorted`, vectorised over
# all `n` samples (no Python loop). Draw the uniforms with `torch.rand(..., generator=generator)`
# so that a seeded generator makes the samples reproducible. Careful with rounding: in float32
# the last cumulative sum can be slightly below 1.

# %% nbgrader={"grade": false, "grade_id": "warmup_sampler", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sample_histogram(probs: torch.Tensor, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw ``n`` samples from the categorical distribution ``probs``.

    Args:
        probs: (V,) float tensor, non-negative, sums to 1 up to rounding (the last
            cumulative sum may be off by about 1e-5).
        n: number of samples.
        generator: optional ``torch.Generator`` used for all randomness.

    Returns:
        int64 tensor (n,) with values in ``0 .. V-1``.
    """
    ### BEGIN SOLUTION
    cdf = torch.cumsum(probs.double(), dim=0)
    u = torch.rand(n, generator=generator, dtype=torch.float64) * cdf[-1]
    return torch.searchsorted(cdf, u, right=True).clamp_(max=len(probs) - 1)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "warmup_sampler_demo", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("sample_histogram", sample_histogram)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
for ax, name in zip(axes, DATASETS):
    probs = HIST[name].probs()
    samples = sample_histogram(probs, 10_000, torch.Generator().manual_seed(SEED))
    plot_distribution(probs, samples, title=f"10,000 samples from the histogram, {name}", ax=ax)
    ax.legend(["model", "samples"])
fig.tight_layout()
plt.show()

# %% nbgrader={"grade": true, "grade_id": "warmup_sampler_test", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
# Public checks: dtype, shape, range, reproducibility with a seeded generator, a zero-probability value.
_p = torch.tensor([0.2, 0.0, 0.5, 0.3])
_s = sample_histogram(_p, 5000, torch.Generator().manual_seed(1))
assert _s.dtype == torch.int64 and _s.shape == (5000,), f"expected int64 (5000,), got {_s.dtype} {tuple(_s.shape)}"
assert int(_s.min()) >= 0 and int(_s.max()) <= 3, "samples must lie in 0 .. V-1"
assert not bool((_s == 1).any()), "value 1 has probability 0 but was sampled"
assert torch.equal(_s, sample_histogram(_p, 5000, torch.Generator().manual_seed(1))), \
    "the same seeded generator must give the same samples: draw all randomness from `generator`"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "warmup_sampler_test")
### END HIDDEN TESTS

# %% [markdown]
# ## (c) The discretized logistic mixture likelihood (6 points)
#
# The logistic distribution with mean $\mu$ and scale $s$ has the CDF
# $\sigma\!\left(\frac{x - \mu}{s}\right)$, where $\sigma$ is the sigmoid. A mixture of $K$ logistics
# with weights $\pi = \operatorname{softmax}(\text{logits})$ is a smooth density on the real line.
# To turn it into a distribution over the integers $\{0, \dots, V-1\}$ we give each value the
# probability mass of the unit-width bin around it:
#
# $$ P(x) = \sum_{k=1}^{K} \pi_k \left[ \sigma\!\left(\frac{x + \tfrac12 - \mu_k}{s_k}\right)
#          - \sigma\!\left(\frac{x - \tfrac12 - \mu_k}{s_k}\right) \right], $$
#
# except at the edges: the first bin ($x = 0$) extends to $-\infty$ (its lower CDF term is 0) and
# the last bin ($x = V-1$) to $+\infty$ (its upper CDF term is 1), so that no mass is lost.
# The scales are parameterised by $\log s_k$ (any real number).
#
# Implement `dmol_log_prob(x, logits, means, log_scales, num_values)` returning $\log P(x)$ in
# **nats**. Make it numerically stable: when a bin is far in the tail of every component, the
# difference of two sigmoids underflows to 0 and its log to $-\infty$. Work in log space:
# `F.logsigmoid` gives $\log \sigma$, `torch.logsumexp` combines the components, and
# $\log(\sigma(b) - \sigma(a))$ can be written with log-sigmoids and `log1mexp`-style identities
# (e.g. $\sigma(b) - \sigma(a) = \sigma(b)\,\sigma(-a)\,(1 - e^{a - b})$). It must stay accurate for
# $\log s_k \in [-7, 7]$ and means far outside $[0, V-1]$.

# %% nbgrader={"grade": false, "grade_id": "warmup_dmol", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dmol_log_prob(x, logits, means, log_scales, num_values: int) -> torch.Tensor:
    """log P(x) under a discretized mixture of K logistics, in **nats**.

    Args:
        x: int64 (N,) values in ``0 .. num_values-1``.
        logits, means, log_scales: mixture parameters, each (K,) (shared by all x) or (N, K).
        num_values: size of the support; the first bin extends to -inf, the last to +inf.

    Returns:
        (N,) float tensor of log-probabilities (nats).
    """
    ### BEGIN SOLUTION
    xf = x.to(means.dtype)[:, None]                      # (N, 1)
    inv_s = torch.exp(-log_scales)
    a = (xf - 0.5 - means) * inv_s                      # lower bin edge, standardised (N, K)
    b = (xf + 0.5 - means) * inv_s                      # upper bin edge
    neg_inf = torch.full_like(a, -torch.inf)
    a = torch.where(xf <= 0, neg_inf, a)                 # first bin extends to -inf
    b = torch.where(xf >= num_values - 1, -neg_inf, b)   # last bin extends to +inf
    # log(sigmoid(b) - sigmoid(a)) = logsigmoid(b) + logsigmoid(-a) + log(1 - exp(a - b)), with a < b
    d = (a - b).clamp(max=-1e-12)
    log1mexp = torch.where(d > -0.6931, torch.log(-torch.expm1(d)), torch.log1p(-torch.exp(d)))
    log_mass = F.logsigmoid(b) + F.logsigmoid(-a) + log1mexp
    return torch.logsumexp(torch.log_softmax(logits, dim=-1) + log_mass, dim=-1)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "warmup_dmol_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("dmol_log_prob", dmol_log_prob)

# %% [markdown]
# The public checks below test normalisation (the probabilities of all values sum to 1), finite
# values and gradients in extreme settings, and agreement with a slow, obviously-correct version
# on moderate parameters. The hidden test compares your function with a trusted implementation
# on adversarial parameters.

# %% nbgrader={"grade": true, "grade_id": "warmup_dmol_test", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
from arkit.checks.finite import check_finite_gradients
from arkit.checks.normalization import check_log_prob_normalized

_V = 20
for _ls in (-7.0, -1.0, 0.0, 2.0, 7.0):
    _params = (torch.tensor([0.3, -1.0]), torch.tensor([3.0, 40.0]), torch.tensor([_ls, _ls]))
    check_log_prob_normalized(lambda x: dmol_log_prob(x, *_params, _V), _V).raise_if_failed()
# Finite values and gradients far in the tails (means far outside 0..19, log-scale -7).
check_finite_gradients(dmol_log_prob, {"x": torch.tensor([0, 10, 19]), "logits": torch.tensor([[0.0, 1.0]] * 3),
                                       "means": torch.tensor([[-50.0, 80.0]] * 3),
                                       "log_scales": torch.tensor([[-7.0, -7.0]] * 3)},
                       extra_args=(_V,)).raise_if_failed()
# Agreement with a direct (unstable but simple) formula on moderate parameters.
_x = torch.arange(_V)
_lg, _mu, _ls = torch.tensor([0.5, -0.2, 0.0]), torch.tensor([4.0, 9.5, 15.0]), torch.tensor([0.3, 1.0, -0.5])
_cdf = lambda t: torch.sigmoid((t[:, None] - _mu) / torch.exp(_ls))
_hi = torch.where(_x[:, None] == _V - 1, torch.ones(1), _cdf(_x + 0.5))
_lo = torch.where(_x[:, None] == 0, torch.zeros(1), _cdf(_x - 0.5))
_direct = torch.log(((_hi - _lo) * torch.softmax(_lg, 0)).sum(1))
assert torch.allclose(dmol_log_prob(_x, _lg, _mu, _ls, _V), _direct, atol=1e-4), "disagrees with the direct formula"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "warmup_dmol_test")
### END HIDDEN TESTS

# %% [markdown]
# ## (d) Fitting a mixture of logistics (5 points)
#
# A `DMoL` model holds $K$ logits, means and log-scales (shared by all examples). Like the
# histogram it returns its parameters for every example of a batch. Write `dmol_loss`: the mean
# NLL in nats/dim, using your `dmol_log_prob`. The means start spread over the support so that
# every component has data nearby.

# %% nbgrader={"grade": false, "grade_id": "warmup_dmol_model", "locked": true, "schema_version": 3, "solution": false, "task": false}
class DMoL(nn.Module):
    """Discretized mixture of ``num_mixtures`` logistics over ``{0 .. num_values-1}``."""

    def __init__(self, num_values: int, num_mixtures: int = 4):
        super().__init__()
        self.num_values = num_values
        self.logits = nn.Parameter(torch.zeros(num_mixtures))
        self.means = nn.Parameter(torch.linspace(0, num_values - 1, num_mixtures + 2)[1:-1].clone())
        self.log_scales = nn.Parameter(torch.full((num_mixtures,), float(np.log(num_values / (2 * num_mixtures)))))

    def forward(self, x: torch.Tensor):
        """x: int64 (B,) -> (logits, means, log_scales), each (B, K)."""
        expand = lambda p: p.expand(x.shape[0], -1)
        return expand(self.logits), expand(self.means), expand(self.log_scales)

    def probs(self) -> torch.Tensor:
        """The model's distribution over all values, (V,), sums to 1."""
        with torch.no_grad():
            v = torch.arange(self.num_values)
            return torch.exp(dmol_log_prob(v, *self(v), self.num_values))


# %% nbgrader={"grade": false, "grade_id": "warmup_dmol_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dmol_loss(model: DMoL, x: torch.Tensor) -> torch.Tensor:
    """Mean NLL of ``x`` (int64 (B,)) under the DMoL ``model``, in **nats/dim** (0-dim tensor)."""
    ### BEGIN SOLUTION
    return -dmol_log_prob(x, *model(x), model.num_values).mean()
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "warmup_dmol_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
MIX, MIX_HISTORY = {}, {}
for name in DATASETS:
    d = DATA[name]
    torch.manual_seed(SEED)
    MIX[name] = DMoL(d["num_values"], CFG["num_mixtures"])
    MIX_HISTORY[name] = train_epochs(MIX[name], dmol_loss, d["train"], d["valid"],
                                     epochs=10_000, max_steps=CFG["steps"], lr=CFG["lr_dmol"],
                                     batch_size=CFG["batch_size"], seed=SEED, desc=f"DMoL {name}")
    print(f"DMoL {name}: final validation NLL {format_nll(MIX_HISTORY[name].test[-1])}")
    expose(f"warmup_dmol_{name.split('_')[1]}", _param_fn(MIX[name]), kind="param_fn",
           dataset=name, likelihood="dmol")

fig, axes = plt.subplots(2, 2, figsize=(11, 6.5))
for col, name in enumerate(DATASETS):
    h = MIX_HISTORY[name]
    plot_losses(h.train, h.test, title=f"DMoL (K={CFG['num_mixtures']}), {name}", ax=axes[0, col])
    ax = axes[1, col]
    plot_distribution(MIX[name].probs(), DATA[name]["train"], title=f"histogram vs DMoL, {name}", ax=ax)
    ax.get_lines()[0].set_label("DMoL")
    values = np.arange(DATA[name]["num_values"])
    ax.plot(values, HIST[name].probs().numpy(), "s--", color="C0", ms=3, label="histogram")
    ax.plot(values, DATA[name]["true_pmf"], color="k", lw=1, label="true distribution")
    ax.legend()
fig.tight_layout()
plt.show()

# %% nbgrader={"grade": true, "grade_id": "warmup_dmol_model_test", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
# Public checks: the fitted mixtures are normalised and their validation NLL is possible (finite and
# >= 0 nats/dim: probabilities of discrete values are <= 1; a negative "NLL" means the loss sign is flipped).
from arkit.checks import check_nll_plausible
for name in DATASETS:
    assert abs(float(MIX[name].probs().sum()) - 1) < 1e-4, f"the DMoL on {name} does not sum to 1"
    check_nll_plausible(MIX_HISTORY[name].test[-1], num_values=DATA[name]["num_values"],
                        name=f"DMoL validation NLL, {name}").raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "warmup_dmol_model_test")
### END HIDDEN TESTS

# %% [markdown]
# ## Comparison
#
# Validation NLL of both models on both datasets, in nats/dim and bits/dim (one dimension per
# example here, so these are also nats and bits per sample). No model can do better on average
# than the entropy $H(p) = -\sum_x p(x) \log p(x)$ of the true distribution, shown for reference
# (a finite validation set can land slightly below it by chance).

# %% nbgrader={"grade": false, "grade_id": "warmup_table", "locked": true, "schema_version": 3, "solution": false, "task": false}
print(f"{'dataset':<15} {'model':<10} {'params':>6} {'nats/dim':>9} {'bits/dim':>9}")
for name in DATASETS:
    for label, model, hist in (("histogram", HIST[name], HIST_HISTORY[name]), ("DMoL", MIX[name], MIX_HISTORY[name])):
        n_params = sum(p.numel() for p in model.parameters())
        print(f"{name:<15} {label:<10} {n_params:>6} {hist.test[-1]:>9.4f} {nats_to_bits(hist.test[-1]):>9.4f}")
    p = DATA[name]["true_pmf"]
    entropy = float(-(p * np.log(np.where(p > 0, p, 1.0))).sum())
    print(f"{name:<15} {'entropy':<10} {'':>6} {entropy:>9.4f} {nats_to_bits(entropy):>9.4f}   (the best possible)")

# %% [markdown]
# Both models land close to the true distribution (the black line in the last figure), and close
# to each other: here the data are generated by a smooth mixture, so a mixture with 12 parameters
# does as well as a histogram with 20 or 100. Where the histogram has too little data per value
# (the tails of `gauss1d_small`, or a run with more steps), it chases the noise of the training
# counts, while the mixture cannot put near-zero mass on a value between two well-populated ones.
# For 256 values per pixel and hundreds of pixels per image (notebook 4) the difference in the
# number of parameters matters.
