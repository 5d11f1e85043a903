"""Questions of hw2 notebook 03_attention: the solution cells earn full marks, each wrong variant
fails with its cause, right-but-different variants pass, and each MUTATION fails its question.

Models are untrained and tiny (width 16, one or two layers, D = 400): the properties graded here
(mask, autoregressive, step consistency, samples, cost) do not need training. Weights are drawn
larger than at initialisation so that a wrong position or a stale entry moves the logits well past
the float tolerance."""
from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import jupytext
import pytest
import torch
import torch.nn.functional as F

from arkit.checks import sample_with_uniforms
from autograder.assignments import base
from autograder.assignments.hw2 import attention as q
from autograder.examples import apply_mutation
from solution_cells import run_cells

SOURCE = Path(__file__).resolve().parents[3] / "solutions" / "hw2" / "03_attention.py"
PRELUDE = ("import os, math, time\nimport numpy as np, torch\nimport torch.nn as nn\n"
           "import torch.nn.functional as F\nfrom arkit.submission import expose\n"
           "from arkit.checks import sample_with_uniforms\n")
CELLS = ("attn_mask", "attn_model", "attn_wrappers", "attn_color_tokens", "attn_sample")
CTX = base.GradingContext("hw2", "ci")
REMOTE = base.GradingContext("hw2", "ci", mode="remote")


def load(nb=None) -> dict:
    """Execute the definition cells of the solution (or of a mutated notebook) in a fresh namespace."""
    nb = nb if nb is not None else jupytext.read(SOURCE, fmt="py:percent")
    return run_cells(nb, CELLS, prelude=PRELUDE, where="03_attention")


@pytest.fixture(scope="module")
def sol():
    return load()


def spread(module, seed=0, scale=0.5):
    """Redraw every parameter N(0, scale^2) (LayerNorm gains around 1): an untrained model whose
    logits move clearly with every input and position."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * scale + (1.0 if name.endswith("ln1.weight")
                                                                  or name.endswith("ln2.weight")
                                                                  or name.endswith("ln.weight") else 0.0))
    return module.eval()


def tiny(ns, num_values=2, layers=1, seed=0):
    torch.manual_seed(seed)
    return spread(ns["PixelTransformer"](num_values, 400, dim=16, heads=2, layers=layers), seed)


def objects(ns, tf=None, step=None, sample=None, mask=None):
    """Everything the notebook exposes, for one tiny transformer."""
    tf = tf if tf is not None else tiny(ns)
    model = ns["ImageTransformer"](tf).eval()
    sample = sample or ns["sample_cached"]
    return dict(attn_causal_mask=mask or ns["causal_attention_mask"], attn_shapes_model=model,
                attn_shapes_params=ns["param_fn_of"](model), attn_step=step or tf.step,
                attn_sample_cached=lambda u: sample(tf, u), attn_sampler=sample)


def grade(qid, objs, ctx=CTX):
    question = base.get_question("hw2", qid)
    return base.grade_question(question, {n: objs[n] for n in question.required_names if n in objs}, ctx)


def forward_only(fn):
    """What the sandboxed pipeline hands the grader: forward calls, no autograd, fresh tensors out."""
    def call(*args):
        with torch.no_grad():
            out = fn(*[a.clone() if isinstance(a, torch.Tensor) else a for a in args])
        return torch.utils._pytree.tree_map(lambda t: t.detach().clone() if isinstance(t, torch.Tensor) else t, out)
    return call


@pytest.fixture(scope="module")
def fake_heldout():
    """Held-out shapes from the valid split (no grader-only file needed for the non-NLL questions)."""
    import autograder.heldout as heldout
    from arkit.data import load_dataset

    original = heldout.load_heldout
    heldout.load_heldout = lambda name: load_dataset(name, "valid")
    yield
    heldout.load_heldout = original


# -- 1. mask ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", [
    lambda n: torch.full((n, n), float("-inf")).triu(1),                               # the solution's
    lambda n: torch.ones(n, n, dtype=torch.bool).tril(),                               # SDPA bool
    lambda n: torch.tril(torch.ones(n, n)),                                            # 0/1 float
    lambda n: torch.zeros(n, n).masked_fill(torch.ones(n, n).triu(1).bool(), torch.finfo(torch.float32).min),
])
def test_masks_written_differently_pass(variant):
    assert grade("attn_mask_test", {"attn_causal_mask": variant}).passed


@pytest.mark.parametrize("variant, cause", [
    (lambda n: torch.full((n, n), float("-inf")).triu(2), "later position"),
    (lambda n: torch.full((n, n), float("-inf")).triu(0), "row 0"),
    (lambda n: torch.full((n, n), float("-inf")).tril(-1), "transposed"),
    (lambda n: torch.ones(n, n, dtype=torch.bool).triu(1), "inverted"),                # nn.MultiheadAttention's
    (lambda n: torch.ones(n, n).tril() * float("-inf"), "nan"),
])
def test_wrong_masks_fail_with_cause(variant, cause):
    result = grade("attn_mask_test", {"attn_causal_mask": variant})
    assert not result.passed and cause in result.message.lower(), result.message


# -- 2. autoregressive -----------------------------------------------------------------------------

@pytest.mark.parametrize("ctx", [CTX, REMOTE], ids=["local", "remote"])
def test_solution_transformer_is_autoregressive(sol, fake_heldout, ctx):
    objs = objects(sol)
    if ctx.mode == "remote":
        objs["attn_shapes_model"] = forward_only(objs["attn_shapes_model"])
    result = grade("attn_ar_test", objs, ctx)
    assert result.passed and result.score == 1.0, result.message


def test_reference_kv_transformer_passes_ar_kv_and_sampler(sol, fake_heldout):
    """A transformer written differently (the instructor's KVTransformer: preallocated cache written
    in place, hand-written softmax attention) and another sampler loop (the instructor's
    sample_fast) pass the AR, KV and sampler questions through the same wrapper."""
    from autograder.reference.models.kv_attention import KVTransformer
    from autograder.reference.sampling import sample_fast

    ref = KVTransformer(400, 2, dim=16, heads=2, layers=1).eval()
    model = sol["ImageTransformer"](ref).eval()
    objs = {"attn_shapes_model": model, "attn_step": ref.step,
            "attn_sample_cached": lambda u: sample_fast(ref.step, u.reshape(u.shape[0], -1)).reshape(u.shape)}
    for qid in ("attn_ar_test", "attn_kv_test", "attn_sampler_test"):
        result = grade(qid, objs)
        assert result.passed, (qid, result.message)


def _with_mask(mask_fn):
    """The solution's cells, with the attention built on ``mask_fn`` instead of causal_attention_mask."""
    ns = load()
    ns["causal_attention_mask"] = mask_fn
    return ns


def window_mask(n, width=3):
    """Additive mask letting query i attend keys i-2..i only (a local window, not the whole past)."""
    i, j = torch.arange(n)[:, None], torch.arange(n)[None, :]
    return torch.zeros(n, n).masked_fill(~((j <= i) & (j > i - width)), float("-inf"))


@pytest.mark.parametrize("mask_fn, cause", [
    (lambda n: torch.full((n, n), float("-inf")).triu(2), "depends on itself"),
    (lambda n: torch.zeros(n, n), "depends on input pixel"),
    (window_mask, "earlier pixels"),
])
def test_wrong_transformers_fail_ar_with_cause(fake_heldout, mask_fn, cause):
    ns = _with_mask(mask_fn)
    result = grade("attn_ar_test", objects(ns))
    assert not result.passed and cause in result.message, result.message


# -- 3. held-out NLL -------------------------------------------------------------------------------

@pytest.fixture
def fake_nll(monkeypatch):
    """Held-out splits: 16 valid images each; a fake threshold 0.70 nats/dim, loose 0.80."""
    import autograder.calibration.store as store
    import autograder.heldout as heldout
    from arkit.data import load_dataset

    def load_split(name):
        s = load_dataset(name, "valid")
        return SimpleNamespace(x=s.x[:16], y=s.y[:16], info=s.info)

    monkeypatch.setattr(heldout, "load_heldout", load_split)
    monkeypatch.setattr(store, "threshold_entry", lambda *a, **k: {"threshold": 0.70, "loose_bound": 0.80})


def test_channel_logits_add_up_to_the_token_nll(sol):
    """Do the per-channel conditionals of the joint token logits sum to the token log-probability?"""
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 4, (3, 3, 5, 4), generator=gen)
    logits = torch.randn(3, 20, 64, generator=gen)
    tokens = sol["pixel_tokens"](x)
    assert torch.equal(tokens, (16 * x[:, 0] + 4 * x[:, 1] + x[:, 2]).reshape(3, -1))
    per_channel = F.cross_entropy(sol["channel_logits"](logits, x), x, reduction="none").sum(1).reshape(3, -1)
    per_token = F.cross_entropy(logits.transpose(1, 2), tokens, reduction="none")
    assert torch.allclose(per_channel, per_token, atol=1e-5)


def test_nll_question_scores_the_solution_layout(sol, fake_nll):
    """A uniform binary model (ln 2 = 0.693 nats/dim) and the colour wrapper over uniform tokens
    (ln 4 = 1.39: over the fake threshold) are measured, both through the audit."""
    objs = objects(sol)
    flat = sol["ImageTransformer"](sol["PixelTransformer"](2, 400, 16, 2, 1))
    with torch.no_grad():
        flat.transformer.head.weight.zero_(); flat.transformer.head.bias.zero_()
    color = sol["PixelTransformer"](64, 400, 16, 2, 1)
    with torch.no_grad():
        color.head.weight.zero_(); color.head.bias.zero_()
    colour_fn = lambda x: sol["channel_logits"](color(sol["pixel_tokens"](x)), x)  # noqa: E731
    objs.update(attn_shapes_model=flat, attn_shapes_params=sol["param_fn_of"](flat), attn_color_params=colour_fn)
    result = grade("attn_nll_test", objs)
    assert not result.passed and "shapes_color" in result.message, result.message
    assert result.score == pytest.approx(0.5), result.message


def test_colour_model_whose_red_sees_its_own_pixel_fails_the_audit(sol, fake_nll):
    """R's logits taken from the conditional given the pixel's own R (a wrong gather) see the value
    they score: the audit of the declared colour rule catches it."""
    color = tiny(sol, num_values=64)
    ok = lambda x: sol["channel_logits"](color(sol["pixel_tokens"](x)), x)  # noqa: E731

    def peeking(x):
        out = ok(x).clone()
        out[:, :, 0] = out[:, :, 1] + 5 * F.one_hot(x[:, 0].long(), 4).permute(0, 3, 1, 2)   # R sees R
        return out

    objs = objects(sol)
    objs["attn_color_params"] = peeking
    result = grade("attn_nll_test", objs)
    assert not result.passed and "channel R" in result.message, result.message


# -- 4. KV cache -----------------------------------------------------------------------------------

def test_solution_caching_questions_pass(sol, fake_heldout):
    """Locally (real objects) and through forward-only proxies (the cache crosses the boundary at
    every step); the sampler question reports the speed-up it timed."""
    objs = objects(sol, tiny(sol, layers=2))
    remote = {k: forward_only(v) for k, v in objs.items()}
    for qid, ctx in (("attn_kv_test", CTX), ("attn_cost_test", CTX), ("attn_kv_test", REMOTE),
                     ("attn_sampler_test", REMOTE)):
        result = grade(qid, objs if ctx is CTX else remote, ctx)
        assert result.passed and result.score == 1.0, (qid, ctx.mode, result.message)
    assert result.details["speedup"]["ratio"] > 0


def _step_variant(tf, how):
    """tf.step wrong in one named way."""
    def step(x_prev, t, cache):
        if how == "stale":                 # the cache is never extended after step 0
            logits, new = tf.step(x_prev, t, cache)
            return logits, (new if cache is None else [(k[:, :, :1], v[:, :, :1]) for k, v in new])
        if how == "twice":                 # the new key/value appended twice
            logits, new = tf.step(x_prev, t, cache)
            return logits, [(torch.cat([k, k[:, :, -1:]], 2), torch.cat([v, v[:, :, -1:]], 2)) for k, v in new]
        raise ValueError(how)
    return step


# The verdict is the comparison; the diagnosis is the check's best guess (for a key appended twice
# in attention it reports an ignored input, so only the first differing step is asserted there).
@pytest.mark.parametrize("how, cause", [("stale", "stale"), ("twice", "first at step 2 of 400")])
def test_wrong_caches_fail_kv_with_cause(sol, fake_heldout, how, cause):
    tf = tiny(sol)
    result = grade("attn_kv_test", objects(sol, tf, step=_step_variant(tf, how)))
    assert not result.passed and cause in result.message, result.message


def test_sampler_with_its_own_randomness_fails(sol, fake_heldout):
    def own(tf, u):
        return sol["sample_cached"](tf, torch.rand(u.shape, dtype=torch.float64))
    result = grade("attn_sampler_test", objects(sol, sample=own))
    assert not result.passed and "not a function of the uniforms" in result.message, result.message


@torch.no_grad()
def _naive(tf, u):
    """The whole prefix through the network at every step."""
    b = u.shape[0]
    flat = u.reshape(b, -1)
    out = torch.zeros(b, flat.shape[1], dtype=torch.long)
    for t in range(flat.shape[1]):
        out[:, t] = sample_with_uniforms(tf(out[:, : t + 1])[:, t], flat[:, t])
    return out.reshape(u.shape)


def test_prefix_recomputing_sampler_fails_cost(sol):
    """The naive sampler on the grader's transformer is ~D^2.5-3, counted in the grader's process."""
    result = grade("attn_cost_test", objects(sol, sample=_naive))
    assert not result.passed and "recomputes the whole prefix" in result.message, result.message
    assert [r["forward_calls"] for r in result.details["rows"]] == [50, 200]


@pytest.mark.parametrize("how", ["ring", "list", "tensor_args"])
def test_samplers_written_differently_pass_cost(sol, how):
    """Samplers that keep the cache in a dict and build a list of tokens, one that returns a view,
    one that passes t as a tensor and the previous token as a (B, 1) float: all step once per pixel."""
    @torch.no_grad()
    def sample(model, u):
        model.eval()
        b = u.shape[0]
        flat = u.reshape(b, -1)
        tokens, state, prev = [], {"cache": None}, torch.zeros(b, dtype=torch.long)
        for t in range(flat.shape[1]):
            if how == "tensor_args":
                logits, state["cache"] = model.step(prev.float().view(b, 1), torch.tensor(t), state["cache"])
            else:
                logits, state["cache"] = model.step(prev, t, state["cache"])
            prev = sample_with_uniforms(logits, flat[:, t])
            tokens.append(prev)
        out = torch.stack(tokens, 1)
        return out.reshape(u.shape) if how != "ring" else out.view(u.shape).clone()
    assert grade("attn_cost_test", objects(sol, sample=sample)).passed


@pytest.mark.parametrize("sampler, cause", [
    (lambda model, u: torch.zeros(u.shape, dtype=torch.long), "logits of 0 positions"),      # no model calls
    (lambda model, u: model.step(torch.zeros(u.shape[0], dtype=torch.long), 0, None)[0], "logits of 1 positions"),
    (lambda model, u: model.weights, "may use model.step"),                                   # not lent
    (lambda model, u: model(torch.zeros(10 ** 5, 50, dtype=torch.long)), "a batch of 100000"),  # grader's work
])
def test_samplers_that_do_not_sample_fail_cost(sol, sampler, cause):
    result = grade("attn_cost_test", objects(sol, sample=sampler))
    assert not result.passed and cause in result.message, result.message


FORGER = """
import torch
import arkit.checks.cost_scaling as cost
from arkit.checks import sample_with_uniforms
from arkit.submission import expose

class Forged(cost.WorkCounter):          # what the notebook's own check would count: 1 per call
    @property
    def work(self):
        return 1

@torch.no_grad()
def sample_cached(model, u):
    cost.WorkCounter = Forged
    b = u.shape[0]
    flat = u.reshape(b, -1)
    out = torch.zeros(b, flat.shape[1], dtype=torch.long)
    for t in range(flat.shape[1]):     # the whole prefix through the network at every step
        out[:, t] = sample_with_uniforms(model(out[:, : t + 1])[:, t], flat[:, t])
    return out.reshape(u.shape)

expose("attn_sampler", sample_cached)
"""


def test_a_forged_work_counter_in_the_sandbox_changes_nothing():
    """Through a real sandbox: the sampler patches arkit's counter in its own process; the grader's
    transformer runs, and is counted, in the parent, so the prefix-recomputing sampler still fails."""
    from autograder.grading.proxies import Budget, make_proxies
    from autograder.grading.sandbox import Limits, Sandbox

    with Sandbox(Limits(memory_mb=3072, cell_timeout_s=120)) as sandbox:
        assert sandbox.run_cell(FORGER, 0, 120)["ok"]
        budget = Budget(300)
        proxies = make_proxies(sandbox, sandbox.exposed(), 120, lambda: budget)
        result = grade("attn_cost_test", proxies, REMOTE)
    assert not result.passed and "recomputes the whole prefix" in result.message, result.message
    assert [r["forward_calls"] for r in result.details["rows"]] == [50, 200]


# -- MUTATIONS -------------------------------------------------------------------------------------

# Per mutation: the questions it must fail, and the questions that read the mutated cell and must
# still pass (questions that never call the mutated code are not re-graded: that saves minutes).
# The NLL question needs trained models: the mask mutation fails it through the audit (the shapes
# model sees its own pixel), which test_wrong_transformers_fail_ar_with_cause shows on the AR side.
EXPECTED = {
    "attn_pos_wrong_step": ({"attn_kv_test", "attn_sampler_test"}, {"attn_mask_test", "attn_ar_test",
                                                                     "attn_cost_test"}),
    "attn_sample_not_fed_back": ({"attn_sampler_test"}, {"attn_cost_test"}),
    # Not the sampler question: its naive sampler verifies candidates, exact only for an AR model (the
    # AR question fails this one); through the pipeline the trained model's cached samples pass it.
    "attn_mask_future": ({"attn_mask_test", "attn_ar_test", "attn_kv_test"}, {"attn_cost_test"}),
}


@pytest.mark.slow
@pytest.mark.parametrize("mutation", q.MUTATIONS, ids=lambda m: m.student)
def test_each_mutation_fails_exactly_its_questions(mutation, fake_heldout):
    nb = jupytext.read(SOURCE, fmt="py:percent")
    ns = load(apply_mutation(nb, mutation))       # ValueError if the text is not in the solution
    objs = objects(ns, tiny(ns))
    must_fail, must_pass = EXPECTED[mutation.student]
    results = {qid: grade(qid, objs) for qid in sorted(must_fail | must_pass)}
    assert {qid for qid, r in results.items() if not r.passed} == must_fail, \
        {qid: r.message for qid, r in results.items()}
    qid, word = mutation.expect
    assert word in results[qid].message.lower(), results[qid].message
