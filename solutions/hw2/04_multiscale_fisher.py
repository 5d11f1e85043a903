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
# # Homework 2, notebook 4: breaking the order, and using the density (25 points)
#
# **Goal.** Two things an autoregressive model gives besides samples one pixel at a time.
# (a) **Parallel multiscale sampling** (Reed et al., 2017): give up the raster order for an order
# of *groups* of pixels, coarse to fine, and sample a whole group in **one** network evaluation:
# $O(\log N)$ evaluations for an image of $N$ pixels instead of $N$. (b) **Fisher scores**: the
# gradient $\nabla_\theta \log p_\theta(x)$ of a trained density model is a feature vector of
# $x$; a linear classifier on it recognises shapes and digits that the model was never told about.
#
# | part | what you write | points |
# |---|---|---|
# | 1-2. groups and model | `multiscale_groups`, `MultiscaleModel.group_logits` / `forward` (autoregressive for the group order, every group uses the coarser ones) | 6 |
# | 3. sampling | `sample_next_group`: one network evaluation per group, $O(\log N)$ evaluations | 4 |
# | 4. training | held-out NLL of the multiscale model on `shapes` | 4 |
# | 6. Fisher scores | `fisher_scores(model, x)`: one gradient of $\log p(x_i)$ per example | 6 |
# | 7. classifier | accuracy of a linear classifier on your Fisher scores (`shapes`, `mnist_binary`) | 5 |
#
# All losses are **negative log-likelihoods in nats per dimension** (natural log, divided by the
# number of pixels); bits/dim = nats/dim / ln 2. The grader measures your trained models on a
# held-out split that you never see; the "test" curves below use the `valid` split.

# %% [markdown] tags=["how-to-submit"]
# ## How to submit
#
# *(This cell is written by `autograder release`: which files to upload, where, what the
# autograder checks and how to run the public tests.)*

# %% nbgrader={"grade": false, "grade_id": "multiscale_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
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
from arkit.submission import expose
PROFILE = active_profile()            # "ci" | "cpu" | "gpu"  (env ARKIT_PROFILE overrides)
SEED = int(os.environ.get("ARKIT_SEED", "0"))
seed_everything(SEED)
DEVICE = default_device(PROFILE)
CFG = pick({
    "ci": dict(ms_channels=16, ms_epochs=6, ms_steps=500, pc_channels=8, pc_steps=300, mnist_train=6000,
               fisher_n=500, n_samples=16, batch_size=64, lr=3e-3),
    "cpu": dict(ms_channels=32, ms_epochs=20, ms_steps=None, pc_channels=8, pc_steps=3000, mnist_train=20000,
                fisher_n=1000, n_samples=32, batch_size=64, lr=2e-3),
    "gpu": dict(ms_channels=64, ms_epochs=40, ms_steps=None, pc_channels=8, pc_steps=6000, mnist_train=None,
                fisher_n=1000, n_samples=64, batch_size=64, lr=1e-3),
})
print(f"profile={PROFILE} seed={SEED} device={DEVICE}")

# %% [markdown]
# ## 1. Breaking the raster order: groups of pixels
#
# A raster-order model needs $N$ network evaluations to sample an image of $N$ pixels, because
# pixel $k$ needs the value of pixel $k-1$. The chain rule does not care about the order, and it
# does not need one variable per step either: for any partition of the pixels into groups
# $G_0, G_1, \dots, G_{L}$,
#
# $$p(x) = \prod_{g=0}^{L} p\big(x_{G_g} \mid x_{G_0}, \dots, x_{G_{g-1}}\big).$$
#
# If the model makes the pixels **of one group conditionally independent given the earlier
# groups**, $p(x_{G_g} \mid x_{G_{<g}}) = \prod_{i \in G_g} p(x_i \mid x_{G_{<g}})$, then one network
# evaluation gives the parameters of a whole group and all its pixels are drawn at once. The price:
# inside a group the model cannot express dependencies (two neighbours of one group cannot agree
# on an edge), so the groups must be chosen so that their pixels are far apart given what is known.
#
# Reed et al. (2017) use **scales**: first a coarse sub-image, then the pixels that double its
# resolution, and so on. Here a pixel belongs to the group of the *coarsest power-of-two grid it
# lies on*. With $L = \lfloor \log_2 \max(H, W) \rfloor$, pixel $(i, j)$ lies on the grid of stride
# $2^l$ iff $2^l$ divides both $i$ and $j$; its group is $L - l$ for the largest such $l \le L$.
# On a $16 \times 16$ image: group 0 is pixel $(0, 0)$ alone ($L = 4$, stride 16); after groups
# $0..g$ the known pixels are the stride-$2^{L-g}$ grid: 1, 4, 16, 64, 256 pixels. So there are
# $L + 1 \approx \log_2 \sqrt{N} + 1$ groups, and sampling takes $O(\log N)$ network evaluations.
# On the $20 \times 20$ shapes images $L = 4$ too: group 0 is $(0,0), (0,16), (16,0), (16,16)$.
#
# **Your task.** `multiscale_groups(height, width)` returns the group of every pixel, int64
# `(height, width)`.

# %% nbgrader={"grade": false, "grade_id": "multiscale_groups", "locked": false, "schema_version": 3, "solution": true, "task": false}
def multiscale_groups(height, width):
    """Group of each pixel, int64 (height, width), values 0..L with L = floor(log2(max(height, width))).

    Pixel (i, j) is in group L - l for the largest l <= L such that 2**l divides i and j.
    """
    ### BEGIN SOLUTION
    L = int(math.floor(math.log2(max(height, width))))
    i, j = torch.arange(height).view(-1, 1), torch.arange(width).view(1, -1)
    groups = torch.full((height, width), L, dtype=torch.long)
    for l in range(1, L + 1):                      # finer grids first; coarser ones overwrite
        on_grid = (i % 2 ** l == 0) & (j % 2 ** l == 0)
        groups[on_grid] = L - l
    return groups
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "multiscale_groups_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("multiscale_groups", lambda height, width: multiscale_groups(int(height), int(width)))
try:
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    for ax, side in zip(axes, (16, 20)):
        im = ax.imshow(multiscale_groups(side, side).numpy(), cmap="viridis")
        ax.set_title(f"groups on {side}x{side}")
        fig.colorbar(im, ax=ax, fraction=0.046)
    plt.show()
except NotImplementedError:
    print("multiscale_groups is not implemented yet")

# %% [markdown]
# ## 2. A model for the group order (6 points with part 1)
#
# One convolutional network serves every group. Its input says what is known: two channels,
# `x * known` and `known` (0/1), where `known` marks the pixels of the groups before the one being
# predicted; it returns a Bernoulli logit for every pixel. For group $g$ we run it with
# `known = (groups < g)` and keep its outputs at the pixels of group $g$. Dilated $3 \times 3$
# convolutions (dilations 1, 2, 4, 8) let every pixel see the coarse grid 16 pixels away.
#
# `network_input` and `GroupNet` are given. **Your task:**
#
# * `group_logits(x, g)`: the logits (B, 1, H, W) that the network gives when example $b$ is
#   conditioned on the groups before `g[b]` (`g` int64 (B,): one group per example, so that
#   training can mix groups in one batch, see part 4);
# * `forward(x)`: the logits of every pixel, each from its own group's conditioning
#   (one `group_logits` per group);
# * `log_prob(x)` (B,) in nats and `nll(x)` in nats/dim.
#
# The check below proves the property with the group order: no pixel may depend on a pixel of
# its own group or a later one, and every pixel of group $g > 0$ must use something of the
# earlier groups.

# %% nbgrader={"grade": false, "grade_id": "multiscale_net", "locked": true, "schema_version": 3, "solution": false, "task": false}
def network_input(x, known):
    """[x * known, known] float (B, 2, H, W) from x (B, 1, H, W) and known (H, W) or (B, 1, H, W) 0/1."""
    known = known.to(torch.float32).expand(x.shape[0], 1, *x.shape[-2:])
    return torch.cat([x.float() * known, known], 1)


class GroupNet(nn.Module):
    """(B, 2, H, W) -> Bernoulli logits (B, 1, H, W): dilated 3x3 convolutions (1, 2, 4, 8) with ELU, then 1x1."""

    def __init__(self, channels=32):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(2 if d == 1 else channels, channels, 3, padding=d, dilation=d)
                                    for d in (1, 2, 4, 8)])
        self.out = nn.Conv2d(channels, 1, 1)

    def forward(self, inp):
        h = inp
        for conv in self.convs:
            h = F.elu(conv(h))
        return self.out(h)

# %% nbgrader={"grade": false, "grade_id": "multiscale_model", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MultiscaleModel(nn.Module):
    """Binary images (B, 1, H, W), any H and W; pixels generated group by group (multiscale_groups)."""

    def __init__(self, channels=32):
        super().__init__()
        self.net = GroupNet(channels)

    def group_logits(self, x, g):
        """x (B, 1, H, W) ints, g int64 (B,) -> logits (B, 1, H, W) given the groups before g[b] (one net call)."""
        ### BEGIN SOLUTION
        groups = multiscale_groups(x.shape[-2], x.shape[-1]).to(x.device)
        known = groups.view(1, 1, *groups.shape) < g.view(-1, 1, 1, 1)
        return self.net(network_input(x, known))
        ### END SOLUTION

    def forward(self, x):
        """x (B, 1, H, W) -> Bernoulli logits (B, 1, H, W), pixel i from the groups before its own."""
        ### BEGIN SOLUTION
        groups = multiscale_groups(x.shape[-2], x.shape[-1]).to(x.device)
        out = torch.zeros(x.shape[0], 1, *x.shape[-2:], device=x.device)
        for g in range(int(groups.max()) + 1):
            logits = self.group_logits(x, torch.full((x.shape[0],), g, dtype=torch.long, device=x.device))
            out = torch.where(groups == g, logits, out)
        return out
        ### END SOLUTION

    def log_prob(self, x):
        """(B,) log-likelihood of each image, in nats."""
        ### BEGIN SOLUTION
        return -F.binary_cross_entropy_with_logits(self(x), x.float(), reduction="none").flatten(1).sum(1)
        ### END SOLUTION

    def nll(self, x):
        """Mean negative log-likelihood in nats per dimension (a scalar)."""
        ### BEGIN SOLUTION
        return -self.log_prob(x).mean() / x[0].numel()
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "multiscale_model_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
def multiscale_probe(x):
    """Logits (B, 1, H, W) of a fresh MultiscaleModel(8) initialised from seed 0 (any H, W)."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = MultiscaleModel(8)
    with torch.no_grad():
        return model(x)


expose("multiscale_probe", multiscale_probe)

# %% nbgrader={"grade": true, "grade_id": "multiscale_ar_test", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
from arkit.checks.autoregressive import check_autoregressive
_groups = multiscale_groups(16, 16)
assert _groups.shape == (16, 16) and _groups.dtype == torch.long, "multiscale_groups must return int64 (height, width)"
assert torch.bincount(_groups.flatten()).tolist() == [1, 3, 12, 48, 192], "on 16x16 the groups hold 1, 3, 12, 48, 192 pixels"
_out = multiscale_probe(torch.zeros(2, 1, 16, 16))
assert _out.shape == (2, 1, 16, 16), f"MultiscaleModel returns {tuple(_out.shape)}, expected (B, 1, H, W) = (2, 1, 16, 16)"
check_autoregressive(multiscale_probe, (1, 16, 16), order=_groups.flatten(), num_values=2,
                     family="generic").raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "multiscale_ar_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Sampling one group per network evaluation (4 points)
#
# To sample: start from nothing known; evaluate the network **once** on what is known; draw
# every pixel of the next group from its logit; mark them known; repeat until every pixel is
# known. The loop (`multiscale_sample`, given) calls the network and your step function.
#
# Draws follow the **uniform-draws contract** of the kit (the same as for the other samplers of
# this homework): a uniform $u_i \in [0, 1)$ is given for every pixel, and pixel $i$ is 1 iff
# $u_i \ge 1 - p_i$ where $p_i = \sigma(\text{logit}_i)$ (compute $p_i$ in float64). So a sampler
# is a deterministic function of $u$, and two samplers can be compared exactly.
#
# **Your task.** `sample_next_group(x, known, logits, u)`: `x` int64 (B, 1, H, W) (unknown pixels
# hold 0), `known` bool (H, W), `logits` (B, 1, H, W) from one network evaluation on
# `(x, known)`, `u` float64 (B, 1, H, W). Returns `(x_new, known_new)`: the pixels of the
# **next group** (the smallest group that is not known yet) drawn from their logits, every other
# pixel unchanged, and `known_new = known | next group`.
#
# The grader runs your step with *its own* network and counts the network evaluations itself,
# for images of side 4, 8 and 16: the count must grow like $\log N$, not like $N$.

# %% nbgrader={"grade": false, "grade_id": "multiscale_sample_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sample_next_group(x, known, logits, u):
    """Fill the next group: returns (x_new int64 (B, 1, H, W), known_new bool (H, W))."""
    ### BEGIN SOLUTION
    groups = multiscale_groups(x.shape[-2], x.shape[-1]).to(x.device)
    g = groups[~known].min()
    new = groups == g
    draw = (u >= 1 - torch.sigmoid(logits.double())).long()
    return torch.where(new, draw, x), known | new
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "multiscale_sample_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("multiscale_sample_step", lambda x, known, logits, u: sample_next_group(x.long(), known.bool(), logits, u))


@torch.no_grad()
def multiscale_sample(model, u):
    """Samples (B, 1, H, W) int64 from uniforms u float64 (B, 1, H, W); one model.net call per step."""
    x = torch.zeros(u.shape, dtype=torch.long)
    known = torch.zeros(u.shape[-2:], dtype=torch.bool)
    for _ in range(u[0].numel()):
        if bool(known.all()):
            break
        logits = model.net(network_input(x, known))
        x, known = sample_next_group(x, known, logits, u)
    return x


def count_net_calls(model, fn):
    """(fn(), number of forward calls of model.net during it)."""
    calls = [0]
    handle = model.net.register_forward_pre_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    try:
        return fn(), calls[0]
    finally:
        handle.remove()

# %% nbgrader={"grade": true, "grade_id": "multiscale_sampler_test", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
from arkit.checks.cost_scaling import check_cost_scaling
torch.manual_seed(0)
_model = MultiscaleModel(8).eval()
_u = torch.rand(2, 1, 16, 16, dtype=torch.float64)
_x = multiscale_sample(_model, _u)
assert _x.shape == (2, 1, 16, 16) and set(_x.unique().tolist()) <= {0, 1}, "samples must be 0/1 images shaped like u"
with torch.no_grad():   # every pixel drawn from its own group's logit: compare with the one-pass density
    _p = torch.sigmoid(_model(_x).double())
assert torch.equal(_x, (_u >= 1 - _p).long()), "a sampled pixel is not the draw of u from its group's logit"
check_cost_scaling(lambda side: multiscale_sample(_model, torch.rand(2, 1, side, side, dtype=torch.float64)),
                   (8, 16, 32), expect="log", measure="calls", network=_model.net).raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "multiscale_sampler_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Training on shapes (4 points)
#
# The likelihood needs one network evaluation per group ($L + 1 = 5$ on 20x20). Training can do
# with **one**: for every image of the batch draw one group $g$ with probability proportional to
# its size (the group of a uniformly drawn pixel) and score only that group's pixels. The
# average over those pixels of $-\log p(x_i \mid x_{G_{<g}})$ is an unbiased estimate of the NLL
# in nats/dim, at a fifth of the cost. The validation curve uses the exact `nll`.

# %% nbgrader={"grade": false, "grade_id": "multiscale_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
def random_group_loss(model, x):
    """Training: one random group per image (unbiased nats/dim estimate); evaluation: the exact nll."""
    if not model.training:
        return model.nll(x)
    groups = multiscale_groups(x.shape[-2], x.shape[-1]).to(x.device)
    pixel = torch.randint(0, groups.numel(), (x.shape[0],), device=x.device)
    g = groups.flatten()[pixel]                                          # (B,) groups, size-weighted
    target = (groups.view(1, 1, *groups.shape) == g.view(-1, 1, 1, 1)).float()
    nll = F.binary_cross_entropy_with_logits(model.group_logits(x, g), x.float(), reduction="none")
    return ((nll * target).flatten(1).sum(1) / target.flatten(1).sum(1)).mean()


ms_model, ms_hist = None, None
sh_train, sh_valid = load_dataset("shapes", "train"), load_dataset("shapes", "valid")
seed_everything(SEED)
try:
    ms_model = MultiscaleModel(CFG["ms_channels"])
    ms_hist = train_epochs(ms_model, random_group_loss, torch.as_tensor(sh_train.x), torch.as_tensor(sh_valid.x),
                           epochs=CFG["ms_epochs"], lr=CFG["lr"], batch_size=CFG["batch_size"], seed=SEED,
                           max_steps=CFG["ms_steps"], device=DEVICE, desc="multiscale")
    ms_model.cpu().eval()
    print(f"multiscale model on shapes: final valid NLL {format_nll(ms_hist.test[-1])}")
    plot_losses(ms_hist.train, ms_hist.test, title="multiscale model on shapes")
    plt.show()
except NotImplementedError:
    ms_model = None
    print("MultiscaleModel is not implemented yet")

# %% nbgrader={"grade": false, "grade_id": "multiscale_train_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
if ms_model is not None:
    # uint8/int (B, 1, 20, 20) -> Bernoulli logits (B, 1, 20, 20), multiscale group order
    expose("multiscale_shapes_params", torch.no_grad()(lambda x: ms_model(x)), kind="param_fn", dataset="shapes",
           likelihood="bernoulli")

# %% nbgrader={"grade": true, "grade_id": "multiscale_nll_test", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
assert ms_model is not None, "train the multiscale model (run the cells above)"
assert ms_hist.test[-1] < ms_hist.test[0], "the validation loss did not go down"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "multiscale_nll_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Multiscale against raster order (not graded)
#
# The raster model for comparison is a small PixelCNN (masked convolutions, as in homework 1):
# it is the model whose Fisher scores we use in part 6. Compare the validation NLL (the raster
# model may use every earlier pixel, the multiscale model never sees its own group's
# neighbours), the samples, and the number of network evaluations per image.

# %% nbgrader={"grade": false, "grade_id": "fisher_pixelcnn", "locked": true, "schema_version": 3, "solution": false, "task": false}
def causal_mask(kernel_size, mask_type, in_channels, out_channels):
    """Raster mask (out, in, k, k), one colour channel: rows above, left of the centre; centre only for 'B'."""
    k = kernel_size
    m = torch.zeros(out_channels, in_channels, k, k)
    m[:, :, : k // 2] = 1
    m[:, :, k // 2, : k // 2 + (mask_type == "B")] = 1
    return m


class MaskedConv(nn.Conv2d):
    def __init__(self, mask_type, cin, cout, k):
        super().__init__(cin, cout, k, padding=k // 2)
        self.register_buffer("mask", causal_mask(k, mask_type, cin, cout))

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class TinyPixelCNN(nn.Module):
    """Binary PixelCNN: MaskedConv A 1->C (5x5), ReLU, MaskedConv B C->C (3x3), ReLU, 1x1 C->1 (P = 801 for C = 8).

    forward(x) (B, 1, H, W) -> Bernoulli logits (B, 1, H, W); log_prob(x) (B,) in nats.
    """

    def __init__(self, channels=8):
        super().__init__()
        self.conv_a = MaskedConv("A", 1, channels, 5)
        self.conv_b = MaskedConv("B", channels, channels, 3)
        self.out = nn.Conv2d(channels, 1, 1)

    def forward(self, x):
        h = F.relu(self.conv_a(x.float()))
        h = F.relu(self.conv_b(h))
        return self.out(h)

    def log_prob(self, x):
        return -F.binary_cross_entropy_with_logits(self(x), x.float(), reduction="none").flatten(1).sum(1)

    def nll(self, x):
        return -self.log_prob(x).mean() / x[0].numel()

    @torch.no_grad()
    def sample(self, u):
        """Raster sampling from uniforms u float64 (B, 1, H, W): one network evaluation per pixel."""
        x = torch.zeros(u.shape, dtype=torch.long)
        for i in range(u.shape[-2]):
            for j in range(u.shape[-1]):
                p = torch.sigmoid(self(x)[:, 0, i, j].double())
                x[:, 0, i, j] = (u[:, 0, i, j] >= 1 - p).long()
        return x


def train_pixelcnn(name, n_train=None):
    """A TinyPixelCNN trained on the train split of ``name`` (the first n_train images)."""
    train, valid = load_dataset(name, "train"), load_dataset(name, "valid")
    seed_everything(SEED)
    model = TinyPixelCNN(CFG["pc_channels"])
    hist = train_epochs(model, lambda m, x: m.nll(x), torch.as_tensor(train.x[:n_train]),
                        torch.as_tensor(valid.x[:1000]), epochs=1000, lr=CFG["lr"], batch_size=CFG["batch_size"],
                        seed=SEED, max_steps=CFG["pc_steps"], device=DEVICE, desc=f"pixelcnn {name}")
    return model.cpu().eval(), hist


# %% nbgrader={"grade": false, "grade_id": "fisher_pixelcnn_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
pc_models = {"shapes": train_pixelcnn("shapes")[0]}
print(f"raster PixelCNN on shapes: valid NLL {format_nll(float(pc_models['shapes'].nll(torch.as_tensor(sh_valid.x)).detach()))}")

# %% nbgrader={"grade": false, "grade_id": "multiscale_compare", "locked": true, "schema_version": 3, "solution": false, "task": false}
if ms_model is not None:
    _u = torch.rand(CFG["n_samples"], 1, 20, 20, dtype=torch.float64, generator=torch.Generator().manual_seed(SEED))
    rows = {}
    for label, model, sampler in (("multiscale", ms_model, lambda: multiscale_sample(ms_model, _u)),
                                  ("raster PixelCNN", pc_models["shapes"], lambda: pc_models["shapes"].sample(_u))):
        net = model.net if label == "multiscale" else model
        calls = [0]
        handle = net.register_forward_pre_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
        start = time.perf_counter()
        samples = sampler()
        seconds = time.perf_counter() - start
        handle.remove()
        with torch.no_grad():
            nll = float(model.nll(torch.as_tensor(sh_valid.x)))
        rows[label] = samples
        print(f"{label:<16} valid NLL {format_nll(nll)}; {calls[0]} network evaluations, "
              f"{seconds:.3f} s for {len(_u)} images")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3))
    for ax, (label, samples) in zip(axes, rows.items()):
        show_samples(samples, nrow=8, num_values=2, title=label, ax=ax)
    plt.show()

# %% [markdown]
# *Question (not graded).* Where do the multiscale samples go wrong, and why does a coarse-to-fine
# order make conditional independence within a group a milder assumption than, say, sampling
# every other row at once?

# %% [markdown]
# ## 6. Fisher scores: the density as a feature extractor (6 points)
#
# A trained density model knows a lot about its data that no label told it. The **Fisher score**
# of an example is the gradient of its log-likelihood with respect to the parameters,
#
# $$s_\theta(x) = \nabla_\theta \log p_\theta(x) \in \mathbb{R}^P,$$
#
# the direction in which the model would move to make $x$ more likely (Jaakkola and Haussler,
# 1999). Examples that "pull" the model the same way get similar scores, so a *linear*
# classifier on $s_\theta(x)$ can separate classes the model has never seen labelled.
#
# **Your task.** `fisher_scores(model, x)` returns a float tensor (B, P): row $i$ is
# $\nabla_\theta \log p_\theta(x_i)$ for example $i$ **alone** (log p in nats, of the example, not
# the batch loss: no averaging, no minus sign), $\theta$ = the trainable parameters of
# `model.parameters()`, each flattened and concatenated in that order. Use `model.log_prob`.
# A loop over examples with `torch.autograd.grad` is fine; `torch.func.vmap(torch.func.grad(...))`
# with `torch.func.functional_call` is faster. Do not change the parameters.

# %% nbgrader={"grade": false, "grade_id": "fisher_scores", "locked": false, "schema_version": 3, "solution": true, "task": false}
def fisher_scores(model, x):
    """(B, P) per-example gradients d log p(x_i) / d theta (nats), parameters in model.parameters() order."""
    ### BEGIN SOLUTION
    class LogProb(nn.Module):          # forward = model.log_prob, so that functional_call reaches it
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner.log_prob(x)

    wrapped = LogProb(model)
    names = [n for n, p in wrapped.named_parameters() if p.requires_grad]
    params = {n: p.detach() for n, p in wrapped.named_parameters() if p.requires_grad}
    buffers = dict(wrapped.named_buffers())

    def log_p(theta, xi):
        return torch.func.functional_call(wrapped, (theta, buffers), (xi.unsqueeze(0),)).sum()

    grads = torch.func.vmap(torch.func.grad(log_p), in_dims=(None, 0))(params, x)
    return torch.cat([grads[n].reshape(x.shape[0], -1) for n in names], 1)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "fisher_scores_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
def fisher_scores_probe(theta, x, channels=8):
    """fisher_scores of a TinyPixelCNN(channels) holding the flat parameters theta (P,), on x (B, 1, H, W)."""
    model = TinyPixelCNN(int(channels))
    torch.nn.utils.vector_to_parameters(theta.float(), model.parameters())
    return fisher_scores(model.eval(), x)


expose("fisher_scores_probe", fisher_scores_probe)

# %% nbgrader={"grade": true, "grade_id": "fisher_scores_test", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
_model = pc_models["shapes"]
_x = torch.as_tensor(sh_valid.x[:4])
_s = fisher_scores(_model, _x)
_P = sum(p.numel() for p in _model.parameters())
assert tuple(_s.shape) == (4, _P), f"fisher_scores returned {tuple(_s.shape)}, expected (B, P) = (4, {_P})"
for _i in (0, 3):
    _g = torch.autograd.grad(_model.log_prob(_x[_i:_i + 1]).sum(), list(_model.parameters()))
    _g = torch.cat([t.reshape(-1) for t in _g])
    assert torch.allclose(_s[_i].double(), _g.double(), rtol=1e-3, atol=1e-5), \
        f"row {_i} is not d log p(x_{_i}) / d theta of example {_i} alone"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "fisher_scores_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 7. A linear classifier on Fisher scores (5 points)
#
# We train the same small PixelCNN on `mnist_binary` (no labels), compute Fisher scores of
# labelled examples, and fit a multinomial logistic regression on them (`linear_probe`: features
# standardised with the fitting set's mean and standard deviation, L2 penalty, L-BFGS; given).
# Baselines on the same examples: the raw pixels, and the Fisher scores of an **untrained**
# PixelCNN (random features of the same size: what training adds). Before you run it, guess the
# order of the three on each dataset; then explain the result (not graded): what does a gradient
# with respect to a *convolution* kernel sum over, and what does that keep of where a stroke is?
#
# The grader does the same on examples it holds back: it computes the features with *your*
# `fisher_scores`, checks them against its own per-example gradients, fits the classifier on one
# half and measures the accuracy on the other.

# %% nbgrader={"grade": false, "grade_id": "fisher_classifier", "locked": true, "schema_version": 3, "solution": false, "task": false}
def linear_probe(f_fit, y_fit, f_eval, y_eval, l2=1e-2, steps=100):
    """Accuracy (fraction in [0, 1]) on (f_eval, y_eval) of a logistic regression fitted on (f_fit, y_fit)."""
    f_fit, f_eval = torch.as_tensor(f_fit).double().flatten(1), torch.as_tensor(f_eval).double().flatten(1)
    y_fit, y_eval = torch.as_tensor(y_fit).long(), torch.as_tensor(y_eval).long()
    mean, std = f_fit.mean(0), f_fit.std(0).clamp_min(1e-8)
    a, b = (f_fit - mean) / std, (f_eval - mean) / std
    k = int(max(y_fit.max(), y_eval.max())) + 1
    w = torch.zeros(a.shape[1], k, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(k, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, bias], max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(a @ w + bias, y_fit) + l2 * (w ** 2).sum() / 2
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        return float(((b @ w + bias).argmax(1) == y_eval).double().mean())


def fisher_theta(model):
    """The flat trainable parameters of ``model`` (P,) float32 (what the grader rebuilds it from)."""
    return torch.nn.utils.parameters_to_vector(model.parameters()).detach().clone()


# %% nbgrader={"grade": false, "grade_id": "fisher_classifier_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
pc_models["mnist_binary"] = train_pixelcnn("mnist_binary", CFG["mnist_train"])[0]
accuracy = {}
for name, model in pc_models.items():
    valid = load_dataset(name, "valid")
    n = min(CFG["fisher_n"], len(valid.x) // 2)       # fit on n examples, evaluate on the next n
    x, y = torch.as_tensor(valid.x[: 2 * n]), torch.as_tensor(valid.y[: 2 * n])
    try:
        with torch.random.fork_rng():
            torch.manual_seed(SEED)
            untrained = TinyPixelCNN(CFG["pc_channels"]).eval()
        features = {"raw pixels": x.float().flatten(1), "Fisher scores, untrained PixelCNN": fisher_scores(untrained, x),
                    "Fisher scores, trained PixelCNN": fisher_scores(model, x)}
    except NotImplementedError:
        print("fisher_scores is not implemented yet")
        break
    for label, f in features.items():
        accuracy[(name, label)] = linear_probe(f[:n], y[:n], f[n:], y[n:])
        print(f"{name:<13} {label:<34} accuracy {accuracy[(name, label)]:.3f} ({f.shape[1]} features)")

# %% nbgrader={"grade": false, "grade_id": "fisher_classifier_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
for name, model in pc_models.items():
    # () -> (P,) the flat parameters of the trained TinyPixelCNN (channels = CFG["pc_channels"])
    expose(f"fisher_{name}_theta", (lambda m: lambda: fisher_theta(m))(model))

# %% nbgrader={"grade": true, "grade_id": "fisher_classifier_test", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
assert accuracy, "compute the Fisher scores (run the cells above)"
for name in pc_models:
    assert accuracy[(name, "Fisher scores, trained PixelCNN")] > 0.3, f"{name}: the Fisher-score classifier is near chance"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "fisher_classifier_test")
### END HIDDEN TESTS

# %% [markdown]
# ## What to take away
#
# * The chain rule allows any grouping of the variables; a model whose outputs for one group
#   depend only on earlier groups samples a group per network evaluation. Coarse-to-fine groups
#   give $O(\log N)$ evaluations per image, at the price of independence inside a group (a
#   somewhat worse likelihood than raster order).
# * A density model is a feature extractor: $\nabla_\theta \log p_\theta(x)$ carries class
#   information the model was never given. What the numbers above say depends on the data: on
#   `shapes` (the class is a shape anywhere in the image) the scores of a convolutional model, which
#   pool over positions, beat raw pixels by far; on centred MNIST digits raw pixels are already a
#   strong linear feature and the 801 position-pooled scores of a tiny PixelCNN are not. Compare
#   with the untrained network's scores before crediting the training for what the architecture does.
