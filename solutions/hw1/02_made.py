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
# # Homework 1, notebook 2: MADE — masked autoencoders for distribution estimation (20 points)
#
# **Goal.** Build an autoregressive model out of an ordinary fully connected network by
# *deleting connections*. You will write the masks, a masked linear layer and the MADE model,
# fit it to 2D joint distributions and to binary images, train it with several orderings at once,
# and use a well-chosen ordering to fill in missing pixels.
#
# | part | what you write | points |
# |---|---|---|
# | masks | `made_masks(order, hidden_sizes)` | 5 |
# | layer | `MaskedLinear` | 3 |
# | model | `MADE` (autoregressive under any order) | 3 |
# | 2D joints | train on `picture2d_small` and `picture2d_large` (held-out NLL) | 2 |
# | shapes | train on `shapes` (held-out NLL) | 2 |
# | MNIST | train on `mnist_binary` (held-out NLL) | 2 |
# | inpainting | `inpainting_order`, `made_inpaint` | 3 |
#
# All losses are **negative log-likelihoods in nats per dimension** (natural log, divided by the
# number of modelled variables); bits/dim = nats/dim / ln 2. The grader measures your trained
# models on a held-out split that you never see; the "test" curves below use the `valid` split.

# %% [markdown] tags=["how-to-submit"]
# ## How to submit
#
# *(This cell is written by `autograder release`: which files to upload, where, what the
# autograder checks and how to run the public tests.)*

# %% nbgrader={"grade": false, "grade_id": "made_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os
import math
import numpy as np, torch, matplotlib.pyplot as plt
import torch.nn as nn
import torch.nn.functional as F
from arkit.profiles import active_profile, pick, default_device
from arkit.seeding import seed_everything
from arkit.data import load_dataset, true_density
from arkit.units import format_nll
from arkit.training import train_epochs
from arkit.plotting import show_samples, plot_losses, plot_joint
from arkit.submission import expose
PROFILE = active_profile()            # "ci" | "cpu" | "gpu"  (env ARKIT_PROFILE overrides)
SEED = int(os.environ.get("ARKIT_SEED", "0"))
seed_everything(SEED)
DEVICE = default_device(PROFILE)
CFG = pick({
    "ci": dict(p2d_hidden=[64, 64], p2d_epochs=10, p2d_steps=400, p2d_valid=2000,
               img_hidden=[256, 256], shapes_epochs=6, mnist_train=6000, mnist_epochs=3, img_valid=1000,
               oa_orders=3, oa_epochs=3, n_samples=16, n_inpaint=6, batch_size=128, lr=2e-3),
    "cpu": dict(p2d_hidden=[128, 128], p2d_epochs=10, p2d_steps=None, p2d_valid=None,
                img_hidden=[512, 512], shapes_epochs=20, mnist_train=None, mnist_epochs=10, img_valid=None,
                oa_orders=4, oa_epochs=10, n_samples=64, n_inpaint=8, batch_size=128, lr=1e-3),
    "gpu": dict(p2d_hidden=[256, 256], p2d_epochs=20, p2d_steps=None, p2d_valid=None,
                img_hidden=[512, 512], shapes_epochs=20, mnist_train=None, mnist_epochs=20, img_valid=None,
                oa_orders=8, oa_epochs=20, n_samples=100, n_inpaint=10, batch_size=128, lr=1e-3),
})
print(f"profile={PROFILE} seed={SEED} device={DEVICE}")

# %% [markdown]
# ## 1. Autoregressive models from masks
#
# Any joint distribution over $D$ variables factorises by the chain rule, in **any** order
# $\pi$ (a permutation; `order[k]` is the index of the variable generated $k$-th):
#
# $$p(x) = \prod_{k=1}^{D} p\big(x_{\pi_k} \mid x_{\pi_1}, \dots, x_{\pi_{k-1}}\big).$$
#
# MADE (Germain et al., 2015) computes all $D$ conditionals in **one** forward pass of a
# multilayer perceptron whose weights are multiplied by fixed 0/1 masks. The only rule:
# *the output for $x_{\pi_k}$ may depend on the inputs generated before it, and on nothing else*
# — not on itself (otherwise the model could just copy the answer and the "likelihood" would be
# meaningless), and not on later variables (otherwise sampling one variable at a time would
# need values that do not exist yet).
#
# The masks come from **degrees** (connectivity numbers):
#
# * input variable $\pi_k$ gets degree $k$ (1 for the first variable generated, $D$ for the last);
# * every hidden unit gets a degree $m \in \{1, \dots, D-1\}$: "I may look at the variables of degree $\le m$";
# * a hidden unit of degree $m$ may receive from a unit of the previous layer of degree $m'$ iff $m' \le m$;
# * the output for variable $\pi_k$ (degree $k$) may receive from a hidden unit of degree $m$ iff $m < k$
#   (**strict**: this is what stops a variable from seeing itself).
#
# Any path input $\to$ output then only goes through non-decreasing degrees and ends with a strict
# increase, so output $\pi_k$ depends only on variables of degree $< k$. Degrees in hidden layers
# may be spread evenly or drawn at random; if a layer is narrower than $D$ some inputs simply
# feed fewer units (the model is still autoregressive, only less expressive).
#
# **Dead outputs: what the checks accept.** With degrees *drawn at random* (the paper's recipe:
# each layer draws from {smallest degree of the layer below, ..., D-1}) a draw can miss the
# smallest degrees; then the outputs generated 2nd, 3rd, ..., m-th have no path to any input and
# their conditionals are unconditional. That is still a correct autoregressive model, so the checks
# (`check_made_masks`, `check_autoregressive(..., family="made")`) accept dead outputs **as a prefix
# of the order** (the ones generated first), as long as the outputs still use at least a quarter of
# the (output, input) pairs they may use. A dead output generated *after* a live one never comes
# from degrees and fails. Spreading the degrees evenly over $1 \dots D-1$ (the default of
# `made_masks` below, `seed=None`) leaves no output dead.
#
# **Your task (5 points).** Write `made_masks(order, hidden_sizes)`. It returns
# `len(hidden_sizes) + 1` float 0/1 masks shaped `(fan_out, fan_in)`:
# `(h1, D), (h2, h1), ..., (D, h_last)`, for $x \to \mathrm{relu}((W_0 \odot M_0) x + b_0) \to \dots \to (W_L \odot M_L) h$.
# The optional `seed` selects random hidden degrees (`None`: spread them evenly).

# %% nbgrader={"grade": false, "grade_id": "made_masks", "locked": false, "schema_version": 3, "solution": true, "task": false}
def made_masks(order, hidden_sizes, seed=None):
    """MADE masks for the ordering ``order`` (``order[k]`` = variable generated k-th).

    Args:
        order: permutation of ``range(D)`` (list, array or int tensor).
        hidden_sizes: widths of the hidden layers, e.g. ``[64, 64]`` (may be smaller than D).
        seed: ``None`` spreads hidden degrees evenly over 1..D-1; an int draws them at random.

    Returns:
        list of float tensors with 0/1 entries, shapes ``(h1, D), (h2, h1), ..., (D, h_last)``.
    """
    ### BEGIN SOLUTION
    order = torch.as_tensor(order, dtype=torch.long).flatten()
    D = order.numel()
    deg_in = torch.empty(D, dtype=torch.long)
    deg_in[order] = torch.arange(1, D + 1)            # variable order[k] has degree k + 1
    gen = None if seed is None else torch.Generator().manual_seed(int(seed))
    top, low = max(D - 1, 1), 1
    degrees = [deg_in]
    for width in hidden_sizes:
        if gen is None:                                 # evenly spread over low..top
            m = low + torch.arange(width) * (top - low + 1) // width
        else:
            m = torch.randint(low, top + 1, (width,), generator=gen)
            m[0] = low                                  # keep the smallest degree alive
        low = int(m.min())
        degrees.append(m)
    masks = [(d_out[:, None] >= d_in[None, :]).float() for d_in, d_out in zip(degrees[:-1], degrees[1:])]
    masks.append((deg_in[:, None] > degrees[-1][None, :]).float())   # strict into the output
    return masks
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "made_masks_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("made_masks", made_masks)


def connectivity(masks):
    """Path counts (D, D): entry [d, j] > 0 iff output d can see input j."""
    conn = masks[0]
    for m in masks[1:]:
        conn = m @ conn
    return conn


# The picture: which input can each output see, for 5 variables in the order 2, 0, 4, 1, 3.
try:
    _order = [2, 0, 4, 1, 3]
    _conn = connectivity(made_masks(_order, [4, 4])) > 0
    _pos = np.argsort(_order)                       # position of each variable in the order
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.imshow(_conn.numpy(), cmap="Greens", vmin=0, vmax=1)
    ax.set_xticks(range(5), [f"x{j}\n({_pos[j] + 1})" for j in range(5)])
    ax.set_yticks(range(5), [f"x{d} ({_pos[d] + 1})" for d in range(5)])
    ax.set_xlabel("input (generation step)")
    ax.set_ylabel("output")
    ax.set_title("connectivity for order [2, 0, 4, 1, 3]")
    plt.show()
except NotImplementedError:
    print("made_masks is not implemented yet")

# %% nbgrader={"grade": true, "grade_id": "made_masks_test", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
from arkit.checks.masks import check_made_masks
check_made_masks(made_masks).raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "made_masks_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. A masked linear layer (3 points)
#
# `MaskedLinear` is an `nn.Linear` whose weight is multiplied by a 0/1 mask **in the forward
# pass**: `F.linear(x, weight * mask, bias)`. Keep the mask as a *buffer*
# (`self.register_buffer("mask", ...)`) so that it moves with `.to(device)` and is saved in
# `state_dict`, but is not trained. Never overwrite the weights with the masked ones: the
# order-agnostic training of part 5 swaps masks, and a weight you zeroed would be lost.
# Because the mask multiplies the weight, gradients of masked weights are exactly zero.

# %% nbgrader={"grade": false, "grade_id": "made_masked_linear", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MaskedLinear(nn.Linear):
    """``nn.Linear`` with a fixed 0/1 mask on the weight (shape ``(out_features, in_features)``)."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__(in_features, out_features, bias)
        ### BEGIN SOLUTION
        self.register_buffer("mask", torch.ones(out_features, in_features))
        ### END SOLUTION

    def set_mask(self, mask):
        """Replace the mask by ``mask`` (any 0/1 array shaped like the weight)."""
        ### BEGIN SOLUTION
        self.mask.copy_(torch.as_tensor(mask, dtype=self.mask.dtype))
        ### END SOLUTION

    def forward(self, x):
        """x: (B, in_features) float -> (B, out_features)."""
        ### BEGIN SOLUTION
        return F.linear(x, self.weight * self.mask, self.bias)
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "made_masked_linear_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
def masked_linear_probe(weight, bias, mask, x):
    """Build a MaskedLinear with these weight/bias/mask, run x forward and backward.

    Returns (output, weight after the call, d(sum of outputs)/d weight, 1.0 if the mask is a buffer).
    """
    layer = MaskedLinear(weight.shape[1], weight.shape[0])
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    layer.set_mask(mask)
    out = layer(x.float())
    out.sum().backward()
    is_buffer = any(torch.equal(b, torch.as_tensor(mask, dtype=b.dtype)) for _, b in layer.named_buffers()
                    if b.shape == weight.shape)
    grad = layer.weight.grad if layer.weight.grad is not None else torch.zeros_like(layer.weight)
    return out.detach(), layer.weight.detach().clone(), grad.detach().clone(), torch.tensor(float(is_buffer))


expose("made_masked_linear_probe", masked_linear_probe)

# %% nbgrader={"grade": true, "grade_id": "made_masked_linear_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
_g = torch.Generator().manual_seed(0)
_w, _b = torch.randn(4, 3, generator=_g), torch.randn(4, generator=_g)
_m = (torch.rand(4, 3, generator=_g) > 0.5).float()
_x = torch.randn(5, 3, generator=_g)
_out, _w_after, _grad, _is_buffer = masked_linear_probe(_w, _b, _m, _x)
assert _out.shape == (5, 4), f"MaskedLinear output has shape {tuple(_out.shape)}, expected (5, 4)"
assert torch.allclose(_out, _x @ (_w * _m).T + _b, atol=1e-5), "MaskedLinear output is not F.linear(x, weight * mask, bias)"
assert torch.equal(_w_after, _w), "the weights changed: apply the mask in forward(), never overwrite the weights"
assert torch.all(_grad[_m == 0] == 0), "masked weights receive gradients: multiply the weight by the mask inside forward()"
assert _is_buffer == 1, "keep the mask as a buffer: self.register_buffer('mask', ...)"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "made_masked_linear_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The MADE model (3 points)
#
# `MADE(num_vars, num_values, hidden_sizes, order=None, one_hot=True)` models $D$ = `num_vars`
# discrete variables, each in $\{0, \dots, K-1\}$ with $K$ = `num_values`:
#
# * **input**: `x` integer, shaped `(B, D)` or `(B, *var_shape)` with $D$ elements per sample
#   (images are flattened in C order, so pixel $(i, j)$ of a one-channel image is variable $28 i + j$).
#   With `one_hot=True` each variable becomes $K$ input units (all with the degree of that
#   variable); with `one_hot=False` it is fed as one float `x / (K - 1)`.
# * **output**: logits shaped `(B, D, K)`: a categorical conditional for each variable. The $K$
#   output units of variable $d$ all get the degree of $d$.
# * `set_order(order)` recomputes the masks (with your `made_masks`) for a new ordering;
#   `order=None` means the identity order $0, 1, \dots, D-1$.
# * `nll(x)`: mean negative log-likelihood in **nats/dim**; `log_prob(x)`: `(B,)` in **nats**.
# * `sample(n)`: $n$ samples `(n, D)` int64, generated one variable at a time **in the model's order**.
#
# Hint: expand the first and last masks of `made_masks` with `repeat_interleave`.

# %% nbgrader={"grade": false, "grade_id": "made_model", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MADE(nn.Module):
    """MADE over ``num_vars`` categorical variables with ``num_values`` values each."""

    def __init__(self, num_vars, num_values, hidden_sizes, order=None, one_hot=True):
        super().__init__()
        self.num_vars, self.num_values = num_vars, num_values
        self.hidden_sizes, self.one_hot = list(hidden_sizes), one_hot
        ### BEGIN SOLUTION
        sizes = [num_vars * num_values if one_hot else num_vars, *self.hidden_sizes, num_vars * num_values]
        self.layers = nn.ModuleList(MaskedLinear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.register_buffer("order", torch.arange(num_vars))
        self.set_order(range(num_vars) if order is None else order)
        ### END SOLUTION

    def set_order(self, order):
        """Use the ordering ``order`` (permutation of range(num_vars)) from now on."""
        ### BEGIN SOLUTION
        order = torch.as_tensor(list(order) if isinstance(order, range) else order, dtype=torch.long).flatten()
        masks = made_masks(order, self.hidden_sizes)
        if self.one_hot:
            masks[0] = masks[0].repeat_interleave(self.num_values, dim=1)
        masks[-1] = masks[-1].repeat_interleave(self.num_values, dim=0)
        for layer, mask in zip(self.layers, masks):
            layer.set_mask(mask)
        self.order.copy_(order)
        ### END SOLUTION

    def forward(self, x):
        """x: (B, D) or (B, *var_shape) integers in 0..K-1 -> logits (B, D, K)."""
        ### BEGIN SOLUTION
        x = x.reshape(x.shape[0], -1)
        if self.one_hot:
            h = F.one_hot(x.long(), self.num_values).float().flatten(1)
        else:
            h = x.float() / max(self.num_values - 1, 1)
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i < len(self.layers) - 1:
                h = F.relu(h)
        return h.view(x.shape[0], self.num_vars, self.num_values)
        ### END SOLUTION

    def log_prob(self, x):
        """(B,) log-likelihood of each sample, in nats."""
        ### BEGIN SOLUTION
        logp = F.log_softmax(self(x), dim=-1)
        return logp.gather(-1, x.reshape(x.shape[0], -1, 1).long()).squeeze(-1).sum(1)
        ### END SOLUTION

    def nll(self, x):
        """Mean negative log-likelihood, in nats per dimension (a scalar)."""
        ### BEGIN SOLUTION
        return -self.log_prob(x).mean() / self.num_vars
        ### END SOLUTION

    @torch.no_grad()
    def sample(self, n, generator=None):
        """n samples (n, D) int64, one variable at a time in ``self.order``."""
        ### BEGIN SOLUTION
        x = torch.zeros(n, self.num_vars, dtype=torch.long, device=self.order.device)
        for d in self.order.tolist():
            probs = F.softmax(self(x)[:, d], dim=-1)
            x[:, d] = torch.multinomial(probs, 1, generator=generator)[:, 0]
        return x
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "made_model_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
def made_ar_probe(x, order, num_values=3, hidden_sizes=(32, 32), one_hot=True):
    """Logits (B, D, K) of a MADE with the given order (D = len(order)), initialised from seed 0.

    Arguments may be tensors (the grader sends tensors): num_values int, hidden_sizes (L,) ints, one_hot bool.
    """
    order = torch.as_tensor(order, dtype=torch.long)
    sizes = [int(h) for h in torch.as_tensor(hidden_sizes).reshape(-1)]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        try:
            model = MADE(order.numel(), int(num_values), sizes, order=order, one_hot=bool(one_hot))
        except Exception:  # a made_masks that takes only lists costs the made_masks points, not these
            torch.manual_seed(0)
            model = MADE(order.numel(), int(num_values), sizes, order=order.tolist(), one_hot=bool(one_hot))
    return model(x)


expose("made_ar_probe", made_ar_probe)

# %% nbgrader={"grade": true, "grade_id": "made_model_ar_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
from arkit.checks.autoregressive import check_autoregressive
_order = torch.randperm(10, generator=torch.Generator().manual_seed(1))
_model = MADE(10, 3, [32, 32], order=_order)
_logits = _model(torch.randint(0, 3, (4, 10)))
assert _logits.shape == (4, 10, 3), f"MADE returns logits shaped {tuple(_logits.shape)}, expected (B, D, K) = (4, 10, 3)"
check_autoregressive(_model, (10,), order=_order, num_values=3, to_vars=lambda out: out).raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "made_model_ar_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. MADE on 2D joint distributions (2 points)
#
# Each sample is a point (row, col) drawn from a picture treated as a density: brighter pixels
# are more likely. With $D = 2$ variables the model is $p(r, c) = p(r)\,p(c \mid r)$: the
# output for the row sees nothing (only biases), the output for the column sees the row.
# Both variables are one-hot encoded ($K = 25$ or $200$ values each). Evaluating the model on
# every $(r, c)$ gives the learned joint, shown beside the true one.

# %% nbgrader={"grade": false, "grade_id": "made_picture2d_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
def made_loss(model, x):
    """Mean NLL in nats/dim (the loss the training loop expects)."""
    return model.nll(x)


def subset(x, n):
    """The first n rows of x (all of them when n is None)."""
    return x if n is None else x[:n]


@torch.no_grad()
def joint_density(model, side):
    """Model joint p(row, col) over the whole side x side grid, (side, side) numpy."""
    grid = torch.cartesian_prod(torch.arange(side), torch.arange(side))
    return model.log_prob(grid).exp().view(side, side).numpy()


p2d_models, p2d_histories = {}, {}
for name in ("picture2d_small", "picture2d_large"):
    train, valid = load_dataset(name, "train"), load_dataset(name, "valid")
    side = train.info.num_values
    seed_everything(SEED)
    try:
        model = MADE(2, side, CFG["p2d_hidden"])
        hist = train_epochs(model, made_loss, torch.as_tensor(train.x), torch.as_tensor(subset(valid.x, CFG["p2d_valid"])),
                            epochs=CFG["p2d_epochs"], lr=CFG["lr"], batch_size=256, seed=SEED,
                            max_steps=CFG["p2d_steps"], device=DEVICE, desc=name)
    except NotImplementedError:
        print("MADE is not implemented yet")
        break
    model.cpu().eval()
    p2d_models[name], p2d_histories[name] = model, hist
    print(f"{name}: final valid NLL {format_nll(hist.test[-1])}")
    fig = plot_joint(true_density(name), joint_density(model, side), titles=(f"true {name}", "MADE"))
    plt.show()

# %% nbgrader={"grade": false, "grade_id": "made_picture2d_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
def categorical_params(model):
    """param_fn for a 2D MADE: int64 (B, 2) -> categorical logits (B, K, 2) (class axis 1), no grad, CPU."""
    @torch.no_grad()
    def param_fn(x):
        return model(x).transpose(1, 2)
    return param_fn


for name, model in p2d_models.items():
    expose(f"made_{name}_params", categorical_params(model), kind="param_fn", dataset=name, likelihood="categorical")

# %% nbgrader={"grade": true, "grade_id": "made_picture2d_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
for name, hist in p2d_histories.items():
    assert np.isfinite(hist.test[-1]), f"{name}: the validation loss is not finite"
assert set(p2d_models) == {"picture2d_small", "picture2d_large"}, "train the MADE on both 2D datasets (run the cell above)"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "made_picture2d_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. MADE on binary images: shapes and MNIST (2 + 2 points)
#
# A $20\times 20$ (shapes) or $28 \times 28$ (MNIST) binary image is $D = 400$ or $784$ binary
# variables, fed as plain 0/1 values (`one_hot=False`) in raster order (row by row). The output is a
# 2-way softmax per pixel (the same as one Bernoulli logit). Samples are drawn pixel by pixel:
# $D$ forward passes.

# %% nbgrader={"grade": false, "grade_id": "made_images_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
def train_image_made(name, epochs, n_train=None):
    """Train a raster-order MADE on a binary image dataset; returns (model, history, info)."""
    train, valid = load_dataset(name, "train"), load_dataset(name, "valid")
    D = int(np.prod(train.info.shape))
    seed_everything(SEED)
    model = MADE(D, 2, CFG["img_hidden"], one_hot=False)
    hist = train_epochs(model, made_loss, torch.as_tensor(subset(train.x, n_train)),
                        torch.as_tensor(subset(valid.x, CFG["img_valid"])), epochs=epochs, lr=CFG["lr"],
                        batch_size=CFG["batch_size"], seed=SEED, device=DEVICE, desc=name)
    return model.cpu().eval(), hist, train.info


img_models, img_histories = {}, {}
for name, epochs, n_train in (("shapes", CFG["shapes_epochs"], None),
                              ("mnist_binary", CFG["mnist_epochs"], CFG["mnist_train"])):
    try:
        model, hist, info = train_image_made(name, epochs, n_train)
    except NotImplementedError:
        print("MADE is not implemented yet")
        break
    img_models[name], img_histories[name] = model, hist
    print(f"{name}: final valid NLL {format_nll(hist.test[-1])}")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    plot_losses(hist.train, hist.test, title=f"MADE on {name}", ax=axes[0])
    samples = model.sample(CFG["n_samples"], generator=torch.Generator().manual_seed(SEED))
    show_samples(samples.view(-1, *info.shape), nrow=8, num_values=2, title="samples", ax=axes[1])
    plt.show()


def bernoulli_params(model, shape):
    """param_fn for a binary-image MADE: uint8 (B, *shape) -> Bernoulli logits (B, *shape) = logit(p(x=1))."""
    @torch.no_grad()
    def param_fn(x):
        logits = model(x)
        return (logits[..., 1] - logits[..., 0]).view(x.shape[0], *shape)
    return param_fn

# %% nbgrader={"grade": false, "grade_id": "made_images_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
if "shapes" in img_models:
    expose("made_shapes_params", bernoulli_params(img_models["shapes"], (1, 20, 20)), kind="param_fn",
           dataset="shapes", likelihood="bernoulli")
if "mnist_binary" in img_models:
    expose("made_mnist_params", bernoulli_params(img_models["mnist_binary"], (1, 28, 28)), kind="param_fn",
           dataset="mnist_binary", likelihood="bernoulli")

# %% nbgrader={"grade": true, "grade_id": "made_shapes_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert "shapes" in img_models, "train the MADE on shapes (run the cells above)"
assert img_histories["shapes"].test[-1] < img_histories["shapes"].test[0], "the validation loss did not go down"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "made_shapes_test")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "made_mnist_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert "mnist_binary" in img_models, "train the MADE on mnist_binary (run the cells above)"
assert img_histories["mnist_binary"].test[-1] < img_histories["mnist_binary"].test[0], "the validation loss did not go down"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "made_mnist_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Order-agnostic training (not graded)
#
# One network can hold many orderings at once: at every training step pick an ordering from a
# small set and train with its masks (Germain et al., 2015; the order-agnostic NADE of Uria et al., 2014).
# Each ordering still gives an exact likelihood $p(x \mid \pi)$, and averaging the
# *probabilities* over the set gives an ensemble
#
# $$p_{\text{ens}}(x) = \frac{1}{|S|} \sum_{\pi \in S} p(x \mid \pi), \qquad
# \log p_{\text{ens}}(x) = \operatorname{logsumexp}_{\pi} \log p(x \mid \pi) - \log |S|,$$
#
# which is never worse than the average single ordering (Jensen) and often better than the best.
# Our set contains the raster order, the order used for inpainting in part 7 (centre square last)
# and random permutations. Compare, on the same validation images: the raster MADE of part 5, the
# order-agnostic MADE with one ordering, and the ensemble.

# %% nbgrader={"grade": false, "grade_id": "made_order_agnostic", "locked": true, "schema_version": 3, "solution": false, "task": false}
def square_missing(side=28, size=12):
    """Boolean (side*side,) mask of a centred size x size square (True = missing)."""
    m = torch.zeros(side, side, dtype=torch.bool)
    a = (side - size) // 2
    m[a:a + size, a:a + size] = True
    return m.flatten()


def bottom_missing(side=28):
    """Boolean (side*side,) mask of the bottom half (True = missing)."""
    m = torch.zeros(side, side, dtype=torch.bool)
    m[side // 2:] = True
    return m.flatten()


def square_last_order(missing):
    """Visible pixels in raster order, then the missing ones in raster order."""
    idx = torch.arange(missing.numel())
    return torch.cat([idx[~missing], idx[missing]])


def order_agnostic_loss(orders, generator):
    """Training loss that switches to a random ordering from ``orders`` at every training step."""
    def loss(model, x):
        if model.training:
            k = int(torch.randint(len(orders), (1,), generator=generator))
            model.set_order(orders[k])
        return model.nll(x)
    return loss


@torch.no_grad()
def ensemble_nll(model, orders, x):
    """Mean NLL (nats/dim) of the ensemble that averages p(x | order) over ``orders``."""
    logps = []
    for o in orders:
        model.set_order(o)
        logps.append(model.log_prob(x))
    logp = torch.logsumexp(torch.stack(logps), 0) - math.log(len(orders))
    return float(-logp.mean() / model.num_vars)


oa_model = None
if "mnist_binary" in img_models:
    mn_train, mn_valid = load_dataset("mnist_binary", "train"), load_dataset("mnist_binary", "valid")
    x_valid = torch.as_tensor(subset(mn_valid.x, CFG["img_valid"]))
    g = torch.Generator().manual_seed(SEED)
    oa_orders = [torch.arange(784), square_last_order(square_missing())]
    oa_orders += [torch.randperm(784, generator=g) for _ in range(CFG["oa_orders"] - 2)]
    seed_everything(SEED)
    oa_model = MADE(784, 2, CFG["img_hidden"], one_hot=False)
    oa_hist = train_epochs(oa_model, order_agnostic_loss(oa_orders, g), torch.as_tensor(subset(mn_train.x, CFG["mnist_train"])),
                           x_valid, epochs=CFG["oa_epochs"], lr=CFG["lr"], batch_size=CFG["batch_size"], seed=SEED,
                           device=DEVICE, desc="order-agnostic")
    oa_model.cpu().eval()
    with torch.no_grad():
        single = [float(oa_model.nll(x_valid)) for o in oa_orders if oa_model.set_order(o) is None]
    table = {"raster MADE (part 5)": float(img_models["mnist_binary"].nll(x_valid).detach()),
             "order-agnostic, raster order": single[0],
             "order-agnostic, mean of single orders": float(np.mean(single)),
             f"order-agnostic, ensemble of {len(oa_orders)}": ensemble_nll(oa_model, oa_orders, x_valid)}
    for k, v in table.items():
        print(f"{k:<42} {format_nll(v)}")

# %% [markdown]
# *Question (not graded).* With a fixed training budget, why can the order-agnostic model be
# worse with any single ordering than the raster MADE, and why does the ensemble recover part of
# the gap?

# %% [markdown]
# ## 7. Inpainting with a well-chosen ordering (3 points)
#
# To fill in missing pixels given the visible ones we need $p(x_{\text{missing}} \mid x_{\text{visible}})$.
# An autoregressive model gives it exactly, **if the ordering puts every missing pixel after all
# visible ones**: then
# $p(x_{\text{missing}} \mid x_{\text{visible}}) = \prod_{k > |V|} p(x_{\pi_k} \mid x_{\pi_{<k}})$
# and we sample the missing pixels one by one, in that order, keeping the visible pixels as they are.
# For the bottom half of an image the raster order already works; for a centre square it does not,
# which is why the order-agnostic model above was also trained with the "square last" ordering.
#
# **Your task.** `inpainting_order(missing)` returns an ordering (int64 `(D,)`) with the visible
# variables first (in raster order) and the missing ones last (in raster order).
# `made_inpaint(model, x, missing, seed)` sets that ordering on the model, samples the missing
# pixels with a `torch.Generator` seeded with `seed`, and returns `(completed, order)`:
# `completed` has the shape and dtype of `x` and equals `x` on visible pixels. The values of `x`
# on missing pixels must not matter.

# %% nbgrader={"grade": false, "grade_id": "made_inpaint", "locked": false, "schema_version": 3, "solution": true, "task": false}
def inpainting_order(missing):
    """missing: bool (D,) or (*var_shape) -> order int64 (D,): visible first, then missing (each in raster order)."""
    ### BEGIN SOLUTION
    missing = torch.as_tensor(missing, dtype=torch.bool).flatten()
    idx = torch.arange(missing.numel())
    return torch.cat([idx[~missing], idx[missing]])
    ### END SOLUTION


@torch.no_grad()
def made_inpaint(model, x, missing, seed=0):
    """Fill the pixels where ``missing`` is True by sampling from ``model``.

    Args:
        model: a MADE over D = x[0].numel() variables.
        x: (B, *var_shape) integer images.
        missing: bool (D,) or (*var_shape), shared by the whole batch.
        seed: seeds the torch.Generator used for sampling.

    Returns:
        (completed, order): completed like x (same shape, dtype), order int64 (D,).
    """
    ### BEGIN SOLUTION
    missing = torch.as_tensor(missing, dtype=torch.bool).flatten()
    order = inpainting_order(missing)
    model.set_order(order)
    gen = torch.Generator().manual_seed(int(seed))
    out = x.reshape(x.shape[0], -1).long().clone()
    for d in order[int((~missing).sum()):].tolist():
        probs = F.softmax(model(out)[:, d], dim=-1)
        out[:, d] = torch.multinomial(probs, 1, generator=gen)[:, 0]
    return out.view(x.shape).to(x.dtype), order
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "made_inpaint_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
if oa_model is not None:
    # (x uint8 (B, 1, 28, 28), missing bool (784,), seed int tensor) -> (completed, order)
    expose("made_inpaint", lambda x, missing, seed=0: made_inpaint(oa_model, x, missing, int(seed)))
    x_show = x_valid[:CFG["n_inpaint"]]
    rows = [x_show]
    try:
        for missing in (bottom_missing(), square_missing()):
            occluded = x_show.clone().view(len(x_show), -1)
            occluded[:, missing] = 0
            rows += [occluded.view_as(x_show), made_inpaint(oa_model, occluded.view_as(x_show), missing, SEED)[0]]
        show_samples(torch.cat(rows), nrow=len(x_show), num_values=2,
                     title="rows: original | bottom hidden | completed | square hidden | completed")
        plt.show()
    except NotImplementedError:
        print("inpainting is not implemented yet")

# %% nbgrader={"grade": true, "grade_id": "made_inpaint_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
assert oa_model is not None, "train the MADEs above first (parts 5 and 6)"
_missing = square_missing()
_order = inpainting_order(_missing)
assert sorted(_order.tolist()) == list(range(784)), "inpainting_order must return a permutation of range(D)"
assert bool(_missing[_order[-int(_missing.sum()):]].all()), "inpainting_order must put every missing pixel last"
_x = x_valid[:2]
_done, _ = made_inpaint(oa_model, _x, _missing, 0)
assert _done.shape == _x.shape and _done.dtype == _x.dtype, "made_inpaint must return images shaped like x, same dtype"
assert torch.equal(_done.view(2, -1)[:, ~_missing], _x.view(2, -1)[:, ~_missing]), "made_inpaint changed visible pixels"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "made_inpaint_test")
### END HIDDEN TESTS

# %% [markdown]
# ## What to take away
#
# * A mask turns an MLP into an exact autoregressive density: one pass gives all $D$ conditionals
#   (fast training and likelihoods), but sampling still needs $D$ passes.
# * Degrees make the rule checkable: non-decreasing through hidden layers, strictly increasing into the output.
# * The ordering is a modelling choice; training with several orderings gives an ensemble and lets
#   one network answer conditional queries such as inpainting.
