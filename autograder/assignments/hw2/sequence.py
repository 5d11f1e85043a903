"""Questions of notebook ``01_sequence_models`` (NADE, RNNs over pixels, Row LSTM), 25 points.

Every grade function only *calls* the exposed objects with inputs it chooses and decides with
trusted code:

| question | exposed objects | how it is graded |
|---|---|---|
| ``seq_nade_test`` (7) | ``seq_nade_probe`` | logits equal the textbook formula (:mod:`autograder.reference.models.nade`) on random parameters; ``check_autoregressive`` (family ``made``) and full liveness: every output after the first sees every earlier pixel |
| ``seq_nade_cost_test`` (4) | ``seq_nade_cost_probe`` | work of one forward pass at D = 100 and 400 (and 64, 256): total ~ D^e with e <= 1.5 |
| ``seq_rnn_model_test`` (4) | ``seq_rnn_inputs``, ``seq_rnn_ar_probe`` | exact input features (shift, start flag, coordinates of the predicted pixel); ``check_autoregressive`` (family ``pixelcnn``: immediate past seen) with and without coordinates |
| ``seq_rnn_shapes_test``, ``seq_rnn_shapes_xy_test`` (2 + 2) | ``seq_rnn_shapes{,_xy}_params`` | held-out NLL thresholds (Bernoulli) without / with coordinates |
| ``seq_rnn_mnist_test``, ``seq_rnn_mnist_xy_test`` (2 + 2) | ``seq_rnn_mnist{,_xy}_params`` | the same on ``binarized_mnist`` |
| ``seq_rowlstm_test`` (2) | ``seq_rowlstm_model`` | ``check_autoregressive`` (family ``pixelcnn``) only; the receptive field is a picture |

What is a claim here: the NADE cost is *counted in the student's process* by the locked probe
cell (``arkit.checks.WorkCounter`` around one forward pass of the student's NADE). No forward
evidence tells an O(DH) forward pass from an O(D^2 H) one (they return the same numbers), so the
count is what there is; a student who patches the counter from their own cell can forge it (the
nbgrader checksum of locked cells and the review of the notebook are the defence). The parent
decides the verdict from the counts it asked for.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import torch

from arkit.checks.result import CheckResult, combine
from autograder.assignments.base import GradingContext, Question, register
from autograder.assignments.spec import ParamFnSpec
from autograder.examples import Mutation

ASSIGNMENT = "hw2"
NOTEBOOK = "01_sequence_models"
HELDOUT_LIMIT = {"ci": 1000, "cpu": None, "gpu": None}     # held-out images per threshold evaluation
SHAPES_SHAPE, MNIST_SHAPE = (1, 20, 20), (1, 28, 28)
DATASET_SHAPES = {"shapes": SHAPES_SHAPE, "binarized_mnist": MNIST_SHAPE}
SHORT = {"shapes": "shapes", "binarized_mnist": "mnist"}

# NADE probe configurations (D, H, B) and the tolerance on logits (float32 forward, float64 reference).
NADE_CONFIGS = ((12, 5, 6), (30, 16, 4), (7, 3, 3))
NADE_ATOL = 1e-4
# Cost: (D1, D2) at (H, B); the exponent of total work ~ D^e must be <= COST_LIMIT (arkit's "constant").
COST_SIZES = ((100, 400, 16, 4), (64, 256, 8, 2))
COST_LIMIT = 1.5
# Small canvases for the fresh PixelRNN (any size works: the probe builds the model from x's shape).
RNN_CANVASES = ((1, 5, 7), (1, 4, 6))


def _qid(dataset: str, coords: bool) -> str:
    return f"seq_rnn_{SHORT[dataset]}{'_xy' if coords else ''}_test"


def _param_fn(dataset: str, coords: bool) -> ParamFnSpec:
    return ParamFnSpec(f"seq_rnn_{SHORT[dataset]}{'_xy' if coords else ''}_params", dataset, "bernoulli",
                       DATASET_SHAPES[dataset])


# One question per trained model (the calibration file holds one threshold per question and dataset).
PARAM_FNS = {_qid(d, coords): (_param_fn(d, coords),) for d in DATASET_SHAPES for coords in (False, True)}


def _all_of(name: str, results: list[CheckResult]) -> CheckResult:
    """:func:`combine`, but a full pass keeps the parts' messages (the measured NLLs, exponents)."""
    result = combine(name, results)
    if result.passed:
        result.message = "; ".join(r.message for r in results)
    return result


def _tensor(value, what: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{what} returned {type(value).__name__}, expected a torch.Tensor")
    return value


# -- NADE forward ------------------------------------------------------------------------------------

def _nade_params(D: int, H: int, gen: torch.Generator):
    """Random NADE parameters (float32) large enough that every pixel visibly moves every later logit."""
    W = torch.randn(H, D, generator=gen)
    c = 0.3 * torch.randn(H, generator=gen)
    V = torch.randn(D, H, generator=gen)
    b = 0.3 * torch.randn(D, generator=gen)
    return W, c, V, b


def check_nade_equivalence(probe, seed: int = 0, name: str = "nade.equivalence") -> CheckResult:
    """``probe(W, c, V, b, x) -> logits (B, D)`` equals the textbook NADE formula on random parameters.

    When it does not, the message says whether the logits are those of an output that sees its
    own pixel (running sum updated before the output) or of one that is one pixel behind.
    """
    from autograder.reference.models.nade import nade_logits

    gen = torch.Generator().manual_seed(5000 + int(seed))
    for D, H, B in NADE_CONFIGS:
        W, c, V, b = _nade_params(D, H, gen)
        x = torch.randint(0, 2, (B, D), generator=gen).float()
        got = _tensor(probe(W.clone(), c.clone(), V.clone(), b.clone(), x.clone()), "NADE.forward")
        if tuple(got.shape) != (B, D):
            return CheckResult.fail(name, f"NADE.forward returned logits shaped {tuple(got.shape)} for x shaped "
                                          f"{(B, D)}; expected (B, D) = {(B, D)}",
                                    hint="return one Bernoulli logit per pixel: (B, D)")
        got = got.double()
        close = lambda shift: bool(torch.allclose(got, nade_logits(W, c, V, b, x, shift), atol=NADE_ATOL, rtol=1e-4))
        if close(0):
            continue
        where = f"(D={D}, H={H})"
        if close(1):
            return CheckResult.fail(name, f"the logit of pixel d is computed after x_d was added to the running sum: "
                                          f"output d sees its own pixel x_d {where}",
                                    hint="compute h_d = sigmoid(a_d) and the output first, then a += W[:, d] x_d "
                                         "(with cumsum: subtract the current column, or shift by one)")
        if close(-1):
            return CheckResult.fail(name, f"the logits are one pixel behind: output d sees only x_0 .. x_(d-2), not "
                                          f"x_(d-1) {where}",
                                    hint="output d uses a_d = c + sum_{j<d} W[:, j] x_j, including j = d - 1")
        err = float((got - nade_logits(W, c, V, b, x)).abs().max())
        return CheckResult.fail(name, f"NADE.forward differs from the formula b_d + V_d . sigmoid(c + W[:, :d] x[:d]) "
                                      f"by up to {err:.3g} {where}",
                                hint="check the shapes: W is (H, D), V is (D, H); sigmoid of the pre-activation")
    return CheckResult.ok(name, f"logits equal the NADE formula on {len(NADE_CONFIGS)} random parameter sets")


def check_nade_liveness(probe, seed: int = 0, name: str = "nade.autoregressive") -> CheckResult:
    """check_autoregressive (family ``made``) on a random NADE, plus full liveness: output d sees
    every x_j with j < d (NADE's h_d is a function of all of x_<d)."""
    from arkit.checks.autoregressive import check_autoregressive

    gen = torch.Generator().manual_seed(6000 + int(seed))
    D, H = 16, 8
    W, c, V, b = _nade_params(D, H, gen)
    result = check_autoregressive(lambda x: probe(W.clone(), c.clone(), V.clone(), b.clone(), x.float()), (D,),
                                  num_values=2, family="made", seed=int(seed), figure=False, name=name)
    if not result.passed:    # the family's hint speaks of MADE masks: say it in NADE's terms
        result.hint = ("output d may use a_d = c + sum_{j<d} W[:, j] x_j only: read the output before adding "
                       "W[:, d] x_d, and never use x_j for j >= d")
        return result
    coverage = float(result.details.get("coverage", 0.0))
    if coverage < 0.999:
        return CheckResult.fail(name, f"outputs do not see all earlier pixels (coverage of allowed pairs "
                                      f"{coverage:.2f}, expected 1.00): NADE's output d depends on every x_j, j < d",
                                hint="a_d must accumulate W[:, j] x_j for all j < d", score=0.5, **result.details)
    return result


def _grade_nade(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    probe = objects["seq_nade_probe"]
    return _all_of("seq_nade_test", [check_nade_equivalence(probe, ctx.seed), check_nade_liveness(probe, ctx.seed)])


# -- NADE cost ------------------------------------------------------------------------------------------

def check_nade_cost(cost_probe, name: str = "nade.cost") -> CheckResult:
    """``cost_probe(D, H, B) -> tensor([work, flops, elements])``: the work of one forward pass must grow
    like D (exponent <= 1.5 between the two sizes) and be at least B*D*H (one pass over W per example)."""
    parts = []
    for d1, d2, hidden, batch in COST_SIZES:
        counts = []
        for D in (d1, d2):
            out = _tensor(cost_probe(torch.tensor(D), torch.tensor(hidden), torch.tensor(batch)), "the cost probe")
            counts.append(float(out.reshape(-1)[0]))
        w1, w2 = counts
        if min(counts) < batch * d1 * hidden:
            return CheckResult.fail(name, f"one forward pass of NADE({d1}, {hidden}) on {batch} images counted "
                                          f"{w1:.3g} work units, less than one pass over W per image "
                                          f"({batch * d1 * hidden}): the forward pass does not compute NADE's logits "
                                          f"with torch", rows=[(d1, w1), (d2, w2)],
                                    hint="implement NADE.forward with torch operations")
        exponent = math.log(w2 / w1) / math.log(d2 / d1)
        growth = (f"D {d1} -> {d2} ({d2 / d1:.3g}x), H = {hidden}: work {w1:.3g} -> {w2:.3g} ({w2 / w1:.3g}x, "
                  f"total ~ D^{exponent:.2f})")
        if exponent > COST_LIMIT:
            return CheckResult.fail(name, f"the forward pass costs O(D^2 H), not O(DH): {growth}; it recomputes "
                                          f"W[:, :d] x[:d] (or a product of that size) for every position d",
                                    exponent=exponent, rows=[(d1, w1), (d2, w2)],
                                    hint="keep the pre-activation a and add one column per step: a += W[:, d] x_d "
                                         "(or torch.cumsum over the columns W[:, d] x_d)")
        parts.append(growth)
    return CheckResult.ok(name, "O(DH) forward pass: " + "; ".join(parts))


def _grade_nade_cost(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    result = check_nade_cost(objects["seq_nade_cost_probe"])
    result.name = "seq_nade_cost_test"
    return result


# -- RNN model ------------------------------------------------------------------------------------------

def check_rnn_inputs(fn, seed: int = 0, name: str = "rnn.inputs") -> CheckResult:
    """``rnn_inputs(x, coords)`` equals the documented features (shifted value, start flag, and the
    (row, column) of the predicted pixel scaled to [0, 1]); named causes for the usual slips."""
    from autograder.reference.models.rnn import rnn_inputs

    gen = torch.Generator().manual_seed(7000 + int(seed))
    for shape in ((3, 1, 5, 7), (2, 1, 4, 4)):
        x = torch.randint(0, 2, shape, generator=gen)
        for coords in (False, True):
            got = _tensor(fn(x.clone(), torch.tensor(coords)), "rnn_inputs")
            want = rnn_inputs(x, coords)
            call = f"rnn_inputs(x shaped {tuple(shape)}, coords={coords})"
            if tuple(got.shape) != tuple(want.shape):
                return CheckResult.fail(name, f"{call} returned {tuple(got.shape)}, expected {tuple(want.shape)} "
                                              f"(B, D, F)", hint="F = 2 without coordinates, 4 with them")
            got = got.double()
            same = lambda a, b: bool(torch.allclose(a, b, atol=1e-6))
            if not same(got[..., 0], want[..., 0]):
                if same(got[..., 0], rnn_inputs(x, coords, value_shift=0)[..., 0]):
                    return CheckResult.fail(name, f"{call}: feature 0 at step t is x_t, not x_(t-1): the input is "
                                                  f"not shifted by one, so every pixel's logit sees the pixel itself",
                                            hint="prepend a 0 (start) and drop the last pixel: cat([0, x[:, :-1]])")
                return CheckResult.fail(name, f"{call}: feature 0 is not the previous pixel x_(t-1) (0 at t = 0)")
            if not same(got[..., 1], want[..., 1]):
                return CheckResult.fail(name, f"{call}: feature 1 is not the start flag (1 at t = 0, else 0)")
            if coords and not same(got[..., 2:], want[..., 2:]):
                if same(got[..., 2:], rnn_inputs(x, coords, coords_shift=-1)[..., 2:]):
                    return CheckResult.fail(name, f"{call}: features 2, 3 are the coordinates of the previous pixel "
                                                  f"(the one read), not of the pixel being predicted",
                                            hint="pixel t = W i + j: row i / (H - 1), column j / (W - 1)")
                return CheckResult.fail(name, f"{call}: features 2, 3 are not (row / (H - 1), column / (W - 1)) of "
                                              f"the pixel being predicted")
    return CheckResult.ok(name, "input features right (shift by one, start flag, coordinates)")


def _grade_rnn_model(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    from arkit.checks.autoregressive import check_autoregressive

    probe = objects["seq_rnn_ar_probe"]
    parts = [check_rnn_inputs(objects["seq_rnn_inputs"], ctx.seed)]
    for coords, shape in zip((False, True), RNN_CANVASES):
        parts.append(check_autoregressive(lambda x, c=coords: probe(x, torch.tensor(c)), shape, num_values=2,
                                          family="pixelcnn", convolutional=False, output_shape=shape,
                                          seed=int(ctx.seed), figure=False, name=f"PixelRNN(coords={coords})"))
    return _all_of("seq_rnn_model_test", parts)


# -- held-out thresholds -------------------------------------------------------------------------------

def _threshold(objects, ctx: GradingContext, question: str, spec: ParamFnSpec) -> CheckResult:
    """Held-out NLL (nats/dim) of one scored RNN against the calibrated threshold; no better than a
    uniform model (ln 2 nats/dim) earns nothing."""
    from autograder.checks.threshold import check_threshold

    label = f"{spec.dataset}, {'with' if spec.name.endswith('_xy_params') else 'without'} coordinates"
    result = check_threshold(objects[spec.name], ASSIGNMENT, spec.dataset, question, "bernoulli",
                             profile=ctx.profile, max_examples=HELDOUT_LIMIT.get(ctx.profile))
    result.label = label
    measured = result.details.get("nats_per_dim")
    if measured is not None and not result.passed and measured >= math.log(2):
        failed = CheckResult.fail(result.name, f"{result.message.rstrip('.')}. Not better than a uniform "
                                               f"distribution ({math.log(2):.4f} nats/dim): the model has not learned.",
                                  hint=result.hint, **result.details)
        failed.label = label
        return failed
    return result


def _grade_nll(question: str):
    def grade(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
        result = _threshold(objects, ctx, question, PARAM_FNS[question][0])
        result.name = question
        return result
    return grade


# -- Row LSTM -------------------------------------------------------------------------------------------

def _grade_rowlstm(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    from arkit.checks.autoregressive import check_autoregressive

    return check_autoregressive(objects["seq_rowlstm_model"], SHAPES_SHAPE, num_values=2, family="pixelcnn",
                                convolutional=False, output_shape=SHAPES_SHAPE, seed=int(ctx.seed), figure=False,
                                name="seq_rowlstm_test")


QUESTIONS = [
    Question("seq_nade_test", NOTEBOOK, 7, ("seq_nade_probe",), _grade_nade,
             "NADE forward: the formula, autoregressive, every earlier pixel seen"),
    Question("seq_nade_cost_test", NOTEBOOK, 4, ("seq_nade_cost_probe",), _grade_nade_cost,
             "NADE forward costs O(DH)"),
    Question("seq_rnn_model_test", NOTEBOOK, 4, ("seq_rnn_inputs", "seq_rnn_ar_probe"), _grade_rnn_model,
             "RNN over pixels: shifted inputs, coordinates, autoregressive"),
    *(Question(qid, NOTEBOOK, 2, (spec.name,), _grade_nll(qid),
               f"RNN on {spec.dataset}, {'with' if qid.endswith('_xy_test') else 'without'} coordinates: held-out NLL",
               param_fns=(spec,)) for qid, (spec,) in PARAM_FNS.items()),
    Question("seq_rowlstm_test", NOTEBOOK, 2, ("seq_rowlstm_model",), _grade_rowlstm,
             "Row LSTM: autoregressive, sees its immediate past"),
]
for _question in QUESTIONS:
    register(ASSIGNMENT, _question)
assert sum(q.points for q in QUESTIONS) == 25

# One-bug example submissions (the kind of bug students make); each fails the question(s) named.
MUTATIONS = (
    Mutation("seq_nade_sees_itself", NOTEBOOK, "seq_nade",
             "a = self.c + torch.cumsum(contrib, dim=1) - contrib", "a = self.c + torch.cumsum(contrib, dim=1)",
             "NADE running sum includes x_d before the output for x_d is computed: each output sees its own pixel "
             "(loses seq_nade_test, 7 points)",
             expect=("seq_nade_test", "sees its own pixel")),
    Mutation("seq_rnn_not_shifted", NOTEBOOK, "seq_rnn",
             "prev = torch.cat([torch.zeros(B, 1), v[:, :-1]], dim=1)", "prev = v",
             "RNN input not shifted by one: each pixel's logit reads the pixel itself (loses seq_rnn_model_test, 4, "
             "and the four held-out NLL questions, 8, whose audit sees the same leak: 12 points)",
             expect=("seq_rnn_model_test", "not shifted")),
    Mutation("seq_rnn_coords_of_previous", NOTEBOOK, "seq_rnn",
             "rows = torch.arange(H).repeat_interleave(W).float() / max(H - 1, 1)\n"
             "        cols = torch.arange(W).repeat(H).float() / max(W - 1, 1)",
             "t = (torch.arange(H * W) - 1).clamp(min=0)\n"
             "        rows, cols = (t // W).float() / max(H - 1, 1), (t % W).float() / max(W - 1, 1)",
             "coordinates of the pixel just read instead of the pixel being predicted (loses the features third of "
             "seq_rnn_model_test, 1.33 of its 4 points; the model is still autoregressive and trains as well)",
             expect=("seq_rnn_model_test", "previous pixel")),
)
