"""The trusted audit of declared parameter functions (no sandbox): every scored row is audited,
correct models written in different ways pass with their own outputs, and each way of peeking
fails with its cause named."""
import re

import pytest
import torch

from autograder.assignments.spec import ParamFnSpec
from autograder.checks.ar_audit import ARAuditError, AuditedParamFn, audit_objects, check_ar_on_data

BERN8 = ParamFnSpec("m", "fake", "bernoulli", (1, 8, 8))
FLAT = ParamFnSpec("m", "fake", "bernoulli", (10,))
HIST = ParamFnSpec("m", "fake", "categorical", ())
JOINT = ParamFnSpec("m", "fake", "categorical", (2,))
COLOR = ParamFnSpec("m", "fake", "categorical", (3, 4, 4))
PPP = ParamFnSpec("m", "fake", "pixelcnnpp", (3, 4, 4))
DMOL = ParamFnSpec("m", "fake", "dmol", ())


def rand(shape, high=2, seed=0):
    return torch.randint(0, high, shape, generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------- correct models, written differently
def flat_cumsum(x):                     # logit d = sum of earlier bits
    return torch.cumsum(x.float(), 1) - x.float()


def flat_loop(x):                       # the same rule as an explicit loop, float64 out
    out = torch.zeros(x.shape, dtype=torch.float64)
    for d in range(1, x.shape[1]):
        out[:, d] = x[:, :d].double().sum(1) * 0.5 - 1
    return out


def image_prev(x):                      # Bernoulli logits from the raster-previous pixel
    B = x.shape[0]
    s = x.float().reshape(B, -1)
    prev = torch.cat([torch.zeros(B, 1), s[:, :-1]], 1)
    return (2 * prev - 1).reshape(x.shape)


def image_conv(x):                      # a masked 3x3 convolution (type A), another way to be causal
    w = torch.ones(1, 1, 3, 3)
    w[0, 0, 1, 1:] = 0
    w[0, 0, 2] = 0
    return torch.nn.functional.conv2d(x.float(), w, padding=1) - 1


def hist_logits(x):                     # a histogram: the same logits for every example
    return torch.arange(5.0).expand(x.shape[0], 5).clone()


def joint_ar(x):                        # (B, V, 2): x[0] unconditional, x[1] given x[0]
    V = 6
    l0 = torch.zeros(x.shape[0], V)
    l1 = torch.nn.functional.one_hot(x[:, 0], V).float() * 3
    return torch.stack([l0, l1], 2)


def color_ar(x):                        # (B, V, C, H, W): channel c at pixel p sees pixels < p and channels < c at p
    B, C, H, W = x.shape
    v = x.float().permute(0, 2, 3, 1).reshape(B, -1)              # raster order, channels innermost
    prev = torch.cumsum(v, 1) - v
    logits = torch.stack([prev * (j - 1.5) / 10 for j in range(4)], 1)       # (B, 4, HW*C)
    return logits.reshape(B, 4, H, W, C).permute(0, 1, 4, 2, 3)


def color_independent(x):               # channels independent given the past pixels (legal under both rules)
    B, C, H, W = x.shape
    s = x.float().sum(1).reshape(B, -1)
    prev = (torch.cumsum(s, 1) - s).reshape(B, 1, 1, H, W)
    return torch.cat([prev * j / 10 for j in range(4)], 1).expand(B, 4, C, H, W).clone()


def ppp_ar(x):                          # (B, 10K, H, W) from past pixels only
    B, C, H, W = x.shape
    s = x.float().sum(1).reshape(B, -1)
    prev = (torch.cumsum(s, 1) - s).reshape(B, 1, H, W) / 100
    return prev.expand(B, 20, H, W).clone()


def dmol_shared(x):
    return torch.zeros(2), torch.tensor([3.0, 9.0]), torch.zeros(2)


def dmol_rows(x):
    n = x.shape[0]
    return torch.zeros(n, 2), torch.tensor([3.0, 9.0]).expand(n, 2).clone(), torch.zeros(n, 2)


CORRECT = [(FLAT, flat_cumsum, (64, 10)), (FLAT, flat_loop, (64, 10)), (BERN8, image_prev, (40, 1, 8, 8)),
           (BERN8, image_conv, (40, 1, 8, 8)), (HIST, hist_logits, (50,)), (JOINT, joint_ar, (50, 2)),
           (COLOR, color_ar, (30, 3, 4, 4)), (COLOR, color_independent, (30, 3, 4, 4)),
           (ParamFnSpec("m", "fake", "categorical", (3, 4, 4), color="independent"), color_independent,
            (30, 3, 4, 4)), (PPP, ppp_ar, (30, 3, 4, 4)), (DMOL, dmol_shared, (50,)), (DMOL, dmol_rows, (50,))]


@pytest.mark.parametrize("spec,fn,shape", CORRECT, ids=lambda v: getattr(v, "__name__", None))
def test_correct_models_pass_with_their_own_outputs(spec, fn, shape):
    """Does each correct model pass, get exactly its direct outputs, and have every row audited?"""
    high = 5 if spec.likelihood == "categorical" and len(spec.var_shape) < 3 else 4 if len(shape) == 4 else 2
    x = rand(shape, high)
    proxy = AuditedParamFn(fn, spec, seed=1)
    got, want = proxy(x), fn(x)
    if isinstance(want, tuple):
        assert all(torch.equal(a, b) for a, b in zip(got, want))
    else:
        assert torch.equal(got, want)
    assert proxy.audited_rows == shape[0] and proxy.unaudited_calls == 0


def test_conditional_labels_follow_their_rows():
    x, y = rand((32, 1, 8, 8)), torch.arange(32) % 3

    def cond(xb, yb):
        return image_prev(xb) + yb.float().view(-1, 1, 1, 1)

    proxy = AuditedParamFn(cond, BERN8)
    assert torch.equal(proxy(x, y), cond(x, y)) and proxy.audited_rows == 32


# ---------------------------------------------------------------- wrong models, one way each
def image_peek(x):                      # sees the pixel it predicts
    return (2 * x.float() - 1) * 5


def image_peek_one_pixel(x):            # honest except at pixel (3, 4)
    out = image_prev(x)
    out[:, :, 3, 4] = (2 * x[:, :, 3, 4].float() - 1) * 5
    return out


def hist_peek(x):                       # a 1D "histogram" that reads the value it scores
    return torch.nn.functional.one_hot(x, 5).float() * 10


def dmol_peek(x):
    n = x.shape[0]
    return torch.zeros(n, 1), x.double().view(n, 1), torch.full((n, 1), -3.0)


def joint_self(x):                      # x[1]'s logits see x[1] (the self-dependent 2D MADE)
    out = joint_ar(x)
    out[:, :, 1] = torch.nn.functional.one_hot(x[:, 1], 6).float() * 3
    return out


def batch_counter(x):
    """p(x_d = 1 | x_<d) counted over the rows of the batch (with add-0.01 smoothing): no data, no
    training, and every row counts itself."""
    B = x.shape[0]
    f = x.reshape(B, -1).float()
    D = f.shape[1]
    out = torch.zeros(B, D)
    for d in range(D):
        same = (f[:, None, :d] == f[None, :, :d]).all(-1).float()          # rows sharing the prefix
        ones = same @ f[:, d]
        p = (ones + 0.01) / (same.sum(1) + 0.02)
        out[:, d] = torch.log(p) - torch.log1p(-p)
    return out.reshape(x.shape)


def twin_detector(x):
    """Peeks unless another row of the batch shares a long prefix (the old audit's spliced twin)."""
    B = x.shape[0]
    f = x.reshape(B, -1)
    shared = (f[:, None, :8] == f[None, :, :8]).all(-1).sum(1) > 1
    return torch.where(shared.view(-1, 1, 1, 1), image_prev(x), image_peek(x))


def color_rg_peek(x):                   # R and G outputs see their own pixel's R and G; B is honest
    out = color_ar(x)
    own = x.float()
    out[:, :, 0] += own[:, None, 0] * 3
    out[:, :, 1] += own[:, None, 1] * 3
    return out


WRONG = [(BERN8, image_peek, (40, 1, 8, 8), "not autoregressive"),
         (BERN8, image_peek_one_pixel, (200, 1, 8, 8), "row 3, column 4"),
         (HIST, hist_peek, (50,), "must not depend on x"),
         (DMOL, dmol_peek, (50,), "must not depend on x"),
         (JOINT, joint_self, (50, 2), "output for x[1]"),
         (BERN8, batch_counter, (64, 1, 8, 8), "other examples of the batch"),
         (BERN8, twin_detector, (64, 1, 8, 8), "held-out example"),
         (COLOR, color_rg_peek, (40, 3, 4, 4), "channel"),
         (ParamFnSpec("m", "fake", "categorical", (3, 4, 4), color="independent"), color_ar, (40, 3, 4, 4),
          "not autoregressive")]


@pytest.mark.parametrize("spec,fn,shape,word", WRONG, ids=lambda v: getattr(v, "__name__", None))
def test_each_way_of_peeking_fails_with_its_cause(spec, fn, shape, word):
    high = 6 if spec is JOINT else 5 if spec.likelihood == "categorical" and not spec.var_shape else \
        4 if len(shape) == 4 and spec.var_shape[0] == 3 else 2
    with pytest.raises(ARAuditError, match=re.escape(word)):
        AuditedParamFn(fn, spec, seed=3)(rand(shape, high, seed=2))


def test_nondeterminism_is_named():
    with pytest.raises(ARAuditError, match="on chance"):
        AuditedParamFn(lambda x: torch.randn(x.shape), BERN8)(rand((16, 1, 8, 8)))


def test_colour_splices_start_at_every_channel():
    """Is a model whose G output sees its own G caught (the old audit only changed B)?"""
    def g_peek(x):
        out = color_ar(x)
        out[:, :, 1] += x[:, None, 1].float() * 3
        return out

    with pytest.raises(ARAuditError, match="channel G"):
        AuditedParamFn(g_peek, COLOR, seed=0)(rand((40, 3, 4, 4), 4))


def test_same_model_must_agree():
    """Two causal models that differ: the one scored must be the one checked for the AR property."""
    spec = ParamFnSpec("m", "fake", "bernoulli", (1, 8, 8), same_model_as="model")
    objs = audit_objects((spec,), {"m": image_prev, "model": image_conv})
    with pytest.raises(ARAuditError, match="different outputs"):
        objs["m"](rand((16, 1, 8, 8)))
    objs = audit_objects((spec,), {"m": image_prev, "model": lambda x: image_prev(x).clone()})
    assert torch.equal(objs["m"](rand((16, 1, 8, 8))), image_prev(rand((16, 1, 8, 8))))


def test_rows_are_spread_across_calls_and_alone():
    """Does the student's function see the scored rows in two calls plus one row alone, never
    a row together with its splice?"""
    seen = []

    def recorder(x):
        seen.append(x.clone())
        return image_prev(x)

    x = rand((32, 1, 8, 8))
    AuditedParamFn(recorder, BERN8)(x)
    assert [len(s) for s in seen][-1] == 1 and len(seen) == 3
    assert sum(len(s) for s in seen) >= 2 * 32
    for s in seen[:2]:
        f = s.reshape(len(s), -1)
        same_top = (f[:, None, :8] == f[None, :, :8]).all(-1).sum(1)
        assert int(same_top.max()) <= 3       # no systematic twin inside a call


def test_wrong_layout_is_left_to_scoring():
    """A layout the likelihood rejects is not audited here (scoring names it), and passes through."""
    proxy = AuditedParamFn(lambda x: torch.zeros(3), BERN8)
    assert proxy(rand((8, 1, 8, 8))).shape == (3,) and proxy.unaudited_calls == 1


def test_check_ar_on_data_catches_a_wrapper_causal_only_on_noise():
    """A model causal on noise-like inputs but peeking on real-looking (smooth) images fails."""
    def sly(x):
        f = x.reshape(x.shape[0], -1).float()
        noisy = (f[:, 1:] != f[:, :-1]).float().mean(1) > 0.3                  # many value changes
        return torch.where(noisy.view(-1, 1, 1, 1), image_prev(x), image_peek(x))

    real = torch.zeros(24, 1, 8, 8, dtype=torch.long)
    for i in range(24):
        real[i, 0, 2 + i % 3: 6, 1 + i % 4: 7] = 1                              # blobs
    assert check_ar_on_data(image_prev, BERN8, real).passed
    res = check_ar_on_data(sly, BERN8, real)
    assert not res.passed and "not autoregressive" in res.message and "held-out images" in res.message


# ---------------------------------------------------------------- the question decides, not the child
def test_grade_question_audits_exactly_the_declared_names():
    """A declared param_fn is audited whatever the child's metadata said; an undeclared object is
    passed through untouched; a declared name (or its same-model object) that is missing fails."""
    from autograder.assignments.base import GradingContext, Question, grade_question
    from arkit.checks.result import CheckResult

    def grade(objects, ctx):
        objects["m"](rand((16, 1, 8, 8)))
        return CheckResult.ok("q", f"graded {type(objects['m']).__name__} {type(objects['other']).__name__}")

    q = Question("q", "nb", 1, ("m", "other"), grade, param_fns=(BERN8,))
    ctx = GradingContext("hwx", "ci")
    res = grade_question(q, {"m": image_peek, "other": image_peek}, ctx)
    assert not res.passed and "not autoregressive" in res.message
    res = grade_question(q, {"m": image_prev, "other": image_peek}, ctx)
    assert res.passed and "AuditedParamFn function" in res.message
    tied = Question("q", "nb", 1, ("m", "other"), grade,
                    param_fns=(ParamFnSpec("m", "fake", "bernoulli", (1, 8, 8), same_model_as="model"),))
    res = grade_question(tied, {"m": image_prev, "other": image_prev}, ctx)
    assert not res.passed and "model" in res.details["missing"]


def test_make_proxies_ignores_child_metadata():
    """Every proxy is a plain forward-only RemoteFunction (no audit chosen by the child's meta), and only
    the names the question needs are offered."""
    from autograder.assignments.base import Question
    from autograder.grading.proxies import Budget, RemoteFunction, make_proxies

    exposed = {"m": {"kind": "param_fn", "audit": False}, "model": {}, "secret_extra": {"kind": "param_fn"}}
    q = Question("q", "nb", 1, ("m",), lambda o, c: None,
                 param_fns=(ParamFnSpec("m", "fake", "bernoulli", (1, 8, 8), same_model_as="model"),))
    proxies = make_proxies(object(), exposed, 10, lambda: Budget(60), question=q)
    assert set(proxies) == {"m", "model"} and all(type(p) is RemoteFunction for p in proxies.values())
