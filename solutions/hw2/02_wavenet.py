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
# # Homework 2, notebook 2: WaveNet and fast generation (25 points)
#
# **Goal.** Model an image as a *sequence* of pixels with a stack of **causal dilated
# convolutions** (WaveNet, van den Oord et al. 2016), then make sampling fast: a naive sampler
# re-runs the whole network for every new pixel (total work ~ $D^2$ for $D$ pixels), a **cached**
# sampler keeps a small queue of past activations per layer and does constant work per pixel
# (Paine et al. 2016, "Fast Wavenet Generation"). You will prove, not just claim, that both
# samplers draw the same images, and measure the speed-up.
#
# | part | what you write | points |
# |---|---|---|
# | 1. causal dilated convolution | `CausalConv1d` | 4 |
# | 2. WaveNet | `ResidualBlock`, `WaveNet` (autoregressive, sees its whole past) | 5 |
# | 3. training | held-out NLL on `binarized_mnist` | 5 |
# | 4. cached step | `wavenet_step`: one new pixel from per-layer queues, equal to the parallel pass | 5 |
# | 5. samplers | `sample_naive`, `sample_cached`: the same samples from the same uniforms | 3 |
# | 6. cost | the cached step does constant work per pixel | 3 |
#
# All losses are **negative log-likelihoods in nats per dimension** (natural log, divided by
# $D = 784$); bits/dim = nats/dim / ln 2. The grader measures your trained model on a held-out
# split that you never see; the "test" curve below uses the `valid` split.
#
# Conventions (the grader relies on them): an image is flattened in raster order (row by row,
# left to right), so pixel $(i, j)$ is variable $t = 28 i + j$; the model returns **logits with
# the class axis second**: `(B, K, T)` for sequences `(B, T)` and `(B, K, 1, 28, 28)` for images
# `(B, 1, 28, 28)`, with $K = 2$.

# %% [markdown] tags=["how-to-submit"]
# ## How to submit
#
# *(This cell is written by `autograder release`: which files to upload, where, what the
# autograder checks and how to run the public tests.)*

# %% nbgrader={"grade": false, "grade_id": "wavenet_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os
import math
import time
import numpy as np, torch, matplotlib.pyplot as plt
import torch.nn as nn
import torch.nn.functional as F
from arkit.profiles import active_profile, pick, default_device
from arkit.seeding import seed_everything
from arkit.data import load_dataset
from arkit.units import format_nll
from arkit.training import train_epochs
from arkit.plotting import show_samples, plot_losses
from arkit.checks import sample_with_uniforms
from arkit.submission import expose
PROFILE = active_profile()            # "ci" | "cpu" | "gpu"  (env ARKIT_PROFILE overrides)
SEED = int(os.environ.get("ARKIT_SEED", "0"))
seed_everything(SEED)
DEVICE = default_device(PROFILE)
if PROFILE == "ci":
    torch.set_num_threads(1)          # tiny models: one thread avoids oversubscribing 2 shared cores
CFG = pick({
    # channels: width of the residual stream and of the skip connections; steps: optimizer steps
    "ci": dict(channels=16, train=2000, valid=256, steps=120, batch_size=32, lr=5e-3, n_samples=4,
               timing_sizes=(16, 49, 98, 196), timing_batch=2),
    "cpu": dict(channels=32, train=20000, valid=1000, steps=1500, batch_size=64, lr=3e-3, n_samples=16,
                timing_sizes=(49, 98, 196, 392, 784), timing_batch=4),
    "gpu": dict(channels=64, train=None, valid=None, steps=8000, batch_size=64, lr=2e-3, n_samples=16,
                timing_sizes=(49, 98, 196, 392, 784), timing_batch=16),
})
D = 28 * 28                           # variables per image
print(f"profile={PROFILE} seed={SEED} device={DEVICE}")

# %% [markdown]
# ## 0. The data
#
# `binarized_mnist`: the fixed stochastic binarization of MNIST by Larochelle & Murray (2011), the
# standard benchmark for binary image models (28x28, values 0/1, no labels).

# %% nbgrader={"grade": false, "grade_id": "wavenet_data", "locked": true, "schema_version": 3, "solution": false, "task": false}
def as_tensor(name, split, n=None):
    """The first ``n`` images of a split as int64 (N, 1, 28, 28)."""
    s = load_dataset(name, split)
    n = len(s.x) if n is None else min(n, len(s.x))
    return torch.from_numpy(s.x[:n].astype(np.int64))

train_x = as_tensor("binarized_mnist", "train", CFG["train"])
valid_x = as_tensor("binarized_mnist", "valid", CFG["valid"])
print("train", tuple(train_x.shape), "valid", tuple(valid_x.shape))
show_samples(train_x[:16], nrow=16, num_values=2, title="binarized_mnist"); plt.show()

# %% [markdown]
# ## 1. Causal dilated convolutions
#
# Flatten the image into a sequence $x_0, \dots, x_{D-1}$. A 1D convolution of kernel size $k$
# and **dilation** $d$ reads inputs $t, t-d, \dots, t-(k-1)d$ at output $t$ when it is **causal**:
# pad $(k-1)d$ zeros on the left only, and nothing on the right, so output $t$ never sees an
# input after $t$. With $k = 2$ and dilations $1, 2, 4, \dots, 512$ (10 layers) output $t$
# reaches back $1 + 2 + \dots + 512 = 1023 \ge 784$ positions: the whole image.
#
# ```
#  dilation 4   o . . . o . . . o          output t reads t-4 and t
#  dilation 2   o . o . o . o . o
#  dilation 1   o o o o o o o o o
#  input        x x x x x x x x x
# ```
#
# The *model* must not see $x_t$ when it predicts $x_t$; we get that by **shifting the input**
# right by one (section 2), so every convolution may include its own position $t$.
#
# **Your task (4 points).** Write `CausalConv1d`: an `nn.Conv1d` (weights `(out, in, k)`, tap
# `k-1` is the newest input) whose output has the input's length $T$, output $t$ depending on
# inputs $t-(k-1)d, \dots, t$ only.

# %% nbgrader={"grade": false, "grade_id": "wavenet_causal_conv", "locked": false, "schema_version": 3, "solution": true, "task": false}
class CausalConv1d(nn.Conv1d):
    """Causal dilated 1D convolution: ``(B, C_in, T) -> (B, C_out, T)``.

    Output ``t`` = bias + sum_j weight[:, :, j] @ input[t - (k - 1 - j) * dilation] (zeros
    before the start): tap ``k - 1`` reads input ``t``, tap 0 reads ``t - (k-1) d``.

    Args:
        in_channels, out_channels: as ``nn.Conv1d``.
        kernel_size: k (>= 1); dilation: d (>= 1).
    """

    def __init__(self, in_channels, out_channels, kernel_size=2, dilation=1, **kwargs):
        super().__init__(in_channels, out_channels, kernel_size, dilation=dilation, **kwargs)
        ### BEGIN SOLUTION
        self.left_pad = (kernel_size - 1) * dilation
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return super().forward(F.pad(x, (self.left_pad, 0)))
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "wavenet_conv_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
def causal_conv_probe(in_channels, out_channels, kernel_size, dilation, x, seed):
    """Build a ``CausalConv1d`` (seeded), run it on ``x`` (B, C_in, T); report weights and output."""
    torch.manual_seed(seed)
    conv = CausalConv1d(in_channels, out_channels, kernel_size, dilation)
    with torch.no_grad():
        out = conv(x.float())
    return dict(out=out, weight=conv.weight.detach().clone(), bias=conv.bias.detach().clone())

_ = expose("wavenet_causal_conv_probe", causal_conv_probe)

# %% nbgrader={"grade": true, "grade_id": "wavenet_conv_test", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
_x = torch.zeros(1, 1, 12); _x[0, 0, 5] = 1.0                       # one impulse at t = 5
_r = causal_conv_probe(1, 1, 2, 4, _x, 0)
assert _r["out"].shape == (1, 1, 12), f"output shaped {tuple(_r['out'].shape)}: keep the input's length"
_moved = (_r["out"][0, 0] - _r["bias"]).abs() > 1e-6
assert _moved.nonzero().flatten().tolist() == [5, 9], \
    f"an impulse at t=5 moved outputs {_moved.nonzero().flatten().tolist()}; kernel 2, dilation 4 must move t=5 and t=9"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "wavenet_conv_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. WaveNet
#
# **Input.** Position $t$ must predict $x_t$ from $x_{<t}$, so it reads $x_{t-1}$: the sequence
# is shifted right by one, position 0 reads a 0. Each value is rescaled to $\pm 1$ and mapped to
# $C$ channels by a $1\times1$ convolution (`inp`), and a **learned position embedding**
# `pos[t]` (a $(D, C)$ parameter) is added: a convolution is translation invariant, but pixel
# statistics are not (the border is white, the centre is ink; pixel 27 is the end of a row).
#
# **Gated residual block** (dilation $d$): a causal convolution of kernel 2 gives $2C$ channels,
# split into $a$ and $g$; $z = \tanh(a) \odot \sigma(g)$; a $1\times1$ convolution of $z$ is
# added to the block's input (residual), another one is the block's **skip** output:
#
# $$[a, g] = W_d * h,\qquad z = \tanh(a)\odot\sigma(g),\qquad h' = h + R z,\qquad s = S z.$$
#
# **Output.** The skip outputs of all blocks are summed, then ReLU, $1\times1$ conv, ReLU,
# $1\times1$ conv to $K$ logits.
#
# **Your task (5 points).** Write `ResidualBlock` and `WaveNet` (dilations $1, 2, \dots, 512$ by
# default). `forward` takes sequences `(B, T)` with any $T \le D$ (prefixes: the naive sampler
# needs them) or images `(B, 1, 28, 28)`, and returns logits `(B, K, T)` or `(B, K, 1, 28, 28)`.
# Graded: `check_autoregressive` finds no output that depends on its own or a later pixel, and
# every output uses its immediate past (family `pixelcnn`: the left neighbour and the pixel above
# must be seen; the coverage of the whole past is reported).

# %% nbgrader={"grade": false, "grade_id": "wavenet_model", "locked": false, "schema_version": 3, "solution": true, "task": false}
class ResidualBlock(nn.Module):
    """Gated residual block: ``forward(h (B, C, T)) -> (h' (B, C, T), skip (B, S, T))``.

    Attributes used by the cached step: ``conv`` (``CausalConv1d(C, 2C, 2, dilation)``),
    ``res`` (``nn.Conv1d(C, C, 1)``), ``skip`` (``nn.Conv1d(C, S, 1)``), ``dilation``.
    """

    def __init__(self, channels, skip_channels, dilation):
        super().__init__()
        self.dilation = dilation
        ### BEGIN SOLUTION
        self.conv = CausalConv1d(channels, 2 * channels, 2, dilation)
        self.res = nn.Conv1d(channels, channels, 1)
        self.skip = nn.Conv1d(channels, skip_channels, 1)
        ### END SOLUTION

    def forward(self, h):
        ### BEGIN SOLUTION
        a, g = self.conv(h).chunk(2, 1)
        z = torch.tanh(a) * torch.sigmoid(g)
        return h + self.res(z), self.skip(z)
        ### END SOLUTION


class WaveNet(nn.Module):
    """WaveNet over ``num_vars`` variables with ``num_values`` levels each.

    ``forward(x)``: x (B, T) with T <= num_vars, or (B, 1, H, W) with H W = num_vars, values
    0..K-1 (int or float) -> logits (B, K, T) or (B, K, 1, H, W); output t depends on x_<t only.

    Args:
        num_vars: D; num_values: K; channels: C (residual stream); skip_channels: S;
        dilations: one block per dilation (default 1, 2, ..., 512).
    """

    def __init__(self, num_vars=784, num_values=2, channels=32, skip_channels=None, dilations=None):
        super().__init__()
        self.num_vars, self.num_values = num_vars, num_values
        self.dilations = tuple(dilations or [2 ** i for i in range(10)])
        skip_channels = skip_channels or channels
        ### BEGIN SOLUTION
        self.inp = nn.Conv1d(1, channels, 1)                      # value of x_{t-1} -> C channels
        self.pos = nn.Parameter(0.1 * torch.randn(num_vars, channels))
        self.blocks = nn.ModuleList(ResidualBlock(channels, skip_channels, d) for d in self.dilations)
        self.head = nn.Sequential(nn.ReLU(), nn.Conv1d(skip_channels, skip_channels, 1), nn.ReLU(),
                                  nn.Conv1d(skip_channels, num_values, 1))
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        shape, b = x.shape, x.shape[0]
        seq = x.reshape(b, -1).float() / (self.num_values - 1) * 2 - 1     # (B, T) in [-1, 1]
        T = seq.shape[1]
        shifted = F.pad(seq, (1, 0))[:, :T]                                # position t reads x_{t-1}
        h = self.inp(shifted[:, None]) + self.pos[:T].T                     # (B, C, T)
        skip = 0
        for block in self.blocks:
            h, s = block(h)
            skip = skip + s
        logits = self.head(skip)                                           # (B, K, T)
        return logits.reshape(b, self.num_values, *shape[1:])
        ### END SOLUTION


# %% [markdown]
# **Receptive field.** Backpropagate from the logits of one pixel to the input image: white
# pixels influence it. A WaveNet with too few layers sees only the last few rows; with
# dilations up to 512 it sees every earlier pixel (and nothing after it).

# %% nbgrader={"grade": false, "grade_id": "wavenet_receptive", "locked": true, "schema_version": 3, "solution": false, "task": false}
def receptive_field(model, t):
    """(28, 28) bool: input pixels whose value changes the logits of variable ``t`` (gradients)."""
    x = torch.randint(0, 2, (2, 1, 28, 28)).float().requires_grad_(True)
    out = model(x)[:, :, 0].reshape(2, -1, D)[:, :, t]
    (out * torch.randn_like(out)).sum().backward()
    return x.grad.abs().sum((0, 1)) > 0

torch.manual_seed(SEED)
fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
for ax, dil, title in ((axes[0], (1, 2, 4), "dilations 1, 2, 4"), (axes[1], (1, 2, 4, 8, 16, 32), "1 ... 32"),
                       (axes[2], None, "1 ... 512")):
    t = 14 * 28 + 14
    img = receptive_field(WaveNet(D, 2, 8, dilations=dil), t).float().numpy() * 0.85
    img = np.stack([img] * 3, -1); img[14, 14] = (1.0, 0.1, 0.1)
    ax.imshow(img, interpolation="nearest"); ax.set_title(title); ax.set_xticks([]); ax.set_yticks([])
fig.suptitle("what pixel (14, 14) (red) sees"); plt.show()

# %% [markdown]
# ## 3. Training

# %% nbgrader={"grade": false, "grade_id": "wavenet_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
def nll_loss(model, x):
    """Mean NLL in nats/dim of a batch of images."""
    return F.cross_entropy(model(x), x)

def param_fn_of(model):
    """What the grader evaluates: images (B, 1, 28, 28) int -> logits (B, K, 1, 28, 28), eval mode, CPU out."""
    @torch.no_grad()
    def param_fn(x):
        model.eval()
        return model(x.to(next(model.parameters()).device)).cpu()
    return param_fn

torch.manual_seed(SEED)
model = WaveNet(D, 2, CFG["channels"])
hist = train_epochs(model, nll_loss, train_x, valid_x, epochs=1000, lr=CFG["lr"], batch_size=CFG["batch_size"],
                    device=DEVICE, seed=SEED, max_steps=CFG["steps"], grad_clip=1.0, desc="WaveNet")
print("binarized_mnist, final valid:", format_nll(hist.test[-1]))
plot_losses(hist.train, hist.test, title="WaveNet on binarized_mnist"); plt.show()
model.cpu().eval()
expose("wavenet_model", model)
_ = expose("wavenet_mnist_params", param_fn_of(model), kind="param_fn", dataset="binarized_mnist",
           likelihood="categorical")

# %% nbgrader={"grade": true, "grade_id": "wavenet_ar_test", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
from arkit.checks import check_autoregressive
check_autoregressive(model, (1, 28, 28), num_values=2, family="pixelcnn", convolutional=False,
                     exhaustive=False, output_shape=(2, 1, 28, 28)).raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "wavenet_ar_test")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "wavenet_nll_test", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
_logits = param_fn_of(model)(valid_x[:8])
assert _logits.shape == (8, 2, 1, 28, 28), f"logits shaped {tuple(_logits.shape)}, expected (B, K, 1, 28, 28)"
assert torch.isfinite(_logits).all(), "the model produced NaN/inf logits"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "wavenet_nll_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Cached generation: one pixel at a time in constant work
#
# Sampling is sequential: $x_t$ must be drawn before position $t+1$ can be computed. The naive
# way re-runs the network on the prefix $x_{\le t}$ for every $t$: $D$ passes over sequences of
# growing length, total work $\sim D^2$. But the new position $t$ of a block of dilation $d$
# needs only two of its inputs: the one at $t$ (computed this step by the block below) and the
# one at $t - d$ (computed $d$ steps ago). Keep, for every block, a **queue of its last $d$
# inputs**; at step $t$: read the entry of time $t-d$, then push the new input. Work per step:
# one position per block, whatever $t$ and $D$.
#
# ```
#  block d=4, step t:   queue [t-4 | t-3 | t-2 | t-1]   read t-4, then push t -> [t-3 | t-2 | t-1 | t]
# ```
#
# A **ring buffer** does the push without moving anything: a tensor `(B, d, C)`, slot `t % d`
# holds the input of time $t - d$ (zeros before the start, like the zero padding); read it,
# then overwrite it with the input of time $t$. (A queue that shifts, `torch.cat([q[:, 1:], new])`,
# gives the same numbers but copies $d$ entries per step: the work grows with $d$.)
#
# **The step contract** (what `arkit.checks.check_step_consistency` calls):
# `wavenet_step(model, x_prev, t, cache) -> (logits_t, cache)` for $t = 0, 1, \dots$:
# `x_prev` (B,) is the value drawn at step $t-1$ (zeros at $t = 0$: ignore it), `cache` is
# `None` at $t = 0$, then whatever the previous call returned; `logits_t` (B, K) are the logits of
# $x_t$ and must equal `model(x)[:, :, t]` for the same prefix. The grader hands the cache back to
# you through its own process, so the cache must be a **list (or tuple/dict) of tensors with the
# batch first** (e.g. one ring buffer `(B, d, C)` per block), and everything the step needs must
# be in it: keep no state anywhere else.
#
# **Your task (5 points).** Write `wavenet_step` using the weights of your model (for a kernel-2
# causal convolution, `conv.weight[:, :, 0]` multiplies the input at $t-d$ and
# `conv.weight[:, :, 1]` the input at $t$). Graded: at every step, on held-out images, the step's
# logits equal the parallel pass, also when two sequences are generated interleaved.

# %% nbgrader={"grade": false, "grade_id": "wavenet_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def wavenet_step(model, x_prev, t, cache):
    """One cached step of ``model`` (a ``WaveNet``).

    Args:
        x_prev: (B,) value of x_{t-1} (any dtype; ignored at t = 0).
        t: position being generated, 0 <= t < model.num_vars.
        cache: None at t = 0, else the cache returned by the previous step.

    Returns:
        (logits (B, K) of x_t, cache): the cache is a list of tensors, batch first.
    """
    ### BEGIN SOLUTION
    b = x_prev.shape[0]
    p = model.pos
    if cache is None:                                  # one ring buffer (B, d, C) per block
        cache = [torch.zeros(b, blk.dilation, p.shape[1], dtype=p.dtype, device=p.device) for blk in model.blocks]
    value = x_prev.to(p.dtype) / (model.num_values - 1) * 2 - 1 if t > 0 else torch.zeros(b, dtype=p.dtype)
    h = value[:, None] * model.inp.weight[:, 0, 0] + model.inp.bias + p[t]   # (B, C): input at t
    skip = 0
    for blk, buf in zip(model.blocks, cache):
        d = blk.dilation
        slot = t % d
        past = buf[:, slot].clone()                    # the input of time t - d
        buf[:, slot] = h                               # then the input of time t takes its slot
        w = blk.conv.weight                            # (2C, C, 2): tap 0 at t - d, tap 1 at t
        a, g = (past @ w[:, :, 0].T + h @ w[:, :, 1].T + blk.conv.bias).chunk(2, -1)
        z = torch.tanh(a) * torch.sigmoid(g)
        h = h + F.linear(z, blk.res.weight[:, :, 0], blk.res.bias)
        skip = skip + F.linear(z, blk.skip.weight[:, :, 0], blk.skip.bias)
    logits = model.head(skip[:, :, None])[:, :, 0]     # (B, K)
    return logits, cache
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "wavenet_step_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
@torch.no_grad()
def step_fn(x_prev, t, cache):
    """The trained model's cached step (the contract above), for the grader."""
    return wavenet_step(model, x_prev, t, cache)

_ = expose("wavenet_step_fn", step_fn)

# %% nbgrader={"grade": true, "grade_id": "wavenet_step_test", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
from arkit.checks import check_step_consistency
check_step_consistency(model, step_fn, valid_x[:2]).raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "wavenet_step_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Two samplers, one set of samples
#
# To compare samplers exactly, take the randomness out: both receive the same uniforms
# `u` (B, n) in [0, 1) and draw variable $t$ by the inverse CDF with `u[:, t]`:
# `sample_with_uniforms(logits, u[:, t])` (from `arkit.checks`; float64 softmax, the smallest
# value $k$ with $u < P(x \le k)$). Then a correct cached sampler returns *exactly* the naive
# sampler's images, bit for bit (`arkit.checks.check_sampler_equivalence`).
#
# **Your task (3 points).** Write `sample_naive(model, u)` (re-run `model` on the prefix
# `x[:, :t+1]` at every step) and `sample_cached(model, u)` (one `wavenet_step` per pixel, each
# drawn value fed back as the next `x_prev`). Both sample the first `n = u.shape[1]` pixels.

# %% nbgrader={"grade": false, "grade_id": "wavenet_samplers", "locked": false, "schema_version": 3, "solution": true, "task": false}
@torch.no_grad()
def sample_naive(model, u):
    """u float64 (B, n), n <= D -> int64 samples (B, n); the network runs on every prefix."""
    ### BEGIN SOLUTION
    b, n = u.shape
    x = torch.zeros(b, n, dtype=torch.long)
    for t in range(n):
        logits = model(x[:, : t + 1])[:, :, t]         # (B, K)
        x[:, t] = sample_with_uniforms(logits, u[:, t])
    return x
    ### END SOLUTION


@torch.no_grad()
def sample_cached(model, u):
    """u float64 (B, n), n <= D -> int64 samples (B, n); one cached step per pixel."""
    ### BEGIN SOLUTION
    b, n = u.shape
    x = torch.zeros(b, n, dtype=torch.long)
    prev, cache = torch.zeros(b, dtype=torch.long), None
    for t in range(n):
        logits, cache = wavenet_step(model, prev, t, cache)
        x[:, t] = prev = sample_with_uniforms(logits, u[:, t])
    return x
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "wavenet_samplers_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
def image_sampler(sampler):
    """A sampler under the uniform-draws contract: u (B, 1, 28, 28) (whole images) or (B, n) (the first
    n pixels) -> samples shaped like u. The grader calls it with uniforms it chooses."""
    def draw(u):
        return sampler(model, u.reshape(u.shape[0], -1)).reshape(u.shape)
    return draw

naive_images, cached_images = image_sampler(sample_naive), image_sampler(sample_cached)
_ = expose("wavenet_sample_naive", naive_images)
_ = expose("wavenet_sample_cached", cached_images)
_u = torch.rand(CFG["n_samples"], 1, 28, 28, generator=torch.Generator().manual_seed(SEED), dtype=torch.float64)
show_samples(cached_images(_u), nrow=8, num_values=2, title="WaveNet samples (cached sampler)"); plt.show()

# %% nbgrader={"grade": true, "grade_id": "wavenet_sampler_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
from arkit.checks import check_sampler_equivalence
_short = lambda s: (lambda u: s(model, u))          # the first 98 pixels (4 rows): a quick public check
check_sampler_equivalence(_short(sample_naive), _short(sample_cached), (2, 98)).raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "wavenet_sampler_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 6. What the cache buys
#
# Time per image against the number of pixels generated, for both samplers on the trained
# model: the naive curve bends upwards (step $t$ costs a pass over $t$ positions, total
# $\sim n^2$), the cached one is a straight line (total $\sim n$). Clocks are noisy, so the
# grade does not use them: `check_cost_scaling` counts the work instead (FLOPs of products and
# convolutions plus one unit per element of every other operation) at two sizes and reads off the
# exponent $e$ of total work $\sim n^e$: constant work per pixel means $e \le 1.5$.
# (Graded, 3 points: the grader probes your `wavenet_step` itself, from its own process: it counts
# how many numbers of the cache the step's output depends on, at an early and a late step. A
# cached step reads one entry per block at every step; a step that recomputes the prefix reads
# more and more.)

# %% nbgrader={"grade": false, "grade_id": "wavenet_timing", "locked": true, "schema_version": 3, "solution": false, "task": false}
def time_per_image(sampler, n, batch):
    u = torch.rand(batch, n, generator=torch.Generator().manual_seed(n), dtype=torch.float64)
    start = time.perf_counter()
    sampler(model, u)
    return (time.perf_counter() - start) / batch

sample_cached(model, torch.rand(1, 8, dtype=torch.float64))          # warm-up
sizes, batch = CFG["timing_sizes"], CFG["timing_batch"]
times = {name: [time_per_image(fn, n, batch) for n in sizes]
         for name, fn in (("naive", sample_naive), ("cached", sample_cached))}
fig, ax = plt.subplots(figsize=(5, 3.5))
for name, ts in times.items():
    ax.plot(sizes, ts, "o-", label=name)
ax.set_xlabel("pixels generated n"); ax.set_ylabel("seconds per image"); ax.legend()
ax.set_title(f"sampling time (batch {batch})"); plt.show()
print(f"at n = {sizes[-1]}: naive {times['naive'][-1]:.3f} s/image, cached {times['cached'][-1]:.3f} s/image, "
      f"speed-up {times['naive'][-1] / times['cached'][-1]:.1f}x")

# %% nbgrader={"grade": true, "grade_id": "wavenet_cost_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
from arkit.checks import check_cost_scaling
def _cached_prefix(n):
    return sample_cached(model, torch.rand(2, n, generator=torch.Generator().manual_seed(n), dtype=torch.float64))
check_cost_scaling(_cached_prefix, (49, 196), expect="constant").raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "wavenet_cost_test")
### END HIDDEN TESTS
