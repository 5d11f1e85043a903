"""Questions of notebook ``02_made`` (MADE), 20 points.

Every grade function only *calls* the exposed objects with inputs it chooses
(they may be forward-only proxies to the student's process) and decides the
verdict with trusted code:

| question | exposed objects | how it is graded |
|---|---|---|
| ``made_masks_test`` (5) | ``made_masks`` | :func:`check_made_masks_hidden`: connectivity over many orders and widths |
| ``made_masked_linear_test`` (3) | ``made_masked_linear_probe`` | output, weights untouched, gradients, mask buffer |
| ``made_model_ar_test`` (3) | ``made_ar_probe`` | :func:`arkit.checks.check_autoregressive` under random orders |
| ``made_picture2d_test`` (2) | ``made_picture2d_{small,large}_params`` | held-out NLL thresholds (categorical) |
| ``made_shapes_test`` (2) | ``made_shapes_params`` | held-out NLL threshold (Bernoulli) |
| ``made_mnist_test`` (2) | ``made_mnist_params`` | held-out NLL threshold (Bernoulli) |
| ``made_inpaint_test`` (3) | ``made_inpaint`` | visible pixels kept, binary output, missing-last order, conditioning |
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import torch

from arkit.checks.result import CheckResult, combine
from autograder.assignments.base import GradingContext, Question, register
from autograder.assignments.spec import ParamFnSpec

ASSIGNMENT = "hw1"
NOTEBOOK = "02_made"

# Held-out examples evaluated per threshold question in the ci profile (None: all).
HELDOUT_LIMIT = {"ci": 1000, "cpu": None, "gpu": None}
# Trusted declarations of the scored parameter functions (raster order; MADE's image models are raster-order).
PARAM_FNS = {
    "made_picture2d_test": tuple(ParamFnSpec(f"made_{d}_params", d, "categorical", (2,))
                                 for d in ("picture2d_small", "picture2d_large")),
    "made_shapes_test": (ParamFnSpec("made_shapes_params", "shapes", "bernoulli", (1, 20, 20)),),
    "made_mnist_test": (ParamFnSpec("made_mnist_params", "mnist_binary", "bernoulli", (1, 28, 28)),),
}
# Values per variable of the graded datasets (the uniform baseline is log K nats/dim).
NUM_VALUES = {"picture2d_small": 25, "picture2d_large": 200, "shapes": 2, "mnist_binary": 2}


def _as_tensor(value, name: str) -> torch.Tensor:
    """``value`` as a tensor, or a ``TypeError`` that names the object."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} returned {type(value).__name__}, expected a torch.Tensor")
    return value


def _all_of(name: str, results: list[CheckResult]) -> CheckResult:
    """:func:`combine`, but a full pass keeps the parts' messages (the measured NLLs)."""
    result = combine(name, results)
    if result.passed:
        result.message = "; ".join(r.message for r in results)
    return result


# -- made_masks ---------------------------------------------------------------

def _grade_masks(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """The public property check over many more orders and widths (list and tensor orders)."""
    from autograder.checks.masks_reference import check_made_masks_hidden

    return check_made_masks_hidden(objects["made_masks"], name="made_masks_test")


# -- MaskedLinear ---------------------------------------------------------------

def _grade_masked_linear(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """Call the probe on two seeded cases (one with a fully masked row) and compare with F.linear."""
    probe = objects["made_masked_linear_probe"]
    gen = torch.Generator().manual_seed(2000 + int(ctx.seed))
    parts = {"output": [], "weights": [], "gradients": [], "buffer": []}
    for out_f, in_f, batch in ((5, 7, 4), (3, 2, 6)):
        w, b = torch.randn(out_f, in_f, generator=gen), torch.randn(out_f, generator=gen)
        mask = (torch.rand(out_f, in_f, generator=gen) > 0.5).float()
        mask[0] = 0.0                                          # a fully masked row
        mask[-1, -1] = 1.0
        x = torch.randn(batch, in_f, generator=gen)
        result = probe(w.clone(), b.clone(), mask.clone(), x.clone())
        if not isinstance(result, (tuple, list)) or len(result) != 4:
            return CheckResult.fail("made_masked_linear_test", "the probe cell was changed: it must return 4 tensors")
        out, w_after, grad, is_buffer = (_as_tensor(r, "masked_linear_probe") for r in result)
        expected = x @ (w * mask).T + b
        parts["output"].append(out.shape == expected.shape and torch.allclose(out.double(), expected.double(), atol=1e-4))
        parts["weights"].append(w_after.shape == w.shape and torch.equal(w_after.float(), w))
        expected_grad = mask * x.sum(0, keepdim=True)          # d(sum of outputs) / d weight
        parts["gradients"].append(grad.shape == w.shape and torch.allclose(grad.double(), expected_grad.double(), atol=1e-4))
        parts["buffer"].append(float(is_buffer) == 1.0)
    messages = {
        "output": ("the output is not F.linear(x, weight * mask, bias)", "apply the mask to the weight in forward()"),
        "weights": ("the weights changed after a forward pass",
                    "never overwrite self.weight with the masked weights; multiply in forward()"),
        "gradients": ("gradients of the weight are wrong: masked weights must get exactly zero gradient and the "
                      "others the usual one", "multiply weight * mask inside forward(), do not detach"),
        "buffer": ("the mask is not a buffer",
                   "use self.register_buffer('mask', ...) and copy into it in set_mask()"),
    }
    results = [CheckResult.ok(f"masked_linear.{k}") if all(v) else
               CheckResult.fail(f"masked_linear.{k}", messages[k][0], hint=messages[k][1])
               for k, v in parts.items()]
    return combine("made_masked_linear_test", results)


# -- MADE model ------------------------------------------------------------------

def _grade_model_ar(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """AR property + liveness of fresh MADEs under random orders (one-hot K=3 and plain binary input)."""
    from arkit.checks.autoregressive import check_autoregressive

    probe = objects["made_ar_probe"]
    gen = torch.Generator().manual_seed(3000 + int(ctx.seed))
    results = []
    for d, k, one_hot in ((12, 3, True), (9, 2, False)):
        order = torch.randperm(d, generator=gen)

        def model(x, order=order, k=k, one_hot=one_hot):
            return probe(x, order.clone(), torch.tensor(k), torch.tensor([32, 32]), torch.tensor(one_hot))

        results.append(check_autoregressive(model, (d,), order=order, num_values=k, to_vars=lambda out: out,
                                            family="made", seed=int(ctx.seed), name=f"made(D={d}, K={k})"))
    return _all_of("made_model_ar_test", results)


# -- held-out thresholds -------------------------------------------------------------

def _threshold(objects, ctx: GradingContext, question: str, dataset: str, name: str, likelihood: str) -> CheckResult:
    """Held-out NLL of ``objects[name]`` on ``dataset`` against the calibrated threshold.

    Guard: a model no better than the uniform distribution (``log K`` nats/dim) earns nothing,
    whatever the calibration's loose bound (for the 2D sets 1.5 x threshold exceeds ``log K``).
    """
    from autograder.checks.threshold import check_threshold

    result = check_threshold(objects[name], ASSIGNMENT, dataset, question, likelihood, profile=ctx.profile,
                             max_examples=HELDOUT_LIMIT.get(ctx.profile))
    result.label = dataset  # what the student reads before this part's message
    measured = result.details.get("nats_per_dim")
    if measured is None:
        return result
    uniform = math.log(NUM_VALUES[dataset])
    if not result.passed and measured >= uniform:
        failed = CheckResult.fail(result.name, f"{result.message.rstrip('.')}. Not better than a uniform distribution "
                                             f"({uniform:.4f} nats/dim): the model has not learned.",
                                hint=result.hint, **result.details)
        failed.label = dataset
        return failed
    return result


def _grade_picture2d(objects, ctx):
    return _all_of("made_picture2d_test", [
        _threshold(objects, ctx, "made_picture2d_test", ds, f"made_{ds}_params", "categorical")
        for ds in ("picture2d_small", "picture2d_large")])


def _grade_shapes(objects, ctx):
    return _threshold(objects, ctx, "made_shapes_test", "shapes", "made_shapes_params", "bernoulli")


def _grade_mnist(objects, ctx):
    return _threshold(objects, ctx, "made_mnist_test", "mnist_binary", "made_mnist_params", "bernoulli")


# -- inpainting ------------------------------------------------------------------------

def inpaint_images(n: int) -> torch.Tensor:
    """The first ``n`` held-out ``mnist_binary`` images, uint8 (n, 1, 28, 28) (tests replace this)."""
    from autograder.heldout import load_heldout

    return torch.as_tensor(load_heldout("mnist_binary").x[:n])


def _missing_masks(seed: int) -> dict[str, torch.Tensor]:
    """Bool (784,) masks: the bottom third, an off-centre 8x10 block, 15% scattered pixels."""
    bottom = torch.zeros(28, 28, dtype=torch.bool)
    bottom[19:] = True
    block = torch.zeros(28, 28, dtype=torch.bool)
    block[8:16, 9:19] = True
    scattered = torch.rand(28, 28, generator=torch.Generator().manual_seed(4000 + int(seed))) < 0.15
    return {"bottom rows": bottom.flatten(), "block": block.flatten(), "scattered": scattered.flatten()}


def _inpaint_once(fn, x: torch.Tensor, missing: torch.Tensor, seed: int, label: str) -> CheckResult:
    """One missing-pixel pattern; see :func:`check_inpainting`."""
    name = f"inpainting[{label}]"
    flat = x.reshape(x.shape[0], -1)

    def run(inputs: torch.Tensor, s: int):
        """Call fn on inputs (B, D); validated (completed (B, D), order)."""
        result = fn(inputs.reshape(x.shape).clone(), missing.clone(), torch.tensor(s))
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise TypeError("made_inpaint must return a tuple (completed, order)")
        done, order = (_as_tensor(r, "made_inpaint") for r in result)
        if done.shape != x.shape or done.dtype != x.dtype:
            raise ValueError(f"completed images are {done.dtype} {tuple(done.shape)}; expected {x.dtype} {tuple(x.shape)}")
        return done.reshape(flat.shape), order.reshape(-1).long()

    def with_missing(base: torch.Tensor, value: int) -> torch.Tensor:
        return torch.where(missing, torch.full_like(base, value), base)

    num_vars, num_missing = flat.shape[1], int(missing.sum())
    done, order = run(with_missing(flat, 0), seed)
    if not torch.all((done == 0) | (done == 1)):
        return CheckResult.fail(name, "completed pixels are not binary (0/1)",
                                hint="sample values, do not return probabilities")
    if not torch.equal(done[:, ~missing], flat[:, ~missing]):
        return CheckResult.fail(name, "visible pixels were changed", hint="copy x and overwrite only the missing pixels")
    if order.numel() != num_vars or not torch.equal(order.sort().values, torch.arange(num_vars)):
        return CheckResult.fail(name, "the returned order is not a permutation of range(D)")
    if not bool(missing[order[num_vars - num_missing:]].all()):
        return CheckResult.fail(name, "the order does not put every missing pixel after all visible ones: "
                                      "then p(missing | visible) is not what the model computes")
    if not torch.equal(run(with_missing(flat, 1), seed)[0], done):
        return CheckResult.fail(name, "the completion depends on the values given at missing pixels",
                                hint="sample the missing pixels one by one in the order, each conditioned only on "
                                     "visible and already sampled pixels")
    if torch.equal(run(with_missing(flat, 0), seed + 1)[0][:, missing], done[:, missing]):
        return CheckResult.fail(name, "the same completion for two different seeds: the missing pixels are not sampled",
                                hint="sample the missing pixels (e.g. torch.multinomial with a Generator seeded "
                                     "by `seed`)")
    if flat.shape[0] > 1:                     # other visible pixels (images rolled by one), same seed
        other = run(with_missing(torch.roll(flat, 1, dims=0), 0), seed)[0]
        if torch.equal(other[:, missing], done[:, missing]):
            return CheckResult.fail(name, "the completion ignores the visible pixels",
                                    hint="condition on them (they come first in the order) instead of sampling "
                                         "the missing region on its own")
    return CheckResult.ok(name, f"{label}: visible pixels kept, missing pixels sampled last")


def check_inpainting(fn, images: torch.Tensor, masks: Mapping[str, torch.Tensor], seed: int = 0,
                     name: str = "inpainting") -> CheckResult:
    """Grade ``fn(x, missing, seed) -> (completed, order)`` on ``images`` (B, *var_shape) for each mask.

    Per missing pattern (bool (D,)): completed is binary, equals x on visible pixels; the order
    is a permutation with the missing pixels last; the result does not depend on the values at
    missing pixels (same seed), changes with the seed, and changes when the visible pixels change.
    """
    return _all_of(name, [_inpaint_once(fn, images, m, seed, label) for label, m in masks.items()])


def _grade_inpaint(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    return check_inpainting(objects["made_inpaint"], inpaint_images(4), _missing_masks(ctx.seed),
                            seed=int(ctx.seed), name="made_inpaint_test")


for _qid, _points, _needs, _fn, _title in (
    ("made_masks_test", 5, ("made_masks",), _grade_masks, "MADE masks: autoregressive and alive"),
    ("made_masked_linear_test", 3, ("made_masked_linear_probe",), _grade_masked_linear, "MaskedLinear"),
    ("made_model_ar_test", 3, ("made_ar_probe",), _grade_model_ar, "MADE is autoregressive in its order"),
    ("made_picture2d_test", 2, ("made_picture2d_small_params", "made_picture2d_large_params"), _grade_picture2d,
     "MADE on 2D joints: held-out NLL"),
    ("made_shapes_test", 2, ("made_shapes_params",), _grade_shapes, "MADE on shapes: held-out NLL"),
    ("made_mnist_test", 2, ("made_mnist_params",), _grade_mnist, "MADE on binary MNIST: held-out NLL"),
    ("made_inpaint_test", 3, ("made_inpaint",), _grade_inpaint, "Inpainting with a missing-last order"),
):
    register(ASSIGNMENT, Question(id=_qid, notebook=NOTEBOOK, points=_points, needs=_needs, grade=_fn, title=_title,
                                  param_fns=PARAM_FNS.get(_qid, ())))
