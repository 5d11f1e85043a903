"""Are the synthetic class's five honest solutions really correct? (Otherwise "independent correct
solutions are not flagged" would be a claim about broken code.) Each cell is filled into the released
notebook cell and run; its result is compared with the trusted reference."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from solutions_written_differently import INDEPENDENT
from synthetic_class import RELEASE, fill
from torch import nn

from arkit.checks.masks import check_made_masks
from autograder.reference.likelihoods.dmol import dmol_log_prob as reference_dmol

RELEASED = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
            for stem in ("01_warmup", "02_made") for c in json.loads((RELEASE / f"{stem}.ipynb").read_text())["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("solution")}


def _define(student: str, grade_id: str, **extra):
    ns = {"torch": torch, "nn": nn, "F": F, "np": np, "math": math, "DMoL": nn.Module, **extra}
    exec(compile(fill(RELEASED[grade_id], *INDEPENDENT[student][grade_id]), f"<{student}:{grade_id}>", "exec"), ns)
    return ns


@pytest.mark.parametrize("student", sorted(INDEPENDENT))
def test_histogram_loss_and_sampler(student):
    logits = torch.randn(6, 5, dtype=torch.float64)
    x = torch.tensor([0, 4, 2, 2, 1, 3])
    loss = _define(student, "warmup_histogram_loss")["histogram_loss"](lambda _x: logits, x)
    assert torch.allclose(loss, -torch.log_softmax(logits, -1)[torch.arange(6), x].mean())
    sample = _define(student, "warmup_sampler")["sample_histogram"]
    probs = torch.tensor([0.2, 0.0, 0.5, 0.3])
    s = sample(probs, 20000, torch.Generator().manual_seed(1))
    assert s.dtype == torch.int64 and s.shape == (20000,) and not bool((s == 1).any())
    assert torch.equal(s, sample(probs, 20000, torch.Generator().manual_seed(1)))
    assert torch.allclose(torch.bincount(s, minlength=4).double() / 20000, probs.double(), atol=0.02)


@pytest.mark.parametrize("student", sorted(INDEPENDENT))
def test_dmol_log_prob_and_loss(student):
    g = torch.Generator().manual_seed(0)
    V, K, N = 20, 3, 40
    x = torch.randint(0, V, (N,), generator=g)
    logits, means = torch.randn(N, K, generator=g, dtype=torch.float64), V * torch.rand(N, K, generator=g).double()
    log_scales = torch.rand(N, K, generator=g, dtype=torch.float64) * 2 - 0.5
    ns = _define(student, "warmup_dmol")
    got = ns["dmol_log_prob"](x, logits, means, log_scales, V)
    assert torch.allclose(got.double(), reference_dmol(x, logits, means, log_scales, V), atol=1e-5)

    class Model(nn.Module):
        num_values = V

        def forward(self, _x):
            return logits, means, log_scales
    loss = _define(student, "warmup_dmol_loss", dmol_log_prob=ns["dmol_log_prob"])["dmol_loss"](Model(), x)
    assert torch.allclose(loss.double(), -reference_dmol(x, logits, means, log_scales, V).mean(), atol=1e-5)


@pytest.mark.parametrize("student", sorted(INDEPENDENT))
def test_made_masks(student):
    result = check_made_masks(_define(student, "made_masks")["made_masks"])
    assert result.passed, result.message
