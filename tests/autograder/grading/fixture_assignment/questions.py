"""Questions of the fixture assignment ``fx1`` (registered on import).

Grade functions only call the objects they get, as the pipeline requires.
"""
from __future__ import annotations

import math

import torch

from arkit.checks.result import CheckResult
from autograder.assignments.base import Question, register
from autograder.assignments.spec import ParamFnSpec

ASSIGNMENT = "fx1"
SOURCE_DIR = __import__("pathlib").Path(__file__).parent / "source" / ASSIGNMENT
# Optimal NLL of the chain in nats/dim, plus slack: the threshold of question 3.
OPTIMAL_NATS = (math.log(2) + 5 * (math.log(10) - 0.9 * math.log(9))) / 6
THRESHOLD_NATS = OPTIMAL_NATS + 0.05


def _tensor(name: str, value, shape) -> CheckResult | None:
    if not isinstance(value, torch.Tensor):
        return CheckResult.fail(name, f"returned a {type(value).__name__}, expected a torch.Tensor")
    if tuple(value.shape) != tuple(shape):
        return CheckResult.fail(name, f"returned shape {tuple(value.shape)}, expected {tuple(shape)}")
    if not torch.isfinite(value.double()).all():
        return CheckResult.fail(name, "returned NaN or inf values")
    return None


def grade_square(objects, ctx) -> CheckResult:
    g = torch.Generator().manual_seed(ctx.seed)
    x = torch.randn(5, 3, generator=g)
    out = objects["square"](x)
    bad = _tensor("fx_square_test", out, x.shape)
    if bad is not None:
        return bad
    if not torch.allclose(out.double(), (x * x).double(), atol=1e-5):
        return CheckResult.fail("fx_square_test", "values differ from x * x")
    return CheckResult.ok("fx_square_test", "correct")


def grade_mask(objects, ctx) -> CheckResult:
    for D in (1, 4, 7):
        out = objects["causal_mask"](D)
        bad = _tensor("fx_mask_test", out, (D, D))
        if bad is not None:
            return bad
        want = torch.tril(torch.ones(D, D), diagonal=-1)
        if not torch.equal(out.double(), want.double()):
            return CheckResult.fail("fx_mask_test", f"wrong entries for D={D}: m[i, j] must be 1 iff j < i")
    return CheckResult.ok("fx_mask_test", "correct")


def heldout(n: int = 512, seed: int = 1234) -> torch.Tensor:
    """The grader-only batch: (n, 6) int64 chains that repeat the previous bit w.p. 0.9."""
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, 6, dtype=torch.long)
    x[:, 0] = torch.randint(0, 2, (n,), generator=g)
    for d in range(1, 6):
        flip = (torch.rand(n, generator=g) < 0.1).long()
        x[:, d] = x[:, d - 1] ^ flip
    return x


def grade_model(objects, ctx) -> CheckResult:
    x = heldout()
    logits = objects["ar_logits"](x)
    bad = _tensor("fx_model_test", logits, x.shape)
    if bad is not None:
        return bad
    nll = torch.nn.functional.binary_cross_entropy_with_logits(logits.double(), x.double()).item()
    if nll > THRESHOLD_NATS:
        return CheckResult.fail("fx_model_test", f"held-out NLL {nll:.4f} nats/dim is above the "
                                f"threshold {THRESHOLD_NATS:.4f}", nll=nll)
    return CheckResult.ok("fx_model_test", f"held-out NLL {nll:.4f} nats/dim (threshold {THRESHOLD_NATS:.4f})",
                          nll=nll)


register(ASSIGNMENT, Question("fx_square_test", "01_basics", 2, ("square",), grade_square, "square", 20))
register(ASSIGNMENT, Question("fx_mask_test", "01_basics", 3, ("causal_mask",), grade_mask, "causal mask", 20))
register(ASSIGNMENT, Question("fx_model_test", "01_basics", 3, ("ar_logits",), grade_model, "AR model", 30,
                              param_fns=(ParamFnSpec("ar_logits", "chain", "bernoulli", (6,), calibrated=False),)))
