"""Questions of the attack fixture ``atk1`` (registered on import): the real hw1 machinery on tiny data.

Each NLL question declares its parameter function (:class:`ParamFnSpec`, ``calibrated=False``:
the question brings its own held-out split and threshold) and scores it with
:func:`check_threshold` (explicit ``split=``/``entry=``, the true pmf where there is one); the
AR question runs ``check_autoregressive`` and the audit on held-out images, as hw1 does.
The held-out split is the "public" test split (``PUBLIC_TEST_SEED``), like MNIST t10k.
"""
from __future__ import annotations

import math
import sys
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import torch

from arkit.checks.result import CheckResult
from autograder.assignments.base import Question, register
from autograder.assignments.spec import ParamFnSpec

sys.path.insert(0, str(Path(__file__).resolve().parent))
import data as D  # noqa: E402  (the notebook's setup code)

ASSIGNMENT, NOTEBOOK = "atk1", "01_models"
SOURCE_DIR = Path(__file__).resolve().parent / "source" / ASSIGNMENT

HIST = ParamFnSpec("hist_params", "atk_1d", "categorical", (), calibrated=False)
JOINT = ParamFnSpec("joint_params", "atk_2d", "categorical", (2,), calibrated=False)
IMG = ParamFnSpec("img_params", "atk_img", "bernoulli", (1, 8, 8), same_model_as="img_model", calibrated=False)
IMG_MODEL = ParamFnSpec("img_model", "atk_img", "bernoulli", (1, 8, 8), calibrated=False)
COLOR = ParamFnSpec("color_params", "atk_color", "categorical", (3, 4, 4), calibrated=False)

SAMPLERS = {"atk_1d": D.sample_1d, "atk_2d": D.sample_2d, "atk_img": D.sample_images, "atk_color": D.sample_color}
FITS = {"atk_1d": D.fit_hist, "atk_2d": D.fit_joint, "atk_img": D.fit_images, "atk_color": D.fit_color}
LIKELIHOOD = {"atk_1d": "categorical", "atk_2d": "categorical", "atk_img": "bernoulli", "atk_color": "categorical"}
NUM_VALUES = {"atk_1d": 8, "atk_2d": 5, "atk_img": 2, "atk_color": 2}
TRUE_PMF = {"atk_1d": D.P1, "atk_2d": D.P2}


@lru_cache(maxsize=None)
def heldout(dataset: str):
    x = SAMPLERS[dataset](D.N_TEST, D.PUBLIC_TEST_SEED)
    return SimpleNamespace(x=x, y=None, info=SimpleNamespace(num_values=NUM_VALUES[dataset]))


@lru_cache(maxsize=None)
def entry(dataset: str) -> dict:
    """The 'calibration': the reference (count-fitted on the training seed) NLL + 0.02 nats/dim."""
    from autograder.checks.threshold import evaluate_nll

    ref = evaluate_nll(FITS[dataset](SAMPLERS[dataset](2000, D.TRAIN_SEED)), heldout(dataset).x,
                       LIKELIHOOD[dataset], num_values=NUM_VALUES[dataset])
    return {"threshold": ref + 0.02, "loose_bound": ref + 0.3, "measured": [ref]}


def _threshold(objects, ctx, spec: ParamFnSpec, qid: str) -> CheckResult:
    from autograder.checks.threshold import check_threshold

    ds = spec.dataset
    return check_threshold(objects[spec.name], ASSIGNMENT, ds, qid, LIKELIHOOD[ds], ctx.profile,
                           split=heldout(ds), entry=entry(ds), num_values=NUM_VALUES[ds], true_pmf=TRUE_PMF.get(ds))


def grade_img_ar(objects, ctx) -> CheckResult:
    from arkit.checks.autoregressive import check_autoregressive
    from autograder.checks.ar_audit import check_ar_on_data

    model = objects["img_model"]
    res = check_autoregressive(model, (1, 8, 8), num_values=2, family="generic", convolutional=False,
                               seed=ctx.seed, name="atk_img_ar_test", figure=False)
    if not res.passed:
        return res
    audit = check_ar_on_data(model, IMG_MODEL, torch.as_tensor(heldout("atk_img").x[:48]), seed=ctx.seed,
                             name="atk_img_ar_test")
    return res if audit.passed else audit


def grade_grad(objects, ctx) -> CheckResult:
    from arkit.checks.finite import check_finite_gradients

    g = torch.Generator().manual_seed(ctx.seed)
    x = torch.randint(0, 4, (32,), generator=g)
    logits = torch.randn(32, 4, generator=g, dtype=torch.float64)
    res = check_finite_gradients(objects["logp"], {"x": x, "logits": logits}, name="atk_grad_test")
    if res.passed:
        got = torch.as_tensor(objects["logp"](x.clone(), logits.clone())).double()
        if got.shape != (32,) or not torch.allclose(got, torch.log_softmax(logits, -1)[torch.arange(32), x]):
            return CheckResult.fail("atk_grad_test", "values differ from log_softmax(logits)[x]")
    return res


for _q in (
    Question("atk_hist_test", NOTEBOOK, 2, ("hist_params",), lambda o, c: _threshold(o, c, HIST, "atk_hist_test"),
             "1D histogram: held-out NLL", 60, param_fns=(HIST,)),
    Question("atk_joint_test", NOTEBOOK, 2, ("joint_params",), lambda o, c: _threshold(o, c, JOINT, "atk_joint_test"),
             "2D joint: held-out NLL", 60, param_fns=(JOINT,)),
    Question("atk_img_test", NOTEBOOK, 3, ("img_params",), lambda o, c: _threshold(o, c, IMG, "atk_img_test"),
             "images: held-out NLL", 60, param_fns=(IMG,)),
    Question("atk_img_ar_test", NOTEBOOK, 2, ("img_model",), grade_img_ar, "images: autoregressive", 60),
    Question("atk_color_test", NOTEBOOK, 3, ("color_params",), lambda o, c: _threshold(o, c, COLOR, "atk_color_test"),
             "colour: held-out NLL", 60, param_fns=(COLOR,)),
    Question("atk_grad_test", NOTEBOOK, 2, ("logp",), grade_grad, "log-likelihood: finite gradients", 60),
):
    register(ASSIGNMENT, _q)
