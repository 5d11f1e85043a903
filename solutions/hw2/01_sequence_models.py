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
# # Homework 2, notebook 1: sequence models over pixels — NADE, RNNs, Row LSTM (25 points)
#
# **Goal.** Masked networks (MADE, PixelCNN) compute every conditional in one pass by deleting
# connections. The older route is to *share* computation along the sequence: NADE reuses one weight
# matrix for every conditional and updates a running sum, and a recurrent network carries a state
# from pixel to pixel. You will write NADE's O(DH) forward pass, an RNN that reads pixels in raster
# order (with and without knowing *where* in the image it is), and a Row LSTM (PixelRNN) whose
# receptive field you will draw.
#
# | part | what you write | points |
# |---|---|---|
# | NADE forward | `NADE.forward` by running sums: equal to the naive formula, autoregressive | 7 |
# | NADE cost | the same forward pass costs O(DH), not O(D²H) (counted, not timed) | 4 |
# | RNN model | `rnn_inputs` (shift by one, start token, coordinates) and `PixelRNN.forward` | 4 |
# | RNN on shapes | held-out NLL without / with coordinates | 2 + 2 |
# | RNN on binarized MNIST | held-out NLL without / with coordinates | 2 + 2 |
# | Row LSTM | `RowLSTM.forward` (autoregressive, sees its immediate past) | 2 |
#
# All losses are **negative log-likelihoods in nats per dimension** (natural log, divided by the
# number of pixels); bits/dim = nats/dim / ln 2. The grader measures your trained models on a
# held-out split you never see; the curves below use the `valid` split.

# %% [markdown] tags=["how-to-submit"]
# ## How to submit
#
# *(This cell is written by `autograder release`: which files to upload, where, what the
# autograder checks and how to run the public tests.)*

# %% nbgrader={"grade": false, "grade_id": "seq_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os
import math
import numpy as np, torch, matplotlib.pyplot as plt
import torch.nn as nn
import torch.nn.functional as F
from arkit.profiles import active_profile, pick, default_device
from arkit.seeding import seed_everything
from arkit.data import load_dataset
from arkit.units import format_nll, nats_to_bits
from arkit.training import train_epochs
from arkit.plotting import show_samples, plot_losses
from arkit.submission import expose
PROFILE = active_profile()            # "ci" | "cpu" | "gpu"  (env ARKIT_PROFILE overrides)
SEED = int(os.environ.get("ARKIT_SEED", "0"))
seed_everything(SEED)
DEVICE = default_device(PROFILE)
CFG = pick({
    # *_steps: optimizer steps (None: whole epochs); *_train: training images used (None: all)
    "ci": dict(nade_hidden=32, nade_steps=100, rnn_hidden=32, shapes_steps=60, mnist_steps=40,
               mnist_train=3000, row_hidden=16, row_steps=40, valid=256, batch_size=64, epochs=1,
               lr=3e-3, n_samples=8),
    "cpu": dict(nade_hidden=128, nade_steps=None, rnn_hidden=64, shapes_steps=600, mnist_steps=600,
                mnist_train=20000, row_hidden=32, row_steps=400, valid=1000, batch_size=64, epochs=2,
                lr=2e-3, n_samples=16),
    "gpu": dict(nade_hidden=500, nade_steps=None, rnn_hidden=256, shapes_steps=None, mnist_steps=None,
                mnist_train=None, row_hidden=64, row_steps=None, valid=None, batch_size=128, epochs=10,
                lr=1e-3, n_samples=64),
})
print(f"profile={PROFILE} seed={SEED} device={DEVICE}")

# %% [markdown]
# ## 0. The data
#
# * `shapes`: 20x20 binary images of one filled shape ($D = 400$ pixels).
# * `binarized_mnist`: the 28x28 binarized MNIST of Larochelle & Murray (2011), the set NADE was
#   introduced on ($D = 784$; fixed binarization, no labels).
#
# Every model below reads an image as a sequence of $D$ pixels in **raster order** (row by row):
# pixel $(i, j)$ of a $H \times W$ image is variable $d = W i + j$.

# %% nbgrader={"grade": false, "grade_id": "seq_data", "locked": true, "schema_version": 3, "solution": false, "task": false}
def as_tensor(name, split, n=None):
    """x as int64 (N, 1, H, W), the first ``n`` examples (all if None)."""
    s = load_dataset(name, split)
    n = len(s.x) if n is None else min(n, len(s.x))
    return torch.from_numpy(s.x[:n].astype(np.int64))

data = {"shapes": (as_tensor("shapes", "train"), as_tensor("shapes", "valid", CFG["valid"])),
        "binarized_mnist": (as_tensor("binarized_mnist", "train", CFG["mnist_train"]),
                            as_tensor("binarized_mnist", "valid", CFG["valid"]))}
fig, axes = plt.subplots(1, 2, figsize=(10, 2.4))
for ax, (name, (train, _)) in zip(axes, data.items()):
    show_samples(train[:8], nrow=8, num_values=2, title=f"{name} {tuple(train.shape[1:])}", ax=ax)
plt.show()

# %% [markdown]
# ## 1. NADE: one weight matrix for every conditional
#
# NADE (Larochelle & Murray, 2011) models $D$ binary variables with
#
# $$h_d = \sigma\big(c + W_{:, <d}\, x_{<d}\big) \in \mathbb{R}^H, \qquad
#   p(x_d = 1 \mid x_{<d}) = \sigma\big(b_d + V_d \cdot h_d\big),$$
#
# with **shared** parameters $W \in \mathbb{R}^{H \times D}$, $c \in \mathbb{R}^H$ and per-position
# output weights $V \in \mathbb{R}^{D \times H}$, $b \in \mathbb{R}^D$. Written this way every
# conditional costs a product with $d$ columns of $W$: $O(dH)$, so all of them cost $O(D^2 H)$.
# The trick is that consecutive pre-activations differ by **one column**:
#
# $$a_1 = c, \qquad a_{d+1} = a_d + W_{:, d}\, x_d, \qquad h_d = \sigma(a_d),$$
#
# so all $D$ conditionals cost $O(DH)$ — the same as one layer of a dense network. The order of the
# two steps matters: the output for $x_d$ is computed from $a_d$ **before** $x_d$ is added to the
# sum; otherwise $p(x_d \mid \cdot)$ sees $x_d$ and the "likelihood" is meaningless.
#
# **Your task (7 + 4 points).** Write `NADE.forward(x)`: `x` is `(B, D)` (or `(B, 1, H, W)`,
# flattened in raster order) with values 0/1; return the Bernoulli **logits** `(B, D)`
# ($b_d + V_d \cdot h_d$). Use running sums — a Python loop over $d$ with $a \leftarrow a + W_{:,d} x_d$,
# or `torch.cumsum` of the columns $W_{:, d} x_d$ — never a product with $W_{:, <d}$ per position.
# The grader checks three things: the logits equal the naive formula, each logit depends only on
# earlier pixels (and on all of them), and the work grows linearly in $D$.

# %% nbgrader={"grade": false, "grade_id": "seq_nade", "locked": false, "schema_version": 3, "solution": true, "task": false}
class NADE(nn.Module):
    """NADE over ``num_vars`` binary variables with ``hidden`` sigmoid units (shared W, c; per-position V, b)."""

    def __init__(self, num_vars, hidden):
        super().__init__()
        self.num_vars, self.hidden = num_vars, hidden
        self.W = nn.Parameter(torch.randn(hidden, num_vars) / math.sqrt(num_vars))   # (H, D)
        self.c = nn.Parameter(torch.zeros(hidden))                                    # (H,)
        self.V = nn.Parameter(torch.randn(num_vars, hidden) / math.sqrt(hidden))     # (D, H)
        self.b = nn.Parameter(torch.zeros(num_vars))                                  # (D,)

    def forward(self, x):
        """x: (B, D) or (B, 1, H, W) with 0/1 values -> Bernoulli logits (B, D), O(B D H) work."""
        x = x.reshape(x.shape[0], -1).to(self.W.dtype)
        ### BEGIN SOLUTION
        contrib = x[:, :, None] * self.W.T[None]                  # (B, D, H): column d is W[:, d] x_d
        a = self.c + torch.cumsum(contrib, dim=1) - contrib        # a_d = c + sum_{j<d} W[:, j] x_j
        return (torch.sigmoid(a) * self.V).sum(-1) + self.b        # b_d + V_d . h_d
        ### END SOLUTION

    def log_prob(self, x):
        """(B,) log p(x) in nats."""
        x = x.reshape(x.shape[0], -1)
        return -F.binary_cross_entropy_with_logits(self(x), x.to(self.W.dtype), reduction="none").sum(-1)

    @torch.no_grad()
    def sample(self, n, generator=None):
        """(n, D) int64 samples, one variable at a time (D forward passes: simple, not fast)."""
        x = torch.zeros(n, self.num_vars)
        for d in range(self.num_vars):
            p = torch.sigmoid(self(x)[:, d])
            x[:, d] = (torch.rand(n, generator=generator) < p).float()
        return x.long()


# %% [markdown]
# The naive formula, for comparison (given; $O(D^2 H)$): one product with the first $d$ columns of
# $W$ for every position.

# %% nbgrader={"grade": false, "grade_id": "seq_nade_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
def nade_logits_naive(model, x):
    """The textbook formula, O(D^2 H): logits (B, D) of ``model`` for x (B, D)."""
    x = x.reshape(x.shape[0], -1).to(model.W.dtype)
    out = []
    for d in range(model.num_vars):
        h = torch.sigmoid(model.c + x[:, :d] @ model.W[:, :d].T)
        out.append(h @ model.V[d] + model.b[d])
    return torch.stack(out, 1)


def nade_probe(W, c, V, b, x):
    """Logits (B, D) of your NADE with parameters W (H, D), c (H,), V (D, H), b (D,), for x (B, D)."""
    model = NADE(W.shape[1], W.shape[0]).to(W.dtype)
    with torch.no_grad():
        for p, value in ((model.W, W), (model.c, c), (model.V, V), (model.b, b)):
            p.copy_(value)
    return model(x.to(W.dtype))


def nade_cost_probe(num_vars, hidden=16, batch=4):
    """Work of one forward pass of a fresh NADE(num_vars, hidden) on a batch of ones, counted by
    arkit's WorkCounter: tensor([work, FLOPs of products, elements of other ops])."""
    from arkit.checks.cost_scaling import count_work
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = NADE(int(num_vars), int(hidden))
    x = torch.ones(int(batch), int(num_vars))
    with torch.no_grad():
        _, counter = count_work(model, x)
    return torch.tensor([counter.work, counter.flops, counter.elements], dtype=torch.float64)


expose("seq_nade_probe", nade_probe)
expose("seq_nade_cost_probe", nade_cost_probe)

# %% nbgrader={"grade": true, "grade_id": "seq_nade_test", "locked": true, "points": 7, "schema_version": 3, "solution": false, "task": false}
from arkit.checks import check_autoregressive
_model = NADE(30, 16)
_x = torch.randint(0, 2, (5, 30))
_logits = _model(_x)
assert _logits.shape == (5, 30), f"NADE returns logits shaped {tuple(_logits.shape)}, expected (B, D) = (5, 30)"
_err = float((_logits - nade_logits_naive(_model, _x)).abs().max())
assert _err < 1e-4, f"NADE.forward differs from the naive formula by up to {_err:.3g}"
check_autoregressive(_model, (30,), num_values=2, family="made").raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "seq_nade_test")
### END HIDDEN TESTS

# %% [markdown]
# **How the cost is measured.** `arkit.checks.WorkCounter` sees every torch operation of a call:
# matrix products count their FLOPs (a multiply-add is 2), every other operation one unit per
# output element. No clock is involved, so the verdict is the same on any machine. If the forward
# pass is $O(DH)$, four times more pixels cost four times more work (exponent 1); the naive formula
# costs sixteen times more (exponent 2). The check passes for an exponent up to 1.5.

# %% nbgrader={"grade": true, "grade_id": "seq_nade_cost_test", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
from arkit.checks import check_cost_scaling
_fresh = lambda D: NADE(D, 16)(torch.ones(4, D))
_naive = check_cost_scaling(lambda D: nade_logits_naive(NADE(D, 16), torch.ones(4, D)), (100, 400))
print(f"naive formula: work ~ D^{_naive.details['exponent']:.2f}")
print(check_cost_scaling(_fresh, (100, 400), expect="constant", name="NADE forward").text())
check_cost_scaling(_fresh, (100, 400), expect="constant", name="NADE forward").raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "seq_nade_cost_test")
### END HIDDEN TESTS

# %% [markdown]
# ### Training NADE (not graded)
#
# NADE trains like any density model: minimise the mean NLL per pixel. We train it here only to
# compare with the RNNs below (the table at the end).

# %% nbgrader={"grade": false, "grade_id": "seq_nade_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
def bernoulli_loss(model, x):
    """Mean NLL in nats/dim of a batch of binary images, for models returning Bernoulli logits."""
    logits = model(x).reshape(x.shape[0], -1)
    return F.binary_cross_entropy_with_logits(logits, x.reshape(x.shape[0], -1).float())


results = {}          # (model, dataset) -> final valid NLL, nats/dim
nade_models = {}
for name, (train, valid) in data.items():
    seed_everything(SEED)
    try:
        model = NADE(train[0].numel(), CFG["nade_hidden"])
        hist = train_epochs(model, bernoulli_loss, train, valid, epochs=CFG["epochs"], lr=CFG["lr"],
                            batch_size=CFG["batch_size"], seed=SEED, max_steps=CFG["nade_steps"],
                            device=DEVICE, desc=f"NADE {name}")
    except NotImplementedError:
        print("NADE.forward is not implemented yet")
        break
    nade_models[name] = model.cpu().eval()
    results[("NADE", name)] = hist.test[-1]
    print(f"NADE on {name}: valid {format_nll(hist.test[-1])}")

# %% [markdown]
# ## 2. An RNN over pixels
#
# A recurrent network reads the pixels one at a time and carries a state $s_t$ that summarises
# everything it has read. To model $p(x_t \mid x_{<t})$ the state used for pixel $t$ must have read
# $x_0, \dots, x_{t-1}$ and **not** $x_t$: the input sequence is the image **shifted by one**, with a
# *start token* in front:
#
# $$\text{input}_t = (x_{t-1}, [t = 0]), \qquad x_{-1} := 0, \qquad
#   s_t = \mathrm{GRU}(s_{t-1}, \text{input}_t), \qquad p(x_t = 1 \mid x_{<t}) = \sigma(w \cdot s_t + b).$$
#
# The flag $[t = 0]$ tells the network that nothing has been read yet (otherwise "the previous
# pixel is 0" and "there is no previous pixel" look the same).
#
# **Knowing where you are.** In raster order the pixel read just before $(i, 0)$ is $(i-1, W-1)$ at
# the other side of the image; to know that a new row starts, and where the shape is likely to be,
# the network has to *count* — over hundreds of steps. The lecture's point: give it the
# coordinates. With `coords=True` the input also holds the (row, column) of the pixel **being
# predicted**, scaled to $[0, 1]$: $(i / (H-1),\; j / (W-1))$. They are known before the pixel is
# generated, so they leak nothing.
#
# **Your task (4 points).** Write `rnn_inputs(x, coords)`: `x` (B, 1, H, W) 0/1 → features
# (B, D, F) in raster order, F = 2 (shifted value, start flag) or 4 (plus row, column), and
# `PixelRNN.forward` (GRU over the features, a linear head, logits shaped like `x`). `sample` is
# given: it calls your `rnn_inputs` on the partly generated canvas and feeds one step at a time.

# %% nbgrader={"grade": false, "grade_id": "seq_rnn", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_inputs(x, coords=False):
    """x (B, 1, H, W) 0/1 -> float features (B, D, F), D = H W in raster order.

    Feature t: [x_{t-1} (0 at t = 0), 1.0 if t == 0 else 0.0] and, with ``coords``,
    [i / (H - 1), j / (W - 1)] for pixel t = W i + j (the pixel being predicted).
    """
    B, _, H, W = x.shape
    ### BEGIN SOLUTION
    v = x.reshape(B, H * W).float()
    prev = torch.cat([torch.zeros(B, 1), v[:, :-1]], dim=1)           # shifted by one
    start = torch.zeros(B, H * W)
    start[:, 0] = 1.0
    feats = [prev, start]
    if coords:
        rows = torch.arange(H).repeat_interleave(W).float() / max(H - 1, 1)
        cols = torch.arange(W).repeat(H).float() / max(W - 1, 1)
        feats += [rows.expand(B, -1), cols.expand(B, -1)]
    return torch.stack(feats, dim=-1)
    ### END SOLUTION


class PixelRNN(nn.Module):
    """A GRU over the pixels of a (1, height, width) binary image in raster order."""

    def __init__(self, height, width, hidden, coords=False):
        super().__init__()
        self.height, self.width, self.coords = height, width, coords
        self.rnn = nn.GRU(4 if coords else 2, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        """x (B, 1, H, W) 0/1 -> Bernoulli logits (B, 1, H, W); logit t sees x_{<t} only."""
        ### BEGIN SOLUTION
        states, _ = self.rnn(rnn_inputs(x, self.coords))             # (B, D, hidden)
        return self.head(states).view(x.shape[0], 1, self.height, self.width)
        ### END SOLUTION

    @torch.no_grad()
    def sample(self, n, generator=None):
        """(n, 1, H, W) int64 samples, one GRU step per pixel."""
        x = torch.zeros(n, 1, self.height, self.width)
        flat, state = x.view(n, -1), None
        for t in range(flat.shape[1]):
            out, state = self.rnn(rnn_inputs(x, self.coords)[:, t:t + 1], state)
            p = torch.sigmoid(self.head(out[:, 0, :]))[:, 0]
            flat[:, t] = (torch.rand(n, generator=generator) < p).float()
        return x.long()


# %% nbgrader={"grade": false, "grade_id": "seq_rnn_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
def rnn_ar_probe(x, coords=False, hidden=16):
    """Logits (B, 1, H, W) of a fresh PixelRNN (seed 0) sized like x (B, 1, H, W); float x keeps gradients."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = PixelRNN(x.shape[2], x.shape[3], int(hidden), coords=bool(coords))
    return model(x)


expose("seq_rnn_inputs", rnn_inputs)
expose("seq_rnn_ar_probe", rnn_ar_probe)

# %% nbgrader={"grade": true, "grade_id": "seq_rnn_model_test", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
_x = torch.randint(0, 2, (3, 1, 5, 7))
for _coords in (False, True):
    _f = rnn_inputs(_x, _coords)
    assert _f.shape == (3, 35, 4 if _coords else 2), f"rnn_inputs gave {tuple(_f.shape)}, expected (3, 35, {4 if _coords else 2})"
    assert rnn_ar_probe(_x.float(), _coords).shape == (3, 1, 5, 7), "PixelRNN must return logits shaped like x"
    check_autoregressive(lambda x, c=_coords: rnn_ar_probe(x, c), (1, 5, 7), num_values=2, family="pixelcnn",
                         convolutional=False, output_shape=(1, 5, 7),
                         name=f"PixelRNN(coords={_coords})").raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "seq_rnn_model_test")
### END HIDDEN TESTS

# %% [markdown]
# ### Training: with and without coordinates (4 + 4 points)
#
# Four models: `shapes` and `binarized_mnist`, each with and without coordinates, the same
# hidden size and number of steps. The grader scores each one's held-out NLL against a threshold
# calibrated on this notebook (2 points per model).

# %% nbgrader={"grade": false, "grade_id": "seq_rnn_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
def bernoulli_param_fn(model):
    """What the grader evaluates: x (B, 1, H, W) int -> Bernoulli logits (B, 1, H, W), eval mode, no grad, CPU."""
    @torch.no_grad()
    def param_fn(x):
        model.eval()
        device = next(model.parameters()).device
        return model(x.to(device)).cpu()
    return param_fn


rnn_models, rnn_histories = {}, {}
STEPS = {"shapes": CFG["shapes_steps"], "binarized_mnist": CFG["mnist_steps"]}


def train_rnns(name):
    """Train PixelRNNs without and with coordinates on ``name`` (same seed, size and steps); False if a stub."""
    train, valid = data[name]
    for coords in (False, True):
        seed_everything(SEED)
        try:
            model = PixelRNN(*train.shape[2:], CFG["rnn_hidden"], coords=coords)
            hist = train_epochs(model, bernoulli_loss, train, valid, epochs=CFG["epochs"], lr=CFG["lr"],
                                batch_size=CFG["batch_size"], seed=SEED, max_steps=STEPS[name], grad_clip=1.0,
                                device=DEVICE, desc=f"RNN {name} coords={coords}")
        except NotImplementedError:
            print("rnn_inputs / PixelRNN are not implemented yet")
            return False
        rnn_models[name, coords] = model.cpu().eval()
        rnn_histories[name, coords] = hist
        results[("RNN + coords" if coords else "RNN", name)] = hist.test[-1]
    return True


def show_rnns(name):
    """Training curves of both variants, and samples from each."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.5))
    for coords in (False, True):
        h = rnn_histories[name, coords]
        axes[0].plot(np.linspace(0, 1, len(h.train)), h.train, label=f"coords={coords} train", alpha=0.6)
        axes[0].plot(np.linspace(0, 1, len(h.test)), h.test, "o-", label=f"coords={coords} valid")
        gen = torch.Generator().manual_seed(SEED)
        show_samples(rnn_models[name, coords].sample(CFG["n_samples"], generator=gen), nrow=4, num_values=2,
                     title=f"samples, coords={coords}", ax=axes[1 + coords])
    axes[0].set_title(f"PixelRNN on {name}")
    axes[0].set_xlabel("fraction of training")
    axes[0].set_ylabel("NLL (nats/dim)")
    axes[0].legend()
    plt.show()


if train_rnns("shapes"):
    show_rnns("shapes")

# %% nbgrader={"grade": false, "grade_id": "seq_rnn_train_mnist", "locked": true, "schema_version": 3, "solution": false, "task": false}
if rnn_models and train_rnns("binarized_mnist"):
    show_rnns("binarized_mnist")

# %% nbgrader={"grade": false, "grade_id": "seq_rnn_params_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
for (name, coords), model in rnn_models.items():
    short = "mnist" if name == "binarized_mnist" else name
    expose(f"seq_rnn_{short}{'_xy' if coords else ''}_params", bernoulli_param_fn(model), kind="param_fn",
           dataset=name, likelihood="bernoulli")

# %% nbgrader={"grade": true, "grade_id": "seq_rnn_shapes_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert ("shapes", False) in rnn_models, "train the RNNs on shapes (run the cells above)"
_h = rnn_histories["shapes", False]
assert np.isfinite(_h.test[-1]) and _h.test[-1] < math.log(2), "shapes, coords=False: not better than a uniform model"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "seq_rnn_shapes_test")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "seq_rnn_shapes_xy_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert ("shapes", True) in rnn_models, "train the RNNs on shapes (run the cells above)"
_h = rnn_histories["shapes", True]
assert np.isfinite(_h.test[-1]) and _h.test[-1] < math.log(2), "shapes, coords=True: not better than a uniform model"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "seq_rnn_shapes_xy_test")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "seq_rnn_mnist_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert ("binarized_mnist", False) in rnn_models, "train the RNNs on binarized_mnist (run the cells above)"
_h = rnn_histories["binarized_mnist", False]
assert np.isfinite(_h.test[-1]) and _h.test[-1] < math.log(2), "binarized_mnist, coords=False: not better than a uniform model"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "seq_rnn_mnist_test")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "seq_rnn_mnist_xy_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert ("binarized_mnist", True) in rnn_models, "train the RNNs on binarized_mnist (run the cells above)"
_h = rnn_histories["binarized_mnist", True]
assert np.isfinite(_h.test[-1]) and _h.test[-1] < math.log(2), "binarized_mnist, coords=True: not better than a uniform model"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "seq_rnn_mnist_xy_test")
### END HIDDEN TESTS

# %% [markdown]
# *Question (not graded).* In the `ci` profile the models are barely trained and the two variants
# are close; with longer training (`cpu`, `gpu`) the coordinates usually help most on `shapes`,
# where *where* a pixel is says a lot about whether it is ink. Which errors in the samples of the
# model without coordinates show that it lost count of its position?

# %% [markdown]
# ## 3. Row LSTM (PixelRNN, 2 points)
#
# An RNN over single pixels needs $D$ sequential steps. The Row LSTM of van den Oord et al. (2016)
# processes a **whole row** at a time: row $i$'s state is computed from row $i-1$'s state for all
# columns at once.
#
# * **input-to-state**: a masked convolution of the image (type A, $3 \times 3$ here: the row above,
#   and the pixels left of the centre in the current row) computed once for every row;
# * **state-to-state**: a $1 \times k$ convolution ($k = 3$) of the previous row's state $s_{i-1}$;
# * an LSTM update per row: $[o, f, i, g] = \text{input-to-state}_i + K_{ss} * s_{i-1}$,
#   $c_i = \sigma(f) \odot c_{i-1} + \sigma(i) \odot \tanh(g)$, $s_i = \sigma(o) \odot \tanh(c_i)$;
# * a $1\times1$ convolution of $s_i$ gives the logits of row $i$.
#
# Each row up, the state-to-state convolution widens the context by one column on each side, so
# the receptive field of pixel $(i, j)$ is a **triangle** above it. It misses part of the row
# context to the right (and, like any masked model, everything after the pixel). The **Diagonal
# BiLSTM** skews the image so that the recurrence runs along diagonals, in both directions, and
# its receptive field covers the *whole* past: no blind triangle, at the price of a slower,
# strictly sequential scan.
#
# **Your task.** Write `RowLSTM.forward(x)`: logits (B, 1, H, W). The grader checks it is
# autoregressive and sees its immediate past (the pixel to the left and the pixel above).

# %% nbgrader={"grade": false, "grade_id": "seq_rowlstm", "locked": false, "schema_version": 3, "solution": true, "task": false}
class RowLSTM(nn.Module):
    """One Row LSTM layer over (1, H, W) binary images (input-to-state 3x3 mask A, state-to-state 1 x k)."""

    def __init__(self, hidden, k=3):
        super().__init__()
        self.hidden = hidden
        self.input_to_state = nn.Conv2d(1, 4 * hidden, 3, padding=1)
        mask = torch.ones(3, 3)
        mask[1, 1:] = 0                    # centre and right of the centre in the current row
        mask[2, :] = 0                     # the row below
        self.register_buffer("mask", mask)
        self.state_to_state = nn.Conv1d(hidden, 4 * hidden, k, padding=k // 2)
        self.head = nn.Conv2d(hidden, 1, 1)

    def forward(self, x):
        """x (B, 1, H, W) 0/1 -> Bernoulli logits (B, 1, H, W)."""
        B, _, H, W = x.shape
        ### BEGIN SOLUTION
        inp = F.conv2d(x.float(), self.input_to_state.weight * self.mask, self.input_to_state.bias, padding=1)
        state = torch.zeros(B, self.hidden, W)
        cell = torch.zeros(B, self.hidden, W)
        rows = []
        for i in range(H):
            gates = inp[:, :, i] + self.state_to_state(state)           # (B, 4 hidden, W)
            o, f, g_in, g = gates.chunk(4, dim=1)
            cell = torch.sigmoid(f) * cell + torch.sigmoid(g_in) * torch.tanh(g)
            state = torch.sigmoid(o) * torch.tanh(cell)
            rows.append(state)
        return self.head(torch.stack(rows, dim=2))
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "seq_rowlstm_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
row_model = None
train, valid = data["shapes"]
seed_everything(SEED)
try:
    row_model = RowLSTM(CFG["row_hidden"])
    hist = train_epochs(row_model, bernoulli_loss, train, valid, epochs=CFG["epochs"], lr=CFG["lr"],
                        batch_size=CFG["batch_size"], seed=SEED, max_steps=CFG["row_steps"], grad_clip=1.0,
                        device=DEVICE, desc="Row LSTM shapes")
    row_model.cpu().eval()
    results[("Row LSTM", "shapes")] = hist.test[-1]
    print(f"Row LSTM on shapes: valid {format_nll(hist.test[-1])}")
except NotImplementedError:
    row_model = None
    print("RowLSTM.forward is not implemented yet")


def receptive_field(model, shape, pixel, n_inputs=4):
    """Bool (H, W): input pixels with a nonzero gradient of the logit at ``pixel`` (union over random inputs)."""
    seen = torch.zeros(shape[1:], dtype=torch.bool)
    gen = torch.Generator().manual_seed(0)
    for _ in range(n_inputs):
        x = torch.randint(0, 2, (1, *shape), generator=gen).float().requires_grad_(True)
        model(x)[0, 0, pixel[0], pixel[1]].backward()
        seen |= x.grad[0, 0] != 0
    return seen


if row_model is not None:
    expose("seq_rowlstm_model", row_model)
    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    for ax, (m, title) in zip(axes, ((row_model, "Row LSTM"), (rnn_models.get(("shapes", True)), "PixelRNN"))):
        if m is None:
            continue
        field = receptive_field(m, (1, 20, 20), (12, 10)).float()
        field[12, 10] = 0.5
        ax.imshow(field, cmap="Blues", vmin=0, vmax=1)
        ax.set_title(f"{title}: what pixel (12, 10) sees")
    plt.show()

# %% nbgrader={"grade": true, "grade_id": "seq_rowlstm_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert row_model is not None, "RowLSTM is not trained (run the cells above)"
check_autoregressive(row_model, (1, 20, 20), num_values=2, family="pixelcnn", convolutional=False,
                     output_shape=(1, 20, 20), name="Row LSTM").raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw2", "seq_rowlstm_test")
### END HIDDEN TESTS

# %% [markdown]
# ## Comparison
#
# Validation NLL of every model trained above (same data, the `ci`/`cpu`/`gpu` budget of this run).

# %% nbgrader={"grade": false, "grade_id": "seq_compare", "locked": true, "schema_version": 3, "solution": false, "task": false}
print(f"{'model':<14} {'dataset':<16} {'nats/dim':>9} {'bits/dim':>9}")
for (model_name, name), nll in results.items():
    print(f"{model_name:<14} {name:<16} {nll:9.4f} {nats_to_bits(nll):9.4f}")

# %% [markdown]
# ## What to take away
#
# * NADE's shared weights turn $D$ conditionals of cost $O(dH)$ into one running sum: $O(DH)$ in
#   all. The order of "read the output, then add $x_d$" is the autoregressive property.
# * An RNN is autoregressive because its input is shifted by one (with a start token); it sees the
#   whole past but must count to know where it is — coordinates as inputs remove that burden.
# * The Row LSTM trades the full past for parallelism inside a row: its receptive field is a
#   triangle; the Diagonal BiLSTM recovers the full past with a skewed, sequential scan.
