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
# # Attack fixture `atk1` (tamper-proof scoring tests)
#
# Count-fitted models on tiny data sets; the questions use the real hw1 machinery
# (ParamFnSpec, check_threshold with an explicit entry and split, the audit).

# %% nbgrader={"grade": false, "grade_id": "atk_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np
import torch

P1 = np.array([0.02, 0.08, 0.2, 0.3, 0.2, 0.1, 0.06, 0.04])                 # true pmf of the 1D data
_g = np.exp(-((np.arange(5)[:, None] - np.arange(5)[None, :]) ** 2) / 2.0) + 0.05
P2 = _g / _g.sum()                                                           # true pmf of (row, col)
TRAIN_SEED, PUBLIC_TEST_SEED, N_TEST = 1, 99, 600                            # the test split is "public"


def sample_1d(n, seed):
    return np.random.default_rng(seed).choice(8, n, p=P1)


def sample_2d(n, seed):
    idx = np.random.default_rng(seed).choice(25, n, p=P2.ravel())
    return np.stack([idx // 5, idx % 5], 1)


def sample_images(n, seed):
    """(n, 1, 8, 8) binary rectangles with 3% flipped pixels."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 1, 8, 8), np.int64)
    for i in range(n):
        t, l = rng.integers(0, 5, 2)
        h, w = rng.integers(2, 5, 2)
        x[i, 0, t:t + h, l:l + w] = 1
    return np.where(rng.random(x.shape) < 0.03, 1 - x, x)


def sample_color(n, seed):
    """(n, 3, 4, 4) binary colour images: R follows the previous pixel's R, G follows R, B follows G."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 3, 4, 4), np.int64)
    prev = rng.integers(0, 2, n)
    for p in range(16):
        i, j = divmod(p, 4)
        r = np.where(rng.random(n) < 0.85, prev, 1 - prev)
        g = np.where(rng.random(n) < 0.9, r, 1 - r)
        b = np.where(rng.random(n) < 0.9, g, 1 - g)
        x[:, 0, i, j], x[:, 1, i, j], x[:, 2, i, j] = r, g, b
        prev = r
    return x


def _shift(v, k):
    return torch.cat([torch.zeros_like(v[:, :k]), v[:, :-k]], 1)


def _img_ctx(v):                 # (B, 64) -> context of each pixel: raster-previous and above
    return _shift(v, 1) * 2 + _shift(v, 8)


def _color_ctx(v):               # (B, 48) in generation order -> the three previous variables
    return _shift(v, 1) * 4 + _shift(v, 2) * 2 + _shift(v, 3)


def _fit_table(v, ctx, n_ctx):
    """log-odds table (D, n_ctx) of p(v_d = 1 | context), add-one smoothing."""
    D = v.shape[1]
    counts = torch.ones(D, n_ctx, 2, dtype=torch.float64)
    pos = torch.arange(D).expand_as(v)
    counts.index_put_((pos.reshape(-1), ctx.reshape(-1), v.reshape(-1)),
                      torch.ones(v.numel(), dtype=torch.float64), accumulate=True)
    return (counts[..., 1] / counts[..., 0]).log()


def fit_hist(x):
    counts = torch.bincount(torch.as_tensor(x), minlength=8).double() + 1
    return lambda xb: counts.log().expand(len(xb), 8).clone()


def fit_joint(x):
    x = torch.as_tensor(x)
    c0 = torch.bincount(x[:, 0], minlength=5).double() + 1
    c01 = torch.ones(5, 5, dtype=torch.float64).index_put_((x[:, 0], x[:, 1]), torch.ones(len(x), dtype=torch.float64),
                                                           accumulate=True)

    def params(xb):
        xb = torch.as_tensor(xb).long()
        return torch.stack([c0.log().expand(len(xb), 5), c01[xb[:, 0]].log()], 2)     # (B, 5, 2)
    return params


def fit_images(x):
    v = torch.as_tensor(x).long().reshape(len(x), 64)
    table = _fit_table(v, _img_ctx(v), 4)

    def params(xb):                                          # (B, 1, 8, 8) -> Bernoulli logits
        vb = torch.as_tensor(xb).long().reshape(len(xb), 64)
        return table[torch.arange(64), _img_ctx(vb)].float().reshape(len(xb), 1, 8, 8)
    return params


def _color_order(x):
    return torch.as_tensor(x).long().permute(0, 2, 3, 1).reshape(len(x), 48)     # pixel-major, R G B


def fit_color(x):
    v = _color_order(x)
    table = _fit_table(v, _color_ctx(v), 8)

    def params(xb):                                          # (B, 3, 4, 4) -> logits (B, 2, 3, 4, 4)
        vb = _color_order(xb)
        l1 = table[torch.arange(48), _color_ctx(vb)].float()
        out = torch.stack([torch.zeros_like(l1), l1], 1)     # (B, 2, 48)
        return out.reshape(len(xb), 2, 4, 4, 3).permute(0, 1, 4, 2, 3).contiguous()
    return params

from arkit.submission import expose

X1, X2 = sample_1d(2000, TRAIN_SEED), sample_2d(2000, TRAIN_SEED)
XI, XC = sample_images(2000, TRAIN_SEED), sample_color(2000, TRAIN_SEED)

# %% [markdown]
# **1D histogram** `hist_params(x)`: (B,) int64 -> logits (B, 8).

# %% nbgrader={"grade": false, "grade_id": "atk_hist", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
hist_params = fit_hist(X1)
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "atk_expose_hist", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("hist_params", hist_params, kind="param_fn", likelihood="categorical")

# %% nbgrader={"grade": true, "grade_id": "atk_hist_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert hist_params(torch.zeros(3, dtype=torch.long)).shape == (3, 8)
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("atk1", "atk_hist_test")
### END HIDDEN TESTS

# %% [markdown]
# **2D joint** `joint_params(x)`: (B, 2) int64 -> logits (B, 5, 2).

# %% nbgrader={"grade": false, "grade_id": "atk_joint", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
joint_params = fit_joint(X2)
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "atk_expose_joint", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("joint_params", joint_params, kind="param_fn", likelihood="categorical")

# %% nbgrader={"grade": true, "grade_id": "atk_joint_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
pass
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("atk1", "atk_joint_test")
### END HIDDEN TESTS

# %% [markdown]
# **Binary images** `img_model(x)`: (B, 1, 8, 8) -> Bernoulli logits, raster order.

# %% nbgrader={"grade": false, "grade_id": "atk_img", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
img_model = fit_images(XI)
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "atk_expose_img", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("img_model", img_model)
expose("img_params", img_model, kind="param_fn", likelihood="bernoulli")

# %% nbgrader={"grade": true, "grade_id": "atk_img_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
pass
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("atk1", "atk_img_test")
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "atk_img_ar_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
pass
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("atk1", "atk_img_ar_test")
### END HIDDEN TESTS

# %% [markdown]
# **Colour** `color_params(x)`: (B, 3, 4, 4) -> logits (B, 2, 3, 4, 4), R -> G -> B.

# %% nbgrader={"grade": false, "grade_id": "atk_color", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
color_params = fit_color(XC)
### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "atk_expose_color", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("color_params", color_params, kind="param_fn", likelihood="categorical")

# %% nbgrader={"grade": true, "grade_id": "atk_color_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
pass
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("atk1", "atk_color_test")
### END HIDDEN TESTS

# %% [markdown]
# **Log-likelihood** `logp(x, logits)`: (N,) int64, (N, V) -> (N,) log p(x) in nats.

# %% nbgrader={"grade": false, "grade_id": "atk_logp", "locked": false, "schema_version": 3, "solution": true, "task": false}
def logp(x, logits):
    ### BEGIN SOLUTION
    return torch.log_softmax(logits, -1).gather(-1, x[:, None])[:, 0]
    ### END SOLUTION

# %% nbgrader={"grade": false, "grade_id": "atk_expose_logp", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("logp", logp)

# %% nbgrader={"grade": true, "grade_id": "atk_grad_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
pass
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("atk1", "atk_grad_test")
### END HIDDEN TESTS
