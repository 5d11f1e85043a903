"""Questions of notebook ``03_pixelcnn`` (45 points).

Every grade function only *calls* the exposed objects with inputs it chooses
and decides with trusted code: the reference masks, ``check_autoregressive``
(gradients locally, single-input perturbations through forward-only proxies),
the trusted categorical likelihood for held-out NLLs, and the closed-form
blind spot below.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch
import torch.nn.functional as F

from arkit.checks.result import CheckResult, combine
from autograder.assignments.base import GradingContext, Question, register
from autograder.assignments.spec import ParamFnSpec

ASSIGNMENT = "hw1"
NOTEBOOK = "03_pixelcnn"
CI_MAX_EXAMPLES = 1000          # held-out images per threshold evaluation in the ci profile
SHAPES_SHAPE, MNIST_SHAPE, COLOR_SHAPE = (1, 20, 20), (1, 28, 28), (3, 20, 20)
AR_AUDIT_IMAGES = 48            # held-out images (and their splices) audited for each AR question

# Trusted declarations: the models the AR questions check, and the parameter functions scored for
# held-out NLL (each tied to the model its AR question checks where there is one).
SHAPES_MODEL = ParamFnSpec("pixelcnn_shapes_model", "shapes", "categorical", SHAPES_SHAPE)
GATED_MODEL = ParamFnSpec("pixelcnn_gated_model", "shapes", "categorical", SHAPES_SHAPE)
COLOR_MODEL = ParamFnSpec("pixelcnn_color_model", "shapes_color", "categorical", COLOR_SHAPE)
COND_MODEL = ParamFnSpec("pixelcnn_cond_model", "shapes", "categorical", SHAPES_SHAPE, conditional=True)
SHAPES_PARAMS = ParamFnSpec("pixelcnn_shapes_params", "shapes", "categorical", SHAPES_SHAPE,
                            same_model_as="pixelcnn_shapes_model")
MNIST_PARAMS = ParamFnSpec("pixelcnn_mnist_params", "mnist_binary", "categorical", MNIST_SHAPE)
COLOR_PARAMS = ParamFnSpec("pixelcnn_color_params", "shapes_color", "categorical", COLOR_SHAPE,
                           same_model_as="pixelcnn_color_model")
COND_PARAMS = ParamFnSpec("pixelcnn_cond_params", "shapes", "categorical", SHAPES_SHAPE, conditional=True,
                          same_model_as="pixelcnn_cond_model")


def _max_examples(ctx: GradingContext) -> int | None:
    """Held-out subset size: the first 1000 images in ci (calibration uses the same), all otherwise."""
    return CI_MAX_EXAMPLES if ctx.profile == "ci" else None


def _threshold(param_fn, ctx: GradingContext, question: str, dataset: str, conditional: bool = False) -> CheckResult:
    """Held-out NLL (nats/dim) against the calibrated threshold (``details`` carry the measurement)."""
    from autograder.checks.threshold import check_threshold

    result = check_threshold(param_fn, ASSIGNMENT, dataset, question, "categorical", ctx.profile,
                             max_examples=_max_examples(ctx), conditional=conditional)
    result.label = dataset  # what the student reads before this part's message
    return result


def _autoregressive(model, shape, ctx: GradingContext, name: str, heldout: ParamFnSpec | None = None,
                    **kwargs) -> CheckResult:
    """check_autoregressive (noise probes, liveness), then the trusted audit on held-out images and
    their splices (``heldout``): a model causal on noise but peeking on real images gets 0."""
    from arkit.checks.autoregressive import check_autoregressive
    from autograder.checks.ar_audit import audit_heldout

    result = check_autoregressive(model, shape, seed=ctx.seed, name=name, **kwargs)
    if heldout is None or not result.passed and result.score == 0:
        return result
    audit = audit_heldout(model, heldout, AR_AUDIT_IMAGES, seed=ctx.seed, name=name)
    return result if audit.passed else audit


# ----------------------------------------------------------------- 1. masks
def grade_mask(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """Public property check plus exact equality with the reference on many configurations."""
    from arkit.checks.masks import check_pixelcnn_mask
    from autograder.checks.masks_reference import check_pixelcnn_mask_exact

    fn = objects["pixelcnn_mask"]
    return combine("pixelcnn_mask", [check_pixelcnn_mask(fn), check_pixelcnn_mask_exact(fn)])


# (mask_type, in_channels, out_channels, kernel_size, color_channels)
CONV_CONFIGS = (("A", 1, 4, 3, 1), ("B", 4, 4, 5, 1), ("A", 3, 6, 3, 3), ("B", 6, 9, 5, 3), ("B", 4, 2, 1, 1))


def _conv_problem(r: Mapping[str, Any], x: torch.Tensor, config) -> tuple[str, str] | None:
    """(cause, hint) of what is wrong with one ``masked_conv_probe`` report (None if nothing)."""
    from autograder.reference.masks import pixelcnn_mask

    t, cin, cout, k, cc = config
    where = f" (MaskedConv2d({t!r}, {cin}, {cout}, {k}, color_channels={cc}))"
    if not isinstance(r, Mapping) or not all(isinstance(r.get(key), torch.Tensor) for key in
                                             ("out", "weight", "bias", "weight_after", "weight_grad")):
        return "the probe did not return the expected tensors" + where, "do not change the probe cell"
    mask = pixelcnn_mask(k, t, cin, cout, cc).double()
    w, b, xd = r["weight"].double(), r["bias"].double(), x.double()
    if tuple(w.shape) != (cout, cin, k, k):
        return (f"weight shaped {tuple(w.shape)}, expected {(cout, cin, k, k)}" + where,
                "pass the arguments on to nn.Conv2d")
    want = F.conv2d(xd, w * mask, b, padding=k // 2)
    out = r["out"].double()
    if tuple(out.shape) != tuple(want.shape):
        return (f"output shaped {tuple(out.shape)}, expected {tuple(want.shape)} (same height and width as the input)"
                + where, "use padding=kernel_size // 2")
    if not torch.equal(r["weight_after"], r["weight"]):
        return ("forward() changed self.weight" + where,
                "never overwrite the weights: multiply by the mask in forward")
    if not torch.allclose(out, want, atol=1e-4, rtol=1e-4):
        if k > 1 and torch.allclose(out, F.conv2d(xd, w, b, padding=k // 2), atol=1e-4, rtol=1e-4):
            return ("the mask is not applied: the output equals the unmasked convolution" + where,
                    "forward must use F.conv2d(x, self.weight * self.mask, ...)")
        err = float((out - want).abs().max())
        return (f"output differs from F.conv2d(x, weight * mask, bias) by up to {err:.3g}" + where,
                "use the mask of pixelcnn_mask")
    leak = r["weight_grad"].double()[mask == 0].abs()
    if leak.numel() and float(leak.max()) > 0:
        return "masked weight taps receive gradients" + where, "apply the mask inside forward"
    if not bool(r.get("mask_is_buffer", torch.tensor(False))):
        return "the mask is not a buffer" + where, "use self.register_buffer('mask', ...)"
    expected = cout * cin * k * k + cout
    if int(r.get("num_parameters", torch.tensor(expected))) != expected:
        return (f"{int(r['num_parameters'])} trainable parameters instead of {expected}: the mask is trained"
                + where, "the mask must be a buffer, not an nn.Parameter")
    return None


def grade_conv(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """MaskedConv2d equals conv2d with weight * reference mask; weights untouched; masked grads 0."""
    probe = objects["pixelcnn_conv_probe"]
    gen = torch.Generator().manual_seed(ctx.seed)
    problems = []
    for n, config in enumerate(CONV_CONFIGS):
        x = torch.randn(2, config[1], 7, 6, generator=gen)
        problem = _conv_problem(probe(*config, x.clone(), ctx.seed + n), x, config)
        if problem:
            problems.append(problem)
    if problems:
        return CheckResult.fail("pixelcnn_conv", problems[0][0], score=1 - len(problems) / len(CONV_CONFIGS),
                                hint=problems[0][1], problems=[p[0] for p in problems])
    return CheckResult.ok("pixelcnn_conv", f"MaskedConv2d is right on {len(CONV_CONFIGS)} configurations")


# ----------------------------------------------------------------- 2. model and training
def grade_ar(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """The trained shapes PixelCNN is autoregressive in raster order and sees its immediate past."""
    return _autoregressive(objects["pixelcnn_shapes_model"], SHAPES_SHAPE, ctx, "pixelcnn.autoregressive",
                           heldout=SHAPES_MODEL, num_values=2, family="pixelcnn")


def grade_nll(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """Held-out NLL thresholds on shapes and mnist_binary (half the points each)."""
    parts = [_threshold(objects["pixelcnn_shapes_params"], ctx, "pixelcnn_nll_test", "shapes"),
             _threshold(objects["pixelcnn_mnist_params"], ctx, "pixelcnn_nll_test", "mnist_binary")]
    result = combine("pixelcnn_nll", parts)
    if result.passed:                       # show both measurements, not just "all parts passed"
        result.message = "; ".join(p.message for p in parts)
    return result


# ----------------------------------------------------------------- 3. blind spot
def reference_blind_spot(num_layers: int, kernel_size: int, height: int, width: int, pixel) -> torch.Tensor:
    """Blind spot of 1 type-A + ``num_layers - 1`` type-B kxk masked convolutions, closed form.

    With p = k // 2 one layer moves a dependency at most p rows up, p columns left,
    and p columns right only while moving at least one row up. So input (i - d, j + e)
    is reachable iff d <= L p and: d = 0 and -L p <= e < 0, or d >= 1 and
    -L p <= e <= p min(L, d). The causal window is 0 <= d <= R, |e| <= R (R = L p),
    before the pixel in raster order; the blind spot is the window minus the
    reachable set: 1 <= d < L and p d < e <= R, clipped to the image.
    Returns bool (height, width).
    """
    i, j = int(pixel[0]), int(pixel[1])
    p, L = kernel_size // 2, num_layers
    d = i - torch.arange(height).view(-1, 1)
    e = torch.arange(width).view(1, -1) - j
    return (d >= 1) & (d < L) & (e > p * d) & (e <= L * p)


# (num_layers, kernel_size, height, width, pixel): interior, borders, one layer (no blind spot)
BLIND_SPOT_CONFIGS = ((1, 3, 8, 8, (4, 4)), (2, 3, 8, 8, (4, 4)), (5, 3, 20, 20, (14, 10)),
                      (3, 5, 12, 12, (6, 6)), (4, 7, 28, 28, (20, 15)), (3, 3, 10, 10, (5, 9)),
                      (4, 3, 10, 10, (1, 4)), (6, 3, 9, 16, (8, 2)))


def grade_blind_spot(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """``blind_spot_mask`` equals the closed form on interior and border configurations."""
    fn = objects["pixelcnn_blind_spot"]
    wrong = []
    for L, k, h, w, pixel in BLIND_SPOT_CONFIGS:
        where = f"blind_spot_mask({L}, {k}, {h}, {w}, {pixel})"
        got = fn(L, k, h, w, pixel)
        if not isinstance(got, torch.Tensor) or tuple(got.shape) != (h, w):
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            wrong.append(f"{where} returned {shape}, expected a bool tensor shaped ({h}, {w})")
            continue
        got, want = got.bool(), reference_blind_spot(L, k, h, w, pixel)
        if not torch.equal(got, want):
            missing = [tuple(v) for v in torch.nonzero(want & ~got).tolist()][:4]
            extra = [tuple(v) for v in torch.nonzero(got & ~want).tolist()][:4]
            text = f"{where}: {int(want.sum())} blind pixels expected"
            if missing:
                text += f"; missing e.g. (row, col) {missing}"
            if extra:
                text += f"; wrongly included e.g. {extra} (these are seen, or outside the causal window)"
            wrong.append(text)
    score = 1 - len(wrong) / len(BLIND_SPOT_CONFIGS)
    if wrong:
        return CheckResult.fail("pixelcnn_blind_spot", f"{len(wrong)} of {len(BLIND_SPOT_CONFIGS)} cases wrong: "
                                + wrong[0], score=score, wrong=wrong)
    return CheckResult.ok("pixelcnn_blind_spot", f"blind spot right in all {len(BLIND_SPOT_CONFIGS)} cases")


# ----------------------------------------------------------------- 4. gated
def grade_gated(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """Autoregressive (half credit) and no blind spot (the rest): liveness family 'gated'."""
    return _autoregressive(objects["pixelcnn_gated_model"], SHAPES_SHAPE, ctx, "gated_pixelcnn",
                           heldout=GATED_MODEL, num_values=2, family="gated")


# ----------------------------------------------------------------- 5. colour
def grade_color_ar(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """Autoregressive in raster order with R -> G -> B inside each pixel."""
    from arkit.checks.orders import raster_order

    return _autoregressive(objects["pixelcnn_color_model"], COLOR_SHAPE, ctx, "color_pixelcnn", heldout=COLOR_MODEL,
                           order=raster_order(*COLOR_SHAPE), num_values=4, family="pixelcnn",
                           channels="autoregressive", output_shape=(4, *COLOR_SHAPE))


def grade_color_nll(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    return _threshold(objects["pixelcnn_color_params"], ctx, "pixelcnn_color_nll_test", "shapes_color")


# ----------------------------------------------------------------- 6. conditional
def _num_classes() -> int:
    from arkit.data import load_dataset

    return len(load_dataset("shapes", "valid").info.extra["classes"])


def check_class_used(model, num_classes: int, seed: int = 0, batch: int = 4) -> CheckResult:
    """Logits for the same images must change when only the class label changes (every class)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 2, (batch, *SHAPES_SHAPE), generator=gen)
    with torch.no_grad():
        outs = [torch.as_tensor(model(x.clone(), torch.full((batch,), c, dtype=torch.long))).detach().double()
                for c in range(num_classes)]
    same = [c for c in range(1, num_classes)
            if float((outs[c] - outs[0]).abs().max()) <= 1e-5 * (1 + float(outs[0].abs().max()))]
    if same:
        what = "any class" if len(same) == num_classes - 1 else f"classes {same} (vs class 0)"
        return CheckResult.fail("conditional.class_used",
                                f"the logits do not change with {what}: the model ignores the class",
                                score=1 - len(same) / (num_classes - 1),
                                hint="add the class bias V onehot(y) to every hidden layer")
    return CheckResult.ok("conditional.class_used", f"the logits change with each of the {num_classes} classes")


def grade_cond(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """Autoregressive for random classes, and the class changes the logits."""
    model, k = objects["pixelcnn_cond_model"], _num_classes()
    return combine("conditional_pixelcnn", [
        _autoregressive(model, SHAPES_SHAPE, ctx, "conditional.autoregressive", heldout=COND_MODEL, num_values=2,
                        num_classes=k, family="pixelcnn"),
        check_class_used(model, k, ctx.seed),
    ])


def grade_cond_nll(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    return _threshold(objects["pixelcnn_cond_params"], ctx, "pixelcnn_cond_nll_test", "shapes", conditional=True)


# ----------------------------------------------------------------- 7. completion
def check_completion(complete, images: torch.Tensor, start_row: int, seed: int = 0) -> CheckResult:
    """Completions keep rows < start_row, never read rows >= start_row, are binary and random.

    ``complete(x, start_row, seed) -> (N, C, H, W)``. Three calls: the images with the
    hidden rows zeroed, the same with the hidden rows set to 1 (same seed: the results
    must be identical), and the zeroed images with another seed (must differ somewhere).
    """
    name = "completion"
    zeros = images.clone().long()
    zeros[:, :, start_row:] = 0
    ones = zeros.clone()
    ones[:, :, start_row:] = 1
    a = complete(zeros.clone(), start_row, seed)
    if not isinstance(a, torch.Tensor) or tuple(a.shape) != tuple(images.shape):
        shape = tuple(a.shape) if isinstance(a, torch.Tensor) else type(a).__name__
        return CheckResult.fail(name, f"the completion is {shape}, expected a tensor shaped {tuple(images.shape)}")
    if a.dtype.is_floating_point and not torch.equal(a, a.round()):
        return CheckResult.fail(name, "the completion holds non-integer values (probabilities?)",
                                hint="sample values, do not return probabilities")
    a = a.long()
    if int(a.min()) < 0 or int(a.max()) > 1:
        return CheckResult.fail(name, f"values outside 0..1 (min {int(a.min())}, max {int(a.max())})")
    if not torch.equal(a[:, :, :start_row], zeros[:, :, :start_row]):
        return CheckResult.fail(name, f"rows above start_row={start_row} were changed", score=0.0,
                                hint="keep the visible rows as they are; sample only rows >= start_row")
    b = torch.as_tensor(complete(ones.clone(), start_row, seed)).long()
    c = torch.as_tensor(complete(zeros.clone(), start_row, seed + 1)).long()
    problems = []
    if not torch.equal(a, b):
        problems.append("with the same seed, inputs that differ only in the hidden rows gave different "
                        "completions: the sampler reads pixels it should generate (or does not use `generator`)")
    if torch.equal(a, c):
        problems.append("two seeds gave identical completions: the hidden rows are not sampled")
    if problems:
        return CheckResult.fail(name, "; ".join(problems), score=0.5 * (2 - len(problems)) / 2)
    return CheckResult.ok(name, f"completions keep rows 0..{start_row - 1}, are binary and sampled")


def grade_completion(objects: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    from arkit.data import load_dataset

    images = torch.from_numpy(load_dataset("mnist_binary", "valid").x[:3].astype("int64"))
    return check_completion(objects["pixelcnn_complete"], images, 14, ctx.seed)


QUESTIONS = [
    Question("pixelcnn_mask_test", NOTEBOOK, 5, ("pixelcnn_mask",), grade_mask, "PixelCNN masks"),
    Question("pixelcnn_conv_test", NOTEBOOK, 3, ("pixelcnn_conv_probe",), grade_conv, "MaskedConv2d"),
    Question("pixelcnn_ar_test", NOTEBOOK, 5, ("pixelcnn_shapes_model",), grade_ar,
             "PixelCNN: autoregressive and live"),
    Question("pixelcnn_nll_test", NOTEBOOK, 6, ("pixelcnn_shapes_params", "pixelcnn_mnist_params"), grade_nll,
             "PixelCNN: held-out NLL on shapes and mnist_binary", param_fns=(SHAPES_PARAMS, MNIST_PARAMS)),
    Question("pixelcnn_blindspot_test", NOTEBOOK, 4, ("pixelcnn_blind_spot",), grade_blind_spot,
             "Receptive field: the blind spot"),
    Question("pixelcnn_gated_test", NOTEBOOK, 6, ("pixelcnn_gated_model",), grade_gated,
             "Gated PixelCNN: autoregressive, no blind spot"),
    Question("pixelcnn_color_ar_test", NOTEBOOK, 3, ("pixelcnn_color_model",), grade_color_ar,
             "Colour PixelCNN: autoregressive in R -> G -> B"),
    Question("pixelcnn_color_nll_test", NOTEBOOK, 3, ("pixelcnn_color_params",), grade_color_nll,
             "Colour PixelCNN: held-out NLL on shapes_color", param_fns=(COLOR_PARAMS,)),
    Question("pixelcnn_cond_test", NOTEBOOK, 3, ("pixelcnn_cond_model",), grade_cond,
             "Conditional PixelCNN: autoregressive and uses the class"),
    Question("pixelcnn_cond_nll_test", NOTEBOOK, 3, ("pixelcnn_cond_params",), grade_cond_nll,
             "Conditional PixelCNN: held-out NLL on shapes", param_fns=(COND_PARAMS,)),
    Question("pixelcnn_completion_test", NOTEBOOK, 4, ("pixelcnn_complete",), grade_completion,
             "Image completion"),
]
for _question in QUESTIONS:
    register(ASSIGNMENT, _question)
assert sum(q.points for q in QUESTIONS) == 45
