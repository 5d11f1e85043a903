"""Questions of notebook ``04_multiscale_fisher`` (parallel multiscale sampling, Fisher scores), 25 points.

Every grade function only *calls* the exposed objects with inputs it chooses and decides with
trusted code (:mod:`autograder.reference.models.multiscale`):

| question | exposed objects | how it is graded |
|---|---|---|
| ``multiscale_ar_test`` (6) | ``multiscale_groups``, ``multiscale_probe`` | groups equal the trusted rule on 6 sizes; ``check_autoregressive`` with the trusted group order (no dependence inside a group, every group > 0 alive) at 16x16 and 20x20 |
| ``multiscale_sampler_test`` (4) | ``multiscale_sample_step`` | the parent runs the sampling loop with *its own* network (:class:`GroupNet`) and counts its forward calls: every step fills pixels of the next group only, drawn from the given logits and uniforms; ``check_cost_scaling(expect="log", measure="calls")`` at sides 8, 16, 32 |
| ``multiscale_nll_test`` (4) | ``multiscale_shapes_params`` | held-out NLL (Bernoulli, nats/dim), audited with ``order="multiscale"`` |
| ``fisher_scores_test`` (6) | ``fisher_scores_probe`` | ``check_fisher_scores`` on TinyPixelCNNs (2 widths) with random parameters chosen by the parent, held-out images |
| ``fisher_classifier_test`` (5) | ``fisher_scores_probe``, ``fisher_{shapes,mnist_binary}_theta`` | the parent rebuilds the trained model from its parameters, checks the student's ``fisher_scores`` on it row by row (250 held-out images per dataset), then fits the linear probe on its own per-example gradients of one half of the split and measures the accuracy on the other |

Accuracy thresholds are stored in ``autograder/calibration/hw2.json`` in the schema of the NLL
entries, as **error rates** (``1 - accuracy``, lower is better; ``details["error_rate"]`` is what
calibration records): full credit at or below ``threshold``, none at or above ``loose_bound``.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

import torch
import torch.nn.functional as F

from arkit.checks.result import CheckResult, combine
from autograder.assignments.base import GradingContext, Question, register
from autograder.assignments.spec import ParamFnSpec
from autograder.examples import Mutation

ASSIGNMENT = "hw2"
NOTEBOOK = "04_multiscale_fisher"
SHAPES_SHAPE = (1, 20, 20)
CI_MAX_EXAMPLES = 1000            # held-out images per NLL evaluation in ci (calibration uses the same)
AR_SIZES = ((16, 16), (20, 20))
GROUP_SIZES = ((16, 16), (20, 20), (8, 8), (12, 20), (32, 32), (5, 7))
COST_SIDES = (4, 8, 16)           # D = 16, 64, 256: groups 3, 4, 5
FISHER_CHANNELS = 8               # the notebook's TinyPixelCNN(CFG["pc_channels"]) in every profile
# Held-out examples for the linear probe: (fit, evaluate) per dataset and profile.
PROBE_SPLIT = {"ci": {"shapes": (500, 500), "mnist_binary": (1000, 1000)},
               "cpu": {"shapes": (500, 500), "mnist_binary": (2500, 2500)},
               "gpu": {"shapes": (500, 500), "mnist_binary": (2500, 2500)}}
VERIFY_ROWS = 250                 # trained-model rows checked against the reference per dataset

SHAPES_PARAMS = ParamFnSpec("multiscale_shapes_params", "shapes", "bernoulli", SHAPES_SHAPE, order="multiscale")


# ----------------------------------------------------------------- 1-2. groups and the model
def check_groups(fn: Callable, name: str = "groups") -> CheckResult:
    """``fn(height, width)`` equals :func:`multiscale_groups` on :data:`GROUP_SIZES`."""
    from autograder.reference.models.multiscale import multiscale_groups

    for h, w in GROUP_SIZES:
        got = fn(torch.tensor(h), torch.tensor(w))
        want = multiscale_groups(h, w)
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != (h, w):
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            return CheckResult.fail(name, f"multiscale_groups({h}, {w}) returned {shape}, expected a tensor ({h}, {w})")
        diff = torch.nonzero(got.long() != want)
        if diff.numel():
            i, j = (int(v) for v in diff[0])
            return CheckResult.fail(
                name, f"multiscale_groups({h}, {w}) puts pixel ({i},{j}) in group {int(got[i, j])}; the coarsest "
                      f"power-of-two grid it lies on makes it group {int(want[i, j])} ({diff.shape[0]} pixels differ)",
                hint="L = floor(log2(max(height, width))); pixel (i, j) is in group L - l for the largest l <= L "
                     "with 2**l dividing both i and j")
    return CheckResult.ok(name, f"groups right on {len(GROUP_SIZES)} image sizes")


def _grade_ar(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    from arkit.checks.autoregressive import check_autoregressive
    from autograder.reference.models.multiscale import multiscale_groups

    parts = [check_groups(objects["multiscale_groups"], "multiscale_ar_test.groups")]
    probe = objects["multiscale_probe"]
    for h, w in AR_SIZES:
        parts.append(check_autoregressive(probe, (1, h, w), order=multiscale_groups(h, w).reshape(-1), num_values=2,
                                          family="generic", seed=int(ctx.seed), figure=False,
                                          name=f"multiscale_ar_test.{h}x{w}"))
        parts[-1].label = f"{h}x{w}"
        if not parts[-1].passed:            # one failing size says it; the next would cost as much again
            break
    result = combine("multiscale_ar_test", parts)
    if not result.passed:                   # all or nothing: right groups in a model that leaks earn nothing
        result.score = 0.0
    return result


# ----------------------------------------------------------------- 3. the sampler
class SamplerError(RuntimeError):
    """The student's step did something a group sampler must not (the message says what)."""


def _pixels(mask: torch.Tensor, limit: int = 3) -> str:
    cells = [f"({int(i)},{int(j)})" for i, j in torch.nonzero(mask)[:limit]]
    return ", ".join(cells) + (" ..." if int(mask.sum()) > limit else "")


def run_group_sampler(step: Callable, net: torch.nn.Module, u: torch.Tensor) -> torch.Tensor:
    """The trusted sampling loop: ``net`` once per step on ``[x * known, known]``, then ``step``.

    Validates every step (raises :class:`SamplerError`): it returns ``(x_new, known_new)`` of the
    right shapes; it fills at least one pixel; every pixel it fills belongs to the next group (the
    smallest group not yet known) and equals the draw of ``u`` from the logit (1 iff
    ``u >= 1 - sigmoid(logit)``, float64; draws within 1e-9 of the boundary are not compared); no
    other pixel changes; known pixels stay known. Returns the samples int64 (B, 1, H, W).
    """
    from autograder.reference.models.multiscale import multiscale_groups, network_input

    b, _, h, w = u.shape
    groups = multiscale_groups(h, w)
    x = torch.zeros(u.shape, dtype=torch.long)
    known = torch.zeros(h, w, dtype=torch.bool)
    for _ in range(h * w + 1):
        if bool(known.all()):
            return x
        with torch.no_grad():
            logits = net(network_input(x, known))
        out = step(x.clone(), known.clone(), logits.clone(), u.clone())
        if not isinstance(out, (tuple, list)) or len(out) != 2 or not all(isinstance(t, torch.Tensor) for t in out):
            raise SamplerError("sample_next_group must return a tuple (x_new, known_new) of two tensors")
        x_new, known_new = out
        if tuple(x_new.shape) != tuple(x.shape) or tuple(known_new.shape) != (h, w):
            raise SamplerError(f"sample_next_group returned x_new {tuple(x_new.shape)} and known_new "
                               f"{tuple(known_new.shape)}; expected {tuple(x.shape)} and {(h, w)}")
        x_new, known_new = x_new.long(), known_new.bool()
        if bool((known & ~known_new).any()):
            raise SamplerError(f"known_new no longer marks pixel(s) {_pixels(known & ~known_new)} that were known")
        filled = known_new & ~known
        if not bool(filled.any()):
            raise SamplerError(f"a step filled no pixel (known_new == known) on a {h}x{w} image: the loop never ends")
        nxt = int(groups[~known].min())
        wrong = filled & (groups != nxt)
        if bool(wrong.any()):
            g = int(groups[wrong][0])
            raise SamplerError(
                f"while group {nxt} was the next group, a step drew pixel(s) {_pixels(wrong)} of group {g}: "
                f"{'their conditioning (the groups before ' + str(g) + ') is not known yet' if g > nxt else 'already known'}"
                f" ({h}x{w} image)")
        p = torch.sigmoid(logits.double())
        draw = (u >= 1 - p).long()
        settled = (u - (1 - p)).abs() > 1e-9
        bad = filled & ((x_new != draw) & settled).any(0).any(0)
        if bool(bad.any()):
            raise SamplerError(f"pixel(s) {_pixels(bad)} of group {nxt} are not the draws of u from their logits "
                               f"(pixel = 1 iff u >= 1 - sigmoid(logit)) ({h}x{w} image)")
        changed = ((x_new != x).any(0).any(0)) & ~filled
        if bool(changed.any()):
            raise SamplerError(f"pixel(s) {_pixels(changed)} changed although the step did not fill them")
        x, known = torch.where(filled, x_new, x), known_new
    raise SamplerError(f"the image was not complete after {h * w} steps")


def check_group_sampler(step: Callable, seed: int = 0, name: str = "sampler") -> CheckResult:
    """Validate ``step`` on a 20x20 image (batch 4), then count the trusted network's calls at
    :data:`COST_SIDES` with :func:`arkit.checks.cost_scaling.check_cost_scaling`."""
    from arkit.checks.cost_scaling import check_cost_scaling
    from autograder.reference.models.multiscale import GroupNet

    net = GroupNet(8, seed=1000 + int(seed)).eval()
    gen = torch.Generator().manual_seed(2000 + int(seed))
    try:
        run_group_sampler(step, net, torch.rand(4, 1, 20, 20, dtype=torch.float64, generator=gen))
    except SamplerError as exc:
        return CheckResult.fail(name, str(exc), hint="find the smallest group not yet known, draw all its pixels "
                                                    "from the logits, mark them known")

    def sampler(side):
        return run_group_sampler(step, net, torch.rand(2, 1, side, side, dtype=torch.float64, generator=gen))

    result = check_cost_scaling(sampler, COST_SIDES, expect="log", measure="calls", network=net, name=name)
    if not result.passed:
        result.message = result.message.replace("sampler(", "sampling an image of side ")
    return result


def _grade_sampler(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    return check_group_sampler(objects["multiscale_sample_step"], seed=int(ctx.seed), name="multiscale_sampler_test")


# ----------------------------------------------------------------- 4. held-out NLL
def _grade_nll(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    from autograder.checks.threshold import check_threshold

    result = check_threshold(objects[SHAPES_PARAMS.name], ASSIGNMENT, "shapes", "multiscale_nll_test", "bernoulli",
                             ctx.profile, max_examples=CI_MAX_EXAMPLES if ctx.profile == "ci" else None)
    result.label = "shapes"
    return result


# ----------------------------------------------------------------- 6. Fisher scores
def remote_fisher_fn(probe: Callable, channels: int = FISHER_CHANNELS) -> Callable:
    """``fisher_scores(model, x)`` as the student's probe computes it: the trusted model's parameters
    travel as a flat vector, the child rebuilds its TinyPixelCNN(channels) from them."""
    def fn(model, x):
        theta = torch.nn.utils.parameters_to_vector(model.parameters()).detach().clone()
        return probe(theta, x, torch.tensor(int(channels)))
    return fn


def _random_model(channels: int, seed: int):
    from autograder.reference.models.multiscale import FisherPixelCNN

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return FisherPixelCNN(channels).eval()


def _heldout(dataset: str):
    """The held-out split of ``dataset`` (tests replace this)."""
    from autograder.heldout import load_heldout

    return load_heldout(dataset)


def _grade_fisher(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    from autograder.checks.fisher import check_fisher_scores

    probe = objects["fisher_scores_probe"]
    parts = []
    for channels, dataset, n in ((FISHER_CHANNELS, "shapes", 6), (4, "mnist_binary", 5)):
        x = torch.as_tensor(_heldout(dataset).x[:n])
        model = _random_model(channels, 5000 + int(ctx.seed) + channels)
        part = check_fisher_scores(remote_fisher_fn(probe, channels), model, x,
                                   name=f"fisher_scores_test.{dataset}")
        part.label = f"TinyPixelCNN({channels}) on {dataset}"
        parts.append(part)
    return combine("fisher_scores_test", parts)


# ----------------------------------------------------------------- 7. the classifier
def linear_probe(f_fit, y_fit, f_eval, y_eval, l2: float = 1e-2, steps: int = 100) -> float:
    """Accuracy (fraction) on ``(f_eval, y_eval)`` of a multinomial logistic regression fitted on
    ``(f_fit, y_fit)``: features standardised with the fitting set's mean and std, L2 penalty
    ``l2 * |W|^2 / 2``, L-BFGS (strong Wolfe), float64. Deterministic; the notebook's copy is the same."""
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

    with torch.enable_grad():
        opt.step(closure)
    with torch.no_grad():
        return float(((b @ w + bias).argmax(1) == y_eval).double().mean())


def _entry(dataset: str, profile: str) -> Mapping | None:
    from autograder.calibration.store import CalibrationMissing, threshold_entry

    try:
        return threshold_entry(ASSIGNMENT, "fisher_classifier_test", dataset, profile)
    except CalibrationMissing:
        return None


def check_fisher_accuracy(probe: Callable, theta_fn: Callable, dataset: str, profile: str,
                          entry: Mapping | None = None, name: str = "accuracy") -> CheckResult:
    """The student's ``fisher_scores`` on the trained model rebuilt from ``theta_fn()``, checked row by
    row against the reference on the first :data:`VERIFY_ROWS` held-out ``dataset`` images; then the
    linear probe on the reference features of the grader's split, its accuracy against the calibrated
    error-rate threshold (``entry`` overrides the file)."""
    from autograder.checks.fisher import check_fisher_scores
    from autograder.reference.fisher import fisher_scores as reference_scores
    from autograder.reference.models.multiscale import fisher_model

    theta = theta_fn()
    if not isinstance(theta, torch.Tensor):
        return CheckResult.fail(name, f"fisher_{dataset}_theta() returned {type(theta).__name__}, expected a tensor (P,)")
    try:
        model = fisher_model(theta, FISHER_CHANNELS)
    except ValueError as exc:
        return CheckResult.fail(name, f"the trained model's parameters do not fit the notebook's "
                                      f"TinyPixelCNN({FISHER_CHANNELS}): {exc}")
    if not bool(torch.isfinite(theta).all()):
        return CheckResult.fail(name, "the trained model's parameters are not finite")
    n_fit, n_eval = PROBE_SPLIT[profile][dataset]
    split = _heldout(dataset)
    x, y = torch.as_tensor(split.x[: n_fit + n_eval]), torch.as_tensor(split.y[: n_fit + n_eval])
    # The student's fisher_scores on the trained model, every row of the first VERIFY_ROWS held-out
    # images against the reference; the probe is then fitted on the grader's own (reference) features,
    # so nothing the student's process returns for the other rows can move the accuracy.
    xb = x[:VERIFY_ROWS]
    verdict = check_fisher_scores(remote_fisher_fn(probe), model, xb, name=name)
    if not verdict.passed:
        verdict.message = (f"the features of held-out {dataset} images (rows 0..{xb.shape[0] - 1}) "
                           f"are not Fisher scores: {verdict.message}")
        return verdict
    features = reference_scores(model, x)
    acc = linear_probe(features[:n_fit], y[:n_fit], features[n_fit:], y[n_fit:])
    raw = linear_probe(x[:n_fit].float(), y[:n_fit], x[n_fit:].float(), y[n_fit:])
    error = 1.0 - acc
    details = {"dataset": dataset, "error_rate": error, "accuracy": acc, "raw_pixel_accuracy": raw,
               "fit": n_fit, "evaluated": n_eval, "profile": profile}
    measured = (f"{dataset}: linear-probe accuracy {acc:.3f} on {n_eval} held-out images "
                f"(fitted on {n_fit}; raw pixels: {raw:.3f})")
    entry = entry if entry is not None else _entry(dataset, profile)
    if entry is None:
        return CheckResult.fail(name, f"{measured}; no calibrated threshold for {dataset} ({profile})",
                                cause="calibration_missing", **details)
    from autograder.checks.threshold import credit

    thr, loose = float(entry["threshold"]), float(entry["loose_bound"])
    details.update(threshold_accuracy=1 - thr, zero_credit_accuracy=1 - loose)
    score = credit(error, thr, loose)
    if score >= 1.0:
        return CheckResult.ok(name, f"{measured} >= {1 - thr:.3f}", **details)
    return CheckResult.fail(name, f"{measured}: full credit needs {1 - thr:.3f}, none below {1 - loose:.3f}",
                            score=score, hint="train the PixelCNN longer (the features come from the trained model)",
                            **details)


def _grade_classifier(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    parts = []
    for dataset in ("shapes", "mnist_binary"):
        part = check_fisher_accuracy(objects["fisher_scores_probe"], objects[f"fisher_{dataset}_theta"], dataset,
                                     ctx.profile, name=f"fisher_classifier_test.{dataset}")
        part.label = dataset
        parts.append(part)
    result = combine("fisher_classifier_test", parts)
    if result.passed:
        result.message = "; ".join(p.message for p in parts)
    return result


for _qid, _points, _needs, _fn, _title, _specs in (
    ("multiscale_ar_test", 6, ("multiscale_groups", "multiscale_probe"), _grade_ar,
     "Multiscale groups and model: autoregressive in the group order", ()),
    ("multiscale_sampler_test", 4, ("multiscale_sample_step",), _grade_sampler,
     "Multiscale sampling: one network evaluation per group", ()),
    ("multiscale_nll_test", 4, (), _grade_nll, "Multiscale model on shapes: held-out NLL", (SHAPES_PARAMS,)),
    ("fisher_scores_test", 6, ("fisher_scores_probe",), _grade_fisher, "Fisher scores: per-example gradients", ()),
    ("fisher_classifier_test", 5, ("fisher_scores_probe", "fisher_shapes_theta", "fisher_mnist_binary_theta"),
     _grade_classifier, "Linear classifier on Fisher scores: held-out accuracy", ()),
):
    register(ASSIGNMENT, Question(id=_qid, notebook=NOTEBOOK, points=_points, needs=_needs, grade=_fn, title=_title,
                                  param_fns=_specs))


MUTATIONS = (
    Mutation("multiscale_group_sees_itself", NOTEBOOK, "multiscale_model",
             "known = groups.view(1, 1, *groups.shape) < g.view(-1, 1, 1, 1)",
             "known = groups.view(1, 1, *groups.shape) <= g.view(-1, 1, 1, 1)",
             "the conditioning of group g includes group g itself: pixels of one group see each other",
             expect=("multiscale_ar_test", "group")),
    Mutation("multiscale_one_pixel_per_step", NOTEBOOK, "multiscale_sample_step",
             "new = groups == g\n",
             "new = torch.zeros_like(known).flatten()\n"
             "    new[torch.nonzero(((groups == g) & ~known).flatten())[0]] = True\n"
             "    new = new.view_as(known)\n",
             "the sampler draws one pixel per network evaluation (N evaluations instead of log N)",
             expect=("multiscale_sampler_test", "one evaluation per variable")),
    Mutation("fisher_batch_summed", NOTEBOOK, "fisher_scores",
             "return torch.cat([grads[n].reshape(x.shape[0], -1) for n in names], 1)",
             "return torch.cat([grads[n].sum(0).reshape(1, -1) for n in names], 1).expand(x.shape[0], -1)",
             "Fisher scores summed over the batch: every row is the same batch gradient",
             expect=("fisher_scores_test", "batch-summed")),
)
