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
# # Homework 1, notebook 3: PixelCNN and its descendants (45 points)
#
# **Goal.** Build an autoregressive image model out of *convolutions* whose kernels are
# masked so that a pixel only sees the pixels generated before it. You will write the masks,
# a masked convolution and a PixelCNN; look at its receptive field and find its **blind spot**;
# remove the blind spot with a **Gated PixelCNN**; then extend the PixelCNN to colour images
# (channels generated R $\to$ G $\to$ B), to class-conditional generation, and use it to
# complete half-hidden images.
#
# | part | what you write | points |
# |---|---|---|
# | 1. masks | `pixelcnn_mask(...)` | 5 |
# | 1. layer | `MaskedConv2d` | 3 |
# | 2. model | `PixelCNN` (autoregressive and using its whole context) | 5 |
# | 2. training | held-out NLL on `shapes` and `mnist_binary` (3 + 3) | 6 |
# | 3. receptive field | `receptive_field`, `blind_spot_mask` | 4 |
# | 4. Gated PixelCNN | `GatedLayer`, `GatedPixelCNN` (autoregressive, no blind spot) | 6 |
# | 5. colour | colour groups in `PixelCNN`: autoregressive in R $\to$ G $\to$ B (3) + held-out NLL (3) | 6 |
# | 6. conditional | class bias in `PixelCNN`: autoregressive and uses the class (3) + held-out NLL (3) | 6 |
# | 7. completion | `sample_pixelcnn(..., x=..., start_row=...)` | 4 |
#
# All losses are **negative log-likelihoods in nats per dimension** (natural log, divided by
# the number of modelled variables: $C \cdot H \cdot W$); bits/dim = nats/dim / ln 2. The grader
# measures your trained models on a held-out split that you never see; the "test" curves below
# use the `valid` split.
#
# Conventions used everywhere (the grader relies on them): images are integer tensors shaped
# `(B, C, H, W)` with values `0..K-1`; every model returns **logits shaped `(B, K, C, H, W)`**
# (the class dimension second, as `F.cross_entropy` expects); pixels are generated in raster
# order (row by row, left to right) and, within a pixel, channel R before G before B.

# %% [markdown] tags=["how-to-submit"]
# ## How to submit
#
# *(This cell is written by `autograder release`: which files to upload, where, what the
# autograder checks and how to run the public tests.)*

# %% nbgrader={"grade": false, "grade_id": "pixelcnn_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os
import math
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
    # hidden: channels; b_layers: kxk type-B layers after the first type-A layer; steps: optimizer steps
    "ci": dict(hidden=16, b_layers=2, kernel=5, epochs=2, steps=100, mnist_train=3000, mnist_steps=60,
               valid=256, batch_size=64, lr=3e-3, gated_hidden=16, gated_layers=3, gated_steps=60,
               color_hidden=24, color_steps=100, cond_steps=100, n_samples=4, n_complete=4),
    "cpu": dict(hidden=32, b_layers=3, kernel=7, epochs=3, steps=None, mnist_train=10000, mnist_steps=300,
                valid=1000, batch_size=64, lr=2e-3, gated_hidden=32, gated_layers=4, gated_steps=None,
                color_hidden=48, color_steps=None, cond_steps=None, n_samples=16, n_complete=6),
    "gpu": dict(hidden=64, b_layers=5, kernel=7, epochs=10, steps=None, mnist_train=None, mnist_steps=None,
                valid=None, batch_size=128, lr=1e-3, gated_hidden=64, gated_layers=6, gated_steps=None,
                color_hidden=120, color_steps=None, cond_steps=None, n_samples=64, n_complete=10),
})
print(f"profile={PROFILE} seed={SEED} device={DEVICE}")

# %% [markdown]
# ## 0. The data
#
# * `shapes`: 20x20 binary images of one filled shape (circle, square, triangle, cross, ring), with labels.
# * `mnist_binary`: 28x28 MNIST digits thresholded at 128 (0/1), with labels.
# * `shapes_color`: the shapes in colour, 3 channels with 4 levels each (0..3).

# %% nbgrader={"grade": false, "grade_id": "pixelcnn_data", "locked": true, "schema_version": 3, "solution": false, "task": false}
def as_tensors(name, split, n=None):
    """(x, y) as torch tensors (x int64 (N, C, H, W), y int64 (N,)), the first ``n`` examples."""
    s = load_dataset(name, split)
    n = len(s.x) if n is None else min(n, len(s.x))
    return torch.from_numpy(s.x[:n].astype(np.int64)), torch.from_numpy(s.y[:n])

shapes_train, shapes_train_y = as_tensors("shapes", "train")
shapes_valid, shapes_valid_y = as_tensors("shapes", "valid", CFG["valid"])
mnist_train, mnist_train_y = as_tensors("mnist_binary", "train", CFG["mnist_train"])
mnist_valid, mnist_valid_y = as_tensors("mnist_binary", "valid", CFG["valid"])
color_train, color_train_y = as_tensors("shapes_color", "train")
color_valid, color_valid_y = as_tensors("shapes_color", "valid", CFG["valid"])
SHAPE_CLASSES = load_dataset("shapes", "valid").info.extra["classes"]
print("shapes", tuple(shapes_train.shape), "mnist", tuple(mnist_train.shape), "colour", tuple(color_train.shape))
fig, axes = plt.subplots(1, 3, figsize=(12, 2.4))
show_samples(shapes_train[:8], nrow=8, num_values=2, title="shapes", ax=axes[0])
show_samples(mnist_train[:8], nrow=8, num_values=2, title="mnist_binary", ax=axes[1])
show_samples(color_train[:8], nrow=8, num_values=4, title="shapes_color", ax=axes[2])
plt.show()

# %% [markdown]
# ## 1. Masked convolutions
#
# A PixelCNN computes **all** conditionals $p(x_i \mid x_{<i})$ of an image in one pass of a
# convolutional network. Convolutions share weights across positions, so one rule per kernel
# suffices: *the kernel must not look at the current pixel or at any pixel after it in raster
# order*. We zero those kernel taps with a fixed 0/1 mask. For a 5x5 kernel (centre `c`):
#
# ```
#   type A          type B
#   1 1 1 1 1       1 1 1 1 1
#   1 1 1 1 1       1 1 1 1 1
#   1 1 0 0 0       1 1 1 0 0      <- centre row: left of the centre only (A), or with the centre (B)
#   0 0 0 0 0       0 0 0 0 0
#   0 0 0 0 0       0 0 0 0 0
# ```
#
# The **first** layer reads the image and uses type **A**: output $(i,j)$ must not see input
# pixel $(i,j)$. Later layers use type **B**: their input at $(i,j)$ already summarises only
# pixels *before* $(i,j)$, so the centre tap is allowed.
#
# **Colour.** With $C = 3$ colour channels a pixel is three variables, generated R, G, B. We
# split the feature channels of every layer into 3 contiguous groups (group $g$ "belongs" to
# colour $g$: first third R, second G, last B). At the **centre** tap, output group $g$ may see
# input group $h$ iff $h < g$ (type A) or $h \le g$ (type B). Taps above or to the left see all
# groups (those pixels are complete). With `color_channels=1` this reduces to the masks above.
#
# **Your task (5 points).** Write `pixelcnn_mask(kernel_size, mask_type, in_channels,
# out_channels, color_channels=1)`: a float 0/1 tensor shaped `(out_channels, in_channels, k, k)`
# (the layout of `nn.Conv2d.weight`).

# %% nbgrader={"grade": false, "grade_id": "pixelcnn_mask", "locked": false, "schema_version": 3, "solution": true, "task": false}
def pixelcnn_mask(kernel_size, mask_type, in_channels, out_channels, color_channels=1):
    """PixelCNN mask in raster order with colour groups.

    Args:
        kernel_size: odd int k.
        mask_type: ``"A"`` (first layer: the centre pixel is hidden) or ``"B"``.
        in_channels, out_channels: both divisible by ``color_channels``.
        color_channels: number of colour groups (1, or 3 for R, G, B).

    Returns:
        float tensor ``(out_channels, in_channels, k, k)`` of 0/1: rows above the centre
        and taps left of the centre in the centre row are 1; rows below and taps right of the
        centre are 0; the centre follows the type and the colour groups.
    """
    ### BEGIN SOLUTION
    if kernel_size % 2 != 1 or mask_type not in ("A", "B"):
        raise ValueError(f"need an odd kernel size and mask type 'A' or 'B', got {kernel_size}, {mask_type!r}")
    if in_channels % color_channels or out_channels % color_channels:
        raise ValueError(f"channels ({in_channels}, {out_channels}) must be divisible by color_channels={color_channels}")
    k, c = kernel_size, kernel_size // 2
    mask = torch.zeros(out_channels, in_channels, k, k)
    mask[:, :, :c, :] = 1                      # every row above the centre
    mask[:, :, c, :c] = 1                      # left of the centre in the centre row
    group_out = torch.arange(out_channels) // (out_channels // color_channels)   # colour of each channel
    group_in = torch.arange(in_channels) // (in_channels // color_channels)
    if mask_type == "A":
        centre = group_in[None, :] < group_out[:, None]
    else:
        centre = group_in[None, :] <= group_out[:, None]
    mask[:, :, c, c] = centre.float()
    return mask
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "pixelcnn_mask_show", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("pixelcnn_mask", pixelcnn_mask)
fig, axes = plt.subplots(1, 3, figsize=(9, 3.6))
axes[0].imshow(pixelcnn_mask(5, "A", 1, 1)[0, 0], cmap="gray", vmin=0, vmax=1); axes[0].set_title("5x5 type A")
axes[1].imshow(pixelcnn_mask(5, "B", 1, 1)[0, 0], cmap="gray", vmin=0, vmax=1); axes[1].set_title("5x5 type B")
centre = pixelcnn_mask(3, "A", 3, 6, color_channels=3)[:, :, 1, 1]
axes[2].imshow(centre, cmap="gray", vmin=0, vmax=1); axes[2].set_title("centre tap, type A, RGB\n(rows: 6 out, cols: 3 in)")
for ax in axes: ax.set_xticks([]); ax.set_yticks([])
fig.tight_layout(); plt.show()

# %% nbgrader={"grade": true, "grade_id": "pixelcnn_mask_test", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
from arkit.checks import check_pixelcnn_mask
check_pixelcnn_mask(pixelcnn_mask).raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "pixelcnn_mask_test")
### END HIDDEN TESTS

# %% [markdown]
# **Your task (3 points).** Write `MaskedConv2d`, an `nn.Conv2d` with "same" padding whose
# mask is a **buffer** (saved with the model, moved by `.to(device)`, never trained) and is
# applied in `forward`: `F.conv2d(x, self.weight * self.mask, ...)`. Never overwrite the
# weights with masked weights: multiplying in `forward` keeps the masked taps' gradients at
# exactly zero, whatever the optimizer does.

# %% nbgrader={"grade": false, "grade_id": "pixelcnn_conv", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MaskedConv2d(nn.Conv2d):
    """``nn.Conv2d`` with a PixelCNN mask; input and output ``(B, C, H, W)``, same H and W.

    Args:
        mask_type: ``"A"`` or ``"B"`` (see :func:`pixelcnn_mask`).
        in_channels, out_channels, kernel_size (odd), color_channels: as in :func:`pixelcnn_mask`.
        **kwargs: passed to ``nn.Conv2d`` (e.g. ``bias=False``).
    """

    def __init__(self, mask_type, in_channels, out_channels, kernel_size, color_channels=1, **kwargs):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2, **kwargs)
        ### BEGIN SOLUTION
        self.register_buffer("mask", pixelcnn_mask(kernel_size, mask_type, in_channels, out_channels,
                                                   color_channels))
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return F.conv2d(x, self.weight * self.mask, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "pixelcnn_conv_expose", "locked": true, "schema_version": 3, "solution": false, "task": false}
def masked_conv_probe(mask_type, in_channels, out_channels, kernel_size, color_channels, x, seed):
    """Build a ``MaskedConv2d``, run it on ``x`` and one backward pass; report what happened."""
    torch.manual_seed(seed)
    conv = MaskedConv2d(mask_type, in_channels, out_channels, kernel_size, color_channels=color_channels)
    weight = conv.weight.detach().clone()
    bias = conv.bias.detach().clone()
    out = conv(x.float())
    out.sum().backward()
    return dict(out=out.detach(), weight=weight, bias=bias, weight_after=conv.weight.detach().clone(),
                weight_grad=conv.weight.grad.detach().clone(),
                mask_is_buffer=torch.tensor("mask" in dict(conv.named_buffers())),
                num_parameters=torch.tensor(sum(p.numel() for p in conv.parameters())))

_ = expose("pixelcnn_conv_probe", masked_conv_probe)

# %% nbgrader={"grade": true, "grade_id": "pixelcnn_conv_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
_probe = masked_conv_probe("B", 2, 4, 3, 1, torch.randn(2, 2, 6, 6), 0)
assert _probe["out"].shape == (2, 4, 6, 6), f"output shape {tuple(_probe['out'].shape)}: use padding=kernel_size//2"
assert bool(_probe["mask_is_buffer"]), "register the mask with self.register_buffer('mask', ...)"
assert torch.equal(_probe["weight"], _probe["weight_after"]), "forward() changed self.weight: multiply in forward instead"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "pixelcnn_conv_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. PixelCNN
#
# The model of van den Oord et al. (2016), in the size of the CS294-158 homework:
# a 7x7 type-A masked convolution, several 7x7 type-B masked convolutions, two 1x1 type-B
# masked convolutions, ReLU between layers (the ci/cpu profiles use fewer, narrower layers).
# The last layer outputs $K$ logits per variable: for binary images $K = 2$ (a 2-way softmax).
# Feed the image as floats rescaled to $[-1, 1]$.
#
# The same class handles colour and classes; implement these parts now or when you reach
# sections 5 and 6:
#
# * `in_channels=3`: use `color_channels=in_channels` in **every** layer (including the 1x1
#   layers: a 1x1 convolution mixes channels of the same pixel!). The output has
#   `in_channels * K` channels in colour groups: reshape `(B, C*K, H, W) -> (B, C, K, H, W)` and
#   move K to dimension 1. Hidden widths must be divisible by 3.
# * `num_classes > 0`: `forward(x, y)` gets class labels `y` (int64 `(B,)`); add a learned
#   per-layer, per-channel bias $V_\ell\, \mathrm{onehot}(y)$ to the output of every hidden layer
#   before the ReLU (the same at every position).
#
# **Your task (5 points).** Write `PixelCNN`. Graded: autograd finds no dependency of an output
# on the current or a later variable, and each output uses its whole context (liveness: a net
# made only of type-A layers would never see its left neighbour).

# %% nbgrader={"grade": false, "grade_id": "pixelcnn_model", "locked": false, "schema_version": 3, "solution": true, "task": false}
class PixelCNN(nn.Module):
    """PixelCNN over images with ``in_channels`` channels and ``num_values`` levels.

    ``forward(x, y=None)``: x int or float ``(B, C, H, W)`` with values ``0..K-1``; y int64 ``(B,)``
    class labels (only when ``num_classes > 0``). Returns logits ``(B, K, C, H, W)``.

    Args:
        in_channels: C (1, or 3 for colour: channels generated R -> G -> B).
        num_values: K levels per variable.
        hidden: channels of every hidden layer (divisible by C).
        b_layers: number of kxk type-B layers after the kxk type-A layer.
        kernel_size: k (odd).
        num_classes: 0 for an unconditional model.
    """

    def __init__(self, in_channels=1, num_values=2, hidden=64, b_layers=5, kernel_size=7, num_classes=0):
        super().__init__()
        self.in_channels, self.num_values, self.num_classes = in_channels, num_values, num_classes
        ### BEGIN SOLUTION
        cc = in_channels
        layers = [MaskedConv2d("A", in_channels, hidden, kernel_size, color_channels=cc)]
        layers += [MaskedConv2d("B", hidden, hidden, kernel_size, color_channels=cc) for _ in range(b_layers)]
        layers += [MaskedConv2d("B", hidden, hidden, 1, color_channels=cc)]
        self.layers = nn.ModuleList(layers)
        self.out = MaskedConv2d("B", hidden, in_channels * num_values, 1, color_channels=cc)
        if num_classes:
            self.class_bias = nn.ModuleList(nn.Linear(num_classes, hidden, bias=False) for _ in layers)
        ### END SOLUTION

    def forward(self, x, y=None):
        ### BEGIN SOLUTION
        h = x.float() / (self.num_values - 1) * 2 - 1
        onehot = F.one_hot(y, self.num_classes).float() if self.num_classes else None
        for l, layer in enumerate(self.layers):
            h = layer(h)
            if onehot is not None:
                h = h + self.class_bias[l](onehot)[:, :, None, None]
            h = F.relu(h)
        out = self.out(h)                                          # (B, C*K, H, W), colour groups
        B, _, H, W = out.shape
        return out.view(B, self.in_channels, self.num_values, H, W).transpose(1, 2)   # (B, K, C, H, W)
        ### END SOLUTION


# %% [markdown]
# **Sampling** goes one variable at a time: for every row $i$, column $j$ and channel $c$, run
# the network on the image generated so far, take the logits of $(c, i, j)$, draw a value and
# write it into the image. An $H \times W \times C$ image costs $H W C$ forward passes.
#
# Write `sample_pixelcnn` so that it can also **complete** images (section 7): given `x`,
# keep its rows above `start_row` and generate the rest. Tip: outputs in row $i$ depend only on
# rows $\le i$, so you may run the network on `x[:, :, :i+1]` (half the work on average).
# Use `torch.multinomial(..., generator=generator)` so that a seed makes sampling repeatable.

# %% nbgrader={"grade": false, "grade_id": "pixelcnn_sample", "locked": false, "schema_version": 3, "solution": true, "task": false}
@torch.no_grad()
def sample_pixelcnn(model, n, shape, num_values, y=None, x=None, start_row=0, generator=None):
    """Draw ``n`` images from ``model`` in raster order (channels R -> G -> B within a pixel).

    Args:
        model: returns logits ``(B, K, C, H, W)``; called as ``model(x)`` or ``model(x, y)``.
        n: number of images; shape: ``(C, H, W)``; num_values: K.
        y: int64 ``(n,)`` class labels for a conditional model, else None.
        x: optional int64 ``(n, C, H, W)``: rows ``< start_row`` are kept, the rest is generated
            (whatever ``x`` holds there is ignored).
        start_row: first row to generate.
        generator: optional ``torch.Generator`` for the random draws.

    Returns:
        int64 tensor ``(n, C, H, W)`` with values in ``0..K-1``.
    """
    ### BEGIN SOLUTION
    C, H, W = shape
    device = next(model.parameters()).device
    img = torch.zeros(n, C, H, W, dtype=torch.long) if x is None else x.detach().clone().long().cpu()
    img[:, :, start_row:] = 0                       # never read the pixels we are about to generate
    img = img.to(device)
    was_training = model.training
    model.eval()
    for i in range(start_row, H):
        for j in range(W):
            for c in range(C):
                crop = img[:, :, : i + 1]
                logits = model(crop) if y is None else model(crop, y.to(device))
                probs = F.softmax(logits[:, :, c, i, j], dim=1).cpu()
                img[:, c, i, j] = torch.multinomial(probs, 1, generator=generator)[:, 0].to(device)
    model.train(was_training)
    return img.cpu()
    ### END SOLUTION


# %% [markdown]
# ### Training on shapes and MNIST
#
# The loss is the mean cross-entropy of the logits against the image itself, i.e. the NLL in
# nats per dimension.

# %% nbgrader={"grade": false, "grade_id": "pixelcnn_train_shapes", "locked": true, "schema_version": 3, "solution": false, "task": false}
def nll_loss(model, batch):
    """Mean NLL in nats/dim of a batch ``x`` (or ``(x, y)`` for a conditional model)."""
    if isinstance(batch, (tuple, list)):
        x, y = batch
        return F.cross_entropy(model(x, y), x)
    return F.cross_entropy(model(batch), batch)

def param_fn_of(model):
    """What the grader evaluates: x (B, C, H, W) int -> logits (B, K, C, H, W), eval mode, no grad, CPU out."""
    @torch.no_grad()
    def param_fn(x, y=None):
        model.eval()
        device = next(model.parameters()).device
        out = model(x.to(device)) if y is None else model(x.to(device), y.to(device))
        return out.cpu()
    return param_fn

def train_pixelcnn(model, train, valid, steps, desc):
    """Train with arkit.training.train_epochs; returns the History (nats/dim)."""
    torch.manual_seed(SEED)
    return train_epochs(model, nll_loss, train, valid, epochs=CFG["epochs"], lr=CFG["lr"],
                        batch_size=CFG["batch_size"], device=DEVICE, seed=SEED, max_steps=steps,
                        grad_clip=1.0, desc=desc)

torch.manual_seed(SEED)
shapes_model = PixelCNN(1, 2, CFG["hidden"], CFG["b_layers"], CFG["kernel"])
hist = train_pixelcnn(shapes_model, shapes_train, shapes_valid, CFG["steps"], "PixelCNN shapes")
print("shapes, final valid:", format_nll(hist.test[-1]))
plot_losses(hist.train, hist.test, title="PixelCNN on shapes"); plt.show()
gen = torch.Generator().manual_seed(SEED)
show_samples(sample_pixelcnn(shapes_model, CFG["n_samples"], (1, 20, 20), 2, generator=gen), nrow=8,
             num_values=2, title="PixelCNN samples (shapes)"); plt.show()
shapes_model.cpu().eval()
expose("pixelcnn_shapes_model", shapes_model)
_ = expose("pixelcnn_shapes_params", param_fn_of(shapes_model), kind="param_fn", dataset="shapes",
       likelihood="categorical")

# %% nbgrader={"grade": true, "grade_id": "pixelcnn_ar_test", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": false}
from arkit.checks import check_autoregressive
check_autoregressive(shapes_model, (1, 20, 20), num_values=2, output_shape=(2, 1, 20, 20)).raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "pixelcnn_ar_test")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "pixelcnn_train_mnist", "locked": true, "schema_version": 3, "solution": false, "task": false}
torch.manual_seed(SEED)
mnist_model = PixelCNN(1, 2, CFG["hidden"], CFG["b_layers"], CFG["kernel"])
hist = train_pixelcnn(mnist_model, mnist_train, mnist_valid, CFG["mnist_steps"], "PixelCNN mnist")
print("mnist_binary, final valid:", format_nll(hist.test[-1]))
plot_losses(hist.train, hist.test, title="PixelCNN on mnist_binary"); plt.show()
gen = torch.Generator().manual_seed(SEED)
show_samples(sample_pixelcnn(mnist_model, CFG["n_samples"], (1, 28, 28), 2, generator=gen), nrow=8,
             num_values=2, title="PixelCNN samples (mnist_binary)"); plt.show()
mnist_model.cpu().eval()
_ = expose("pixelcnn_mnist_params", param_fn_of(mnist_model), kind="param_fn", dataset="mnist_binary",
       likelihood="categorical")

# %% nbgrader={"grade": true, "grade_id": "pixelcnn_nll_test", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
for _fn, _x in ((param_fn_of(shapes_model), shapes_valid), (param_fn_of(mnist_model), mnist_valid)):
    _logits = _fn(_x[:8])
    assert _logits.shape == (8, 2, *_x.shape[1:]), f"logits shaped {tuple(_logits.shape)}, expected (B, K, C, H, W)"
    assert torch.isfinite(_logits).all(), "the model produced NaN/inf logits"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "pixelcnn_nll_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Receptive field and the blind spot
#
# Which input pixels can the output at pixel $(i, j)$ possibly depend on? Backpropagate from
# that output to the input: an input pixel with a non-zero gradient is in the **receptive
# field**. Use a few random inputs and a random combination of the $K \cdot C$ logits at
# $(i, j)$, so that no dependency is hidden by an unlucky zero.
#
# **Your task, part 1.** Write `receptive_field(model, input_shape, pixel)`.

# %% nbgrader={"grade": false, "grade_id": "pixelcnn_receptive", "locked": false, "schema_version": 3, "solution": true, "task": false}
def receptive_field(model, input_shape, pixel, num_values=2, batch=4, seed=0):
    """Input pixels the outputs at ``pixel`` depend on, found by backpropagation.

    Args:
        model: image model returning ``(B, K, C, H, W)`` logits (fed float inputs).
        input_shape: ``(C, H, W)``; pixel: ``(i, j)``.
        num_values: K, for drawing random inputs in ``0..K-1``.

    Returns:
        bool tensor ``(H, W)``: True where some channel of the input pixel influences some
        output at ``(i, j)``.
    """
    ### BEGIN SOLUTION
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, num_values, (batch, *input_shape), generator=g).float().requires_grad_(True)
    i, j = pixel
    out = model(x)[..., i, j]                                   # (B, K, C)
    (out * torch.randn(out.shape, generator=g)).sum().backward()
    return x.grad.abs().sum(dim=(0, 1)) > 0
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "pixelcnn_receptive_show", "locked": true, "schema_version": 3, "solution": false, "task": false}
def show_receptive(ax, field, pixel, title):
    """Receptive field (white) with the output pixel in red."""
    img = np.stack([field.numpy().astype(float)] * 3, axis=-1) * 0.85
    img[pixel] = (1.0, 0.1, 0.1)
    ax.imshow(img, interpolation="nearest"); ax.set_title(title); ax.set_xticks([]); ax.set_yticks([])

torch.manual_seed(SEED)
_deep = PixelCNN(1, 2, 8, b_layers=4, kernel_size=3)   # untrained: the field is a property of the wiring
fig, axes = plt.subplots(1, 2, figsize=(7, 3.5))
show_receptive(axes[0], receptive_field(shapes_model, (1, 20, 20), (10, 10)), (10, 10), "trained PixelCNN")
show_receptive(axes[1], receptive_field(_deep, (1, 20, 20), (14, 10)), (14, 10), "5 layers of 3x3")
plt.show()

# %% [markdown]
# Look at the right picture: the receptive field grows upwards and to both sides, but a
# **triangle above and to the right of the pixel is missing**, although those pixels come
# earlier in raster order. Why? A type-B kernel at $(i, j)$ sees row $i$ only to the **left**;
# it can move right only while also moving up. With $k \times k$ kernels ($p = k//2$) each layer
# moves at most $p$ rows up and $p$ columns right, and only layers that move up may move right,
# so after $L$ layers a pixel $d$ rows up is reachable only up to $p \cdot \min(L, d)$ columns to
# the right. Everything right of that, within the $L p$-wide window, is the **blind spot**: the
# model can never use it, however deep the stack gets in the same proportions.
#
# **Your task, part 2 (4 points for both parts).** Write `blind_spot_mask(num_layers,
# kernel_size, height, width, pixel)`. Take the network made of one $k \times k$ type-A masked
# convolution followed by `num_layers - 1` type-B ones (any non-zero weights). Its **causal
# window** at `pixel` $(i, j)$ is the set of input pixels $(r, c)$ inside the image with
# $0 \le i - r \le R$ and $|c - j| \le R$, $R$ = `num_layers * (kernel_size // 2)`, that come
# before $(i, j)$ in raster order. Return the pixels of the causal window that do **not**
# influence the output at $(i, j)$. You may build the network (e.g. with your `MaskedConv2d`,
# weights set to 1, no non-linearity) and use `receptive_field`, or derive a formula.

# %% nbgrader={"grade": false, "grade_id": "pixelcnn_blindspot", "locked": false, "schema_version": 3, "solution": true, "task": false}
def blind_spot_mask(num_layers, kernel_size, height, width, pixel):
    """Blind spot of a stack of masked convolutions (1 type A + ``num_layers - 1`` type B).

    Args:
        num_layers: number of kxk masked convolutions (>= 1); kernel_size: odd k.
        height, width: image size; pixel: ``(i, j)``, the output pixel.

    Returns:
        bool tensor ``(height, width)``: True for the pixels of the causal window of ``pixel``
        that the output at ``pixel`` does not depend on.
    """
    ### BEGIN SOLUTION
    layers = [MaskedConv2d("A", 1, 1, kernel_size, bias=False)]
    layers += [MaskedConv2d("B", 1, 1, kernel_size, bias=False) for _ in range(num_layers - 1)]
    stack = nn.Sequential(*layers)
    with torch.no_grad():
        for layer in layers:
            layer.weight.fill_(1.0)
    stack = stack.double()
    i, j = pixel
    x = torch.zeros(1, 1, height, width, dtype=torch.float64, requires_grad=True)
    stack(x)[0, 0, i, j].backward()
    seen = x.grad[0, 0] != 0
    R = num_layers * (kernel_size // 2)
    r = torch.arange(height)[:, None]
    c = torch.arange(width)[None, :]
    before = (r < i) | ((r == i) & (c < j))
    window = before & (i - r <= R) & ((c - j).abs() <= R)
    return window & ~seen
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "pixelcnn_blindspot_show", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("pixelcnn_blind_spot", blind_spot_mask)
_blind = blind_spot_mask(5, 3, 20, 20, (14, 10))
fig, ax = plt.subplots(figsize=(3.5, 3.5))
_img = np.stack([receptive_field(_deep, (1, 20, 20), (14, 10)).numpy().astype(float)] * 3, -1) * 0.85
_img[_blind.numpy()] = (0.2, 0.4, 1.0)
_img[14, 10] = (1.0, 0.1, 0.1)
ax.imshow(_img, interpolation="nearest"); ax.set_title("receptive field (white), blind spot (blue)")
ax.set_xticks([]); ax.set_yticks([]); plt.show()
print("blind-spot pixels for 5 layers of 3x3:", int(_blind.sum()))

# %% nbgrader={"grade": true, "grade_id": "pixelcnn_blindspot_test", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
_b = blind_spot_mask(2, 3, 8, 8, (4, 4))
assert _b.shape == (8, 8) and _b.dtype == torch.bool, "return a bool tensor shaped (height, width)"
assert not _b[4:].any() and not _b[:, :4].any(), "the blind spot lies above the pixel and to its right"
assert int(_b.sum()) > 0, "a 2-layer stack of 3x3 masked convolutions has a blind spot"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "pixelcnn_blindspot_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Gated PixelCNN: no more blind spot
#
# van den Oord et al. (2016, "Conditional Image Generation with PixelCNN Decoders") split the
# network into two **stacks**:
#
# * the **vertical stack** $v$ sees all rows **strictly above** the pixel, at any column within
#   reach. Implement it with a $(p+1) \times k$ kernel that covers rows $i-p \dots i$ (pad $p$
#   rows on top and $p$ columns on each side), so $v$ at $(i, j)$ summarises rows $\le i$; then,
#   wherever $v$ is passed to the horizontal stack, **shift it down by one row** so that the
#   horizontal stack at $(i, j)$ receives $v$ from $(i-1, j)$: rows $< i$ only.
# * the **horizontal stack** $h$ sees the **current row to the left**: a $1 \times (p+1)$ kernel
#   covering columns $j-p \dots j$ (pad $p$ columns on the left). In the first layer the
#   current pixel must be hidden: use columns $j - p \dots j - 1$ instead.
#
# Each layer has gated activations $\tanh(a) \odot \sigma(b)$ (the convolutions produce $2 \times$
# the channels, split into $a$ and $b$); the horizontal stack adds a 1x1 convolution of the
# shifted vertical pre-activations, applies the gate, a 1x1 convolution, and a residual
# connection (from the second layer on):
#
# $$v' = \tanh(a_v) \odot \sigma(b_v),\quad [a_v, b_v] = V * v$$
# $$[a_h, b_h] = H * h + W_{vh}\, \mathrm{shift}_\downarrow([a_v, b_v]),\quad h' = h + W_o\,(\tanh(a_h) \odot \sigma(b_h)).$$
#
# Because the vertical stack's reach grows to the right **as fast as to the left**, and the
# horizontal stack only needs the current row, nothing above-right is left out.
#
# **Your task (6 points).** Write `GatedLayer` and `GatedPixelCNN` (binary images, `K`-way
# logits `(B, K, 1, H, W)`; after the last layer: ReLU, 1x1 conv, ReLU, 1x1 conv to K logits).
# Graded: autoregressive, and no blind spot. **The blind-spot rule** (what `check_autoregressive(...,
# family="gated")` tests): a blind spot is a *wedge inside the receptive field that does not shrink
# with depth* -- allowed pixels above the output that it never sees although it sees pixels further
# up in the same columns, as the masked stack above leaves out the right of the rows just above
# however deep it is. It is measured with exact dependencies (any nonzero gradient counts as seen),
# on a canvas large enough that the image border is out of reach (a pixel that zero padding at the
# border cuts off is not a blind spot), and it fails only as a wedge of at least 2 pixels: one unseen
# pixel at the corner of the receptive field is a field that has not reached it yet (the same pixel is
# seen once the net is deeper) and is reported, not failed. The output must also see the pixel
# **above and to its right**: a vertical stack that covers only the columns at and left of the pixel
# leaves the whole upper-right quadrant unseen, which is no wedge but is a blind region all the same.

# %% nbgrader={"grade": false, "grade_id": "pixelcnn_gated", "locked": false, "schema_version": 3, "solution": true, "task": false}
def shift_down(t):
    """Shift a ``(B, C, H, W)`` map down by one row (zeros enter at the top)."""
    return F.pad(t, (0, 0, 1, 0))[:, :, :-1]


class GatedLayer(nn.Module):
    """One Gated PixelCNN layer; ``forward(v, h) -> (v', h')``, all ``(B, channels, H, W)``
    (in the first layer v and h are both the input image, ``(B, in_channels, H, W)``).

    Args:
        channels: width of both stacks; kernel_size: odd k.
        first: first layer (the horizontal stack hides the current pixel; no residual).
        in_channels: input channels of the first layer.
    """

    def __init__(self, channels, kernel_size, first=False, in_channels=1):
        super().__init__()
        if kernel_size < 3 or kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd and >= 3, got {kernel_size}")
        self.first, self.p = first, kernel_size // 2
        ### BEGIN SOLUTION
        cin = in_channels if first else channels
        p = self.p
        self.vconv = nn.Conv2d(cin, 2 * channels, (p + 1, kernel_size))
        self.hconv = nn.Conv2d(cin, 2 * channels, (1, p if first else p + 1))
        self.v_to_h = nn.Conv2d(2 * channels, 2 * channels, 1)
        self.hout = nn.Conv2d(channels, channels, 1)
        ### END SOLUTION

    def forward(self, v, h):
        ### BEGIN SOLUTION
        p, W = self.p, h.shape[-1]
        v_pre = self.vconv(F.pad(v, (p, p, p, 0)))                 # rows i-p..i, cols j-p..j+p
        h_pre = self.hconv(F.pad(h, (p, 0, 0, 0)))[..., :W]        # cols j-p..j-1 (first) or j-p..j
        h_pre = h_pre + self.v_to_h(shift_down(v_pre))
        v_out = torch.tanh(v_pre.chunk(2, 1)[0]) * torch.sigmoid(v_pre.chunk(2, 1)[1])
        a, b = h_pre.chunk(2, 1)
        h_out = self.hout(torch.tanh(a) * torch.sigmoid(b))
        return v_out, (h_out if self.first else h + h_out)
        ### END SOLUTION


class GatedPixelCNN(nn.Module):
    """Gated PixelCNN for images with ``in_channels=1``; logits ``(B, K, 1, H, W)``.

    Args:
        num_values: K; hidden: channels of both stacks; num_layers: gated layers (>= 1);
        kernel_size: odd k.
    """

    def __init__(self, num_values=2, hidden=64, num_layers=6, kernel_size=7):
        super().__init__()
        self.num_values = num_values
        ### BEGIN SOLUTION
        self.layers = nn.ModuleList([GatedLayer(hidden, kernel_size, first=True, in_channels=1)] +
                                    [GatedLayer(hidden, kernel_size) for _ in range(num_layers - 1)])
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(hidden, hidden, 1), nn.ReLU(),
                                  nn.Conv2d(hidden, num_values, 1))
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        v = h = x.float() / (self.num_values - 1) * 2 - 1
        for layer in self.layers:
            v, h = layer(v, h)
        return self.head(h).unsqueeze(2)                            # (B, K, 1, H, W)
        ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "pixelcnn_gated_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
torch.manual_seed(SEED)
_gated_demo = GatedPixelCNN(2, 8, num_layers=5, kernel_size=3)
fig, axes = plt.subplots(1, 2, figsize=(7, 3.5))
show_receptive(axes[0], receptive_field(_deep, (1, 20, 20), (14, 10)), (14, 10), "PixelCNN, 5 layers 3x3")
show_receptive(axes[1], receptive_field(_gated_demo, (1, 20, 20), (14, 10)), (14, 10), "Gated PixelCNN, 5 layers 3x3")
plt.show()

torch.manual_seed(SEED)
gated_model = GatedPixelCNN(2, CFG["gated_hidden"], CFG["gated_layers"], CFG["kernel"])
hist = train_pixelcnn(gated_model, shapes_train, shapes_valid, CFG["gated_steps"], "Gated PixelCNN shapes")
print("Gated PixelCNN on shapes, final valid:", format_nll(hist.test[-1]))
plot_losses(hist.train, hist.test, title="Gated PixelCNN on shapes"); plt.show()
gated_model.cpu().eval()
_ = expose("pixelcnn_gated_model", gated_model)

# %% nbgrader={"grade": true, "grade_id": "pixelcnn_gated_test", "locked": true, "points": 6, "schema_version": 3, "solution": false, "task": false}
check_autoregressive(gated_model, (1, 20, 20), num_values=2, family="gated",
                     output_shape=(2, 1, 20, 20)).raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "pixelcnn_gated_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Colour: autoregressive channels
#
# On `shapes_color` every pixel has three variables (R, G, B, 4 levels each), generated in the
# order R, G, B, so
# $p(x_{i}) = p(x_i^R \mid x_{<i})\, p(x_i^G \mid x_{<i}, x_i^R)\, p(x_i^B \mid x_{<i}, x_i^R, x_i^G)$.
# Your `PixelCNN(in_channels=3, ...)` does this with the colour groups of `pixelcnn_mask`.
# (Graded, 3 + 3 points: autoregressive in the order R $\to$ G $\to$ B within each pixel, and held-out NLL.)
# The colour dependence is a stated parameter of the check: this question asks for
# `channels="autoregressive"` (G must use R, and B must use R and G, of the same pixel). A model of
# R, G, B *independent* given the previous pixels is a different, also legitimate, design: it is
# checked with `channels="independent"` (then no channel may see its own pixel), and every other
# rule applies either way.

# %% nbgrader={"grade": false, "grade_id": "pixelcnn_color_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
torch.manual_seed(SEED)
color_model = PixelCNN(3, 4, CFG["color_hidden"], CFG["b_layers"], CFG["kernel"])
hist = train_pixelcnn(color_model, color_train, color_valid, CFG["color_steps"], "PixelCNN shapes_color")
print("shapes_color, final valid:", format_nll(hist.test[-1]))
plot_losses(hist.train, hist.test, title="colour PixelCNN on shapes_color"); plt.show()
gen = torch.Generator().manual_seed(SEED)
show_samples(sample_pixelcnn(color_model, CFG["n_samples"], (3, 20, 20), 4, generator=gen), nrow=8,
             num_values=4, title="colour PixelCNN samples"); plt.show()
color_model.cpu().eval()
expose("pixelcnn_color_model", color_model)
_ = expose("pixelcnn_color_params", param_fn_of(color_model), kind="param_fn", dataset="shapes_color",
       likelihood="categorical")

# %% nbgrader={"grade": true, "grade_id": "pixelcnn_color_ar_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
from arkit.checks import raster_order
check_autoregressive(color_model, (3, 20, 20), order=raster_order(3, 20, 20), num_values=4,
                     channels="autoregressive", output_shape=(4, 3, 20, 20)).raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "pixelcnn_color_ar_test")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "pixelcnn_color_nll_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
_logits = param_fn_of(color_model)(color_valid[:4])
assert _logits.shape == (4, 4, 3, 20, 20), f"logits shaped {tuple(_logits.shape)}, expected (B, K=4, C=3, H, W)"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "pixelcnn_color_nll_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 6. Class-conditional PixelCNN
#
# Conditioning on a label $y$ models $p(x \mid y) = \prod_i p(x_i \mid x_{<i}, y)$. The class
# enters every layer as a bias that is the same at every position, so it cannot break the
# autoregressive property, and to sample a class you just fix $y$. One row per class below.
# (Graded, 3 + 3 points: autoregressive for every class and the logits change with the class;
# held-out NLL given the true labels.)

# %% nbgrader={"grade": false, "grade_id": "pixelcnn_cond_train", "locked": true, "schema_version": 3, "solution": false, "task": false}
torch.manual_seed(SEED)
cond_model = PixelCNN(1, 2, CFG["hidden"], CFG["b_layers"], CFG["kernel"], num_classes=len(SHAPE_CLASSES))
hist = train_pixelcnn(cond_model, (shapes_train, shapes_train_y), (shapes_valid, shapes_valid_y),
                      CFG["cond_steps"], "conditional PixelCNN shapes")
print("conditional, final valid:", format_nll(hist.test[-1]))
plot_losses(hist.train, hist.test, title="class-conditional PixelCNN on shapes"); plt.show()
_per_class = CFG["n_samples"]
_y = torch.arange(len(SHAPE_CLASSES)).repeat_interleave(_per_class)
gen = torch.Generator().manual_seed(SEED)
show_samples(sample_pixelcnn(cond_model, len(_y), (1, 20, 20), 2, y=_y, generator=gen), nrow=_per_class,
             num_values=2, title="rows: " + ", ".join(SHAPE_CLASSES)); plt.show()
cond_model.cpu().eval()
expose("pixelcnn_cond_model", cond_model)
_ = expose("pixelcnn_cond_params", param_fn_of(cond_model), kind="param_fn", dataset="shapes",
       likelihood="categorical", conditional=True)

# %% nbgrader={"grade": true, "grade_id": "pixelcnn_cond_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
check_autoregressive(cond_model, (1, 20, 20), num_values=2, num_classes=len(SHAPE_CLASSES),
                     output_shape=(2, 1, 20, 20)).raise_if_failed()
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "pixelcnn_cond_test")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "pixelcnn_cond_nll_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
_logits = param_fn_of(cond_model)(shapes_valid[:4], shapes_valid_y[:4])
assert _logits.shape == (4, 2, 1, 20, 20), f"logits shaped {tuple(_logits.shape)}, expected (B, K, C, H, W)"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "pixelcnn_cond_nll_test")
### END HIDDEN TESTS

# %% [markdown]
# ## 7. Image completion
#
# Hide the bottom half of test digits and let the MNIST PixelCNN generate rows 14..27 given the
# visible rows 0..13: exactly the raster-order conditional the model was trained on, so no
# extra work beyond `sample_pixelcnn(..., x=..., start_row=14)`. Several completions per digit
# show the model's uncertainty. (Graded, 4 points: visible rows are kept, the hidden rows are
# really generated — never copied from the input — and the output is a valid binary image.)

# %% nbgrader={"grade": false, "grade_id": "pixelcnn_complete", "locked": true, "schema_version": 3, "solution": false, "task": false}
def complete_mnist(x, start_row, seed):
    """Complete ``x`` (int64 (N, 1, 28, 28)) from ``start_row`` down with the MNIST PixelCNN."""
    gen = torch.Generator().manual_seed(int(seed))
    return sample_pixelcnn(mnist_model, len(x), tuple(x.shape[1:]), 2, x=x, start_row=int(start_row),
                           generator=gen)

expose("pixelcnn_complete", complete_mnist)
_n = CFG["n_complete"]
_orig = mnist_valid[:_n]
_occluded = _orig.clone(); _occluded[:, :, 14:] = 0
_rows = [_orig, _occluded] + [complete_mnist(_orig, 14, SEED + s) for s in range(3)]
show_samples(torch.stack(_rows, 1).flatten(0, 1), nrow=5, num_values=2,
             title="original | occluded | 3 completions"); plt.show()

# %% nbgrader={"grade": true, "grade_id": "pixelcnn_completion_test", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": false}
_done = complete_mnist(mnist_valid[:2], 14, 0)
assert _done.shape == (2, 1, 28, 28), f"completion shaped {tuple(_done.shape)}"
assert torch.equal(_done[:, :, :14], mnist_valid[:2, :, :14]), "rows above start_row must be kept as they are"
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("hw1", "pixelcnn_completion_test")
### END HIDDEN TESTS
