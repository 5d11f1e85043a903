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
# # Fixture assignment `fx1` (grading-pipeline tests)
#
# Three tiny questions in the format of `solutions/hw1/*.py`.

# %% nbgrader={"grade": false, "grade_id": "fx_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os
import numpy as np
import torch
from arkit.seeding import seed_everything
SEED = int(os.environ.get("ARKIT_SEED", "0"))
seed_everything(SEED)
from arkit.submission import expose


# %% [markdown]
# **Question 1 (2 points).** Write `square(x)`: the elementwise square of a tensor.

# %% nbgrader={"grade": false, "grade_id": "fx_square", "locked": false, "schema_version": 3, "solution": true, "task": false}
def square(x):
    """Elementwise square: a tensor shaped like ``x``."""
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "fx_expose_square", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("square", square)

# %% nbgrader={"grade": true, "grade_id": "fx_square_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
assert square(torch.tensor([3.0])).item() == 9.0
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("fx1", "fx_square_test")
### END HIDDEN TESTS

# %% [markdown]
# **Question 2 (3 points).** Write `causal_mask(D)`: a float (D, D) tensor with
# `m[i, j] = 1` iff `j < i` (output i may look at inputs before i).

# %% nbgrader={"grade": false, "grade_id": "fx_mask", "locked": false, "schema_version": 3, "solution": true, "task": false}
def causal_mask(D):
    """Strictly lower-triangular 0/1 float mask shaped (D, D)."""
    ### BEGIN SOLUTION
    return torch.tril(torch.ones(D, D), diagonal=-1)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "fx_expose_mask", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("causal_mask", causal_mask)

# %% nbgrader={"grade": true, "grade_id": "fx_mask_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
assert causal_mask(3).shape == (3, 3)
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("fx1", "fx_mask_test")
### END HIDDEN TESTS

# %% [markdown]
# **Question 3 (3 points).** Binary sequences of length 6 repeat the previous
# bit with probability 0.9. Write `ar_logits(x)`: (B, 6) int64 in {0, 1} ->
# (B, 6) logits of p(x_d = 1 | x_<d).

# %% nbgrader={"grade": false, "grade_id": "fx_model", "locked": false, "schema_version": 3, "solution": true, "task": false}
def ar_logits(x):
    """Logits (B, 6) of p(x_d = 1 | x_<d) for the repeat-the-previous-bit chain."""
    ### BEGIN SOLUTION
    prev = torch.cat([torch.full_like(x[:, :1], -1), x[:, :-1]], dim=1).float()
    return torch.where(prev < 0, torch.zeros_like(prev), (2 * prev - 1) * float(np.log(9.0)))
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "fx_expose_model", "locked": true, "schema_version": 3, "solution": false, "task": false}
expose("ar_logits", ar_logits, kind="param_fn", likelihood="bernoulli")

# %% nbgrader={"grade": true, "grade_id": "fx_model_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
assert ar_logits(torch.zeros(2, 6, dtype=torch.long)).shape == (2, 6)
### BEGIN HIDDEN TESTS
from autograder.assignments.base import grade_in_notebook
grade_in_notebook("fx1", "fx_model_test")
### END HIDDEN TESTS
