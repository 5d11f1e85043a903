"""Questions of hw2 notebook 02_wavenet: the solution cells earn full marks, each variant wrong in
one named way fails naming its cause, variants written differently pass, and each MUTATION fails
the question it names."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import jupytext
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from arkit.checks import check_step_consistency
from autograder.assignments import base
from autograder.assignments.hw2 import wavenet as q

SOURCE = Path(__file__).resolve().parents[3] / "solutions" / "hw2" / "02_wavenet.py"
PRELUDE = ("import os, math, time\nimport numpy as np, torch\nimport torch.nn as nn\n"
           "import torch.nn.functional as F\nfrom arkit.submission import expose\n"
           "from arkit.checks import sample_with_uniforms\nD = 784\n")
CELLS = ("wavenet_causal_conv", "wavenet_model", "wavenet_step", "wavenet_samplers")
CTX = base.GradingContext("hw2", "ci")
REMOTE = base.GradingContext("hw2", "ci", mode="remote")


def cells() -> dict[str, str]:
    nb = jupytext.read(SOURCE, fmt="py:percent")
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells if c.cell_type == "code"}


def load(mutation=None) -> dict:
    """Namespace of the solution cells (the model/step/sampler definitions), ``mutation`` applied."""
    src = cells()
    if mutation is not None:
        assert mutation.old in src[mutation.grade_id], f"{mutation.student}: text not in {mutation.grade_id}"
        src[mutation.grade_id] = src[mutation.grade_id].replace(mutation.old, mutation.new)
    ns: dict = {}
    exec(PRELUDE, ns)
    for cid in CELLS + ("wavenet_conv_expose",):
        exec(compile(src[cid], f"02_wavenet.py:{cid}", "exec"), ns)
    return ns


def objects(ns: dict, channels: int = 8, step=None, naive=None, cached=None) -> dict:
    """What the notebook exposes, for an untrained seeded model (the properties graded here do not
    depend on training)."""
    torch.manual_seed(0)
    model = ns["WaveNet"](784, 2, channels).eval()
    step = step or ns["wavenet_step"]
    naive, cached = naive or ns["sample_naive"], cached or ns["sample_cached"]

    def sampler(fn):
        return lambda u: fn(model, u.reshape(u.shape[0], -1)).reshape(u.shape)
    return dict(wavenet_causal_conv_probe=ns["causal_conv_probe"], wavenet_model=model,
                wavenet_step_fn=torch.no_grad()(lambda x_prev, t, cache: step(model, x_prev, t, cache)),
                wavenet_sample_naive=sampler(naive), wavenet_sample_cached=sampler(cached))


def grade(qid: str, objs: dict, ctx=CTX):
    return base.grade_question(base.get_question("hw2", qid), objs, ctx)


def forward_only(fn):
    """What the sandboxed pipeline hands the grader: forward calls only, fresh tensors (and caches) out."""
    def fresh(v):
        if isinstance(v, torch.Tensor):
            return v.detach().clone()
        if isinstance(v, (list, tuple)):
            return type(v)(fresh(a) for a in v)
        if isinstance(v, dict):
            return {k: fresh(a) for k, a in v.items()}
        return v

    def call(*args):
        with torch.no_grad():
            return fresh(fn(*fresh(args)))
    return call


@pytest.fixture(scope="module")
def sol():
    return load()


@pytest.fixture(scope="module")
def objs(sol):
    return objects(sol)


# -- 1. causal convolution -------------------------------------------------------------------------

def conv_probe(conv_cls):
    def probe(cin, cout, k, d, x, seed):
        torch.manual_seed(seed)
        conv = conv_cls(cin, cout, k, d)
        with torch.no_grad():
            return dict(out=conv(x.float()), weight=conv.weight.detach().clone(), bias=conv.bias.detach().clone())
    return probe


class PadBothSlice(nn.Conv1d):
    """The common public-repo way: symmetric padding (k-1) d, then drop the last (k-1) d outputs."""

    def __init__(self, cin, cout, k, d):
        super().__init__(cin, cout, k, dilation=d, padding=(k - 1) * d)
        self.cut = (k - 1) * d

    def forward(self, x):
        out = super().forward(x)
        return out[..., : -self.cut] if self.cut else out


class PadBothWrongEnd(PadBothSlice):
    def forward(self, x):
        out = nn.Conv1d.forward(self, x)
        return out[..., self.cut:] if self.cut else out


class PadBothNoSlice(PadBothSlice):
    def forward(self, x):
        return nn.Conv1d.forward(self, x)


class TooMuchPadding(nn.Conv1d):
    def __init__(self, cin, cout, k, d):
        super().__init__(cin, cout, k, dilation=d)
        self.left = (k - 1) * d

    def forward(self, x):
        return super().forward(F.pad(x, (self.left + 1, 0)))[..., :-1]


class NoDilation(nn.Conv1d):
    def __init__(self, cin, cout, k, d):
        super().__init__(cin, cout, k)
        self.left = k - 1

    def forward(self, x):
        return super().forward(F.pad(x, (self.left, 0)))


def test_reference_conv_passes(objs):
    result = grade("wavenet_conv_test", objs)
    assert result.passed and result.score == 1.0, result.message


def test_conv_written_differently_passes():
    """Does nn.Conv1d(padding=(k-1)d) with the right end cut off (the way many repos write it) pass?"""
    result = grade("wavenet_conv_test", {"wavenet_causal_conv_probe": conv_probe(PadBothSlice)})
    assert result.passed, result.message


@pytest.mark.parametrize("cls, expected", [
    (PadBothWrongEnd, "sees the future"),
    (PadBothNoSlice, "keep the input's length"),
    (TooMuchPadding, "delayed by 1"),
    (NoDilation, "dilation is not applied"),
])
def test_wrong_conv_fails_with_cause(cls, expected):
    result = grade("wavenet_conv_test", {"wavenet_causal_conv_probe": conv_probe(cls)})
    assert not result.passed and expected in result.message, result.message


# -- 2. autoregressive and live --------------------------------------------------------------------

@pytest.mark.parametrize("ctx", [CTX, REMOTE], ids=["local", "remote"])
def test_reference_model_is_autoregressive(sol, ctx):
    torch.manual_seed(0)
    model = sol["WaveNet"](784, 2, 8).eval()
    obj = model if ctx.mode == "local" else forward_only(model)
    result = grade("wavenet_ar_test", {"wavenet_model": obj}, ctx)
    assert result.passed, result.message


class Unshifted(nn.Module):
    """The solution's WaveNet without the input shift: position t reads x_t."""

    def __init__(self, model):
        super().__init__()
        self.m = model

    def forward(self, x):
        m, b = self.m, x.shape[0]
        seq = x.reshape(b, -1).float() * 2 - 1
        h = m.inp(seq[:, None]) + m.pos[: seq.shape[1]].T
        skip = 0
        for block in m.blocks:
            h, s = block(h)
            skip = skip + s
        return m.head(skip).reshape(b, 2, *x.shape[1:])


@pytest.mark.parametrize("make, expected", [
    (lambda ns: Unshifted(ns["WaveNet"](784, 2, 4)), "depends on"),
    (lambda ns: ns["WaveNet"](784, 2, 4, dilations=(1, 2, 4)), "immediate past"),
])
def test_wrong_model_fails_with_cause(sol, make, expected):
    """No input shift: every pixel sees itself; dilations 1, 2, 4 only: a pixel never sees the one above it."""
    torch.manual_seed(0)
    result = grade("wavenet_ar_test", {"wavenet_model": make(sol).eval()})
    assert not result.passed and expected in result.message, result.message


# -- 3. held-out NLL -------------------------------------------------------------------------------

@pytest.fixture
def fake_heldout(monkeypatch):
    """16 random binary held-out images and a fake threshold 0.70 nats/dim, loose 0.80."""
    import autograder.calibration.store as store
    import autograder.heldout as heldout

    gen = torch.Generator().manual_seed(0)
    x = torch.randint(0, 2, (16, 1, 28, 28), generator=gen).to(torch.uint8).numpy()
    monkeypatch.setattr(heldout, "load_heldout", lambda name: SimpleNamespace(x=x, y=None,
                                                                              info=SimpleNamespace(num_values=2)))
    monkeypatch.setattr(store, "threshold_entry", lambda *a, **k: {"threshold": 0.70, "loose_bound": 0.80})


def test_nll_question_scores_and_records(fake_heldout):
    """A uniform model (ln 2 = 0.693 nats/dim) passes the fake threshold and its NLL is recorded."""
    from autograder.calibration.record import from_details

    uniform = lambda x: torch.zeros(x.shape[0], 2, *x.shape[1:])  # noqa: E731
    result = grade("wavenet_nll_test", {"wavenet_mnist_params": uniform, "wavenet_model": uniform})
    assert result.passed, result.message
    (key, value), = from_details("wavenet_nll_test", result.details).items()
    assert key == ("wavenet_nll_test", "binarized_mnist") and abs(value - 0.6931) < 1e-3


def test_nll_question_refuses_a_peeking_param_fn(fake_heldout):
    """Logits that read the pixel they predict are caught by the audit (0 points)."""
    peek = lambda x: torch.stack([torch.zeros_like(x, dtype=torch.float), 20.0 * x.float() - 10], 1)  # noqa: E731
    result = grade("wavenet_nll_test", {"wavenet_mnist_params": peek, "wavenet_model": peek})
    assert not result.passed and result.score == 0.0, result.message


# -- 4. cached step --------------------------------------------------------------------------------

@pytest.mark.parametrize("remote", [False, True], ids=["local", "remote"])
def test_reference_step_passes(objs, remote):
    if remote:
        objs = dict(objs, wavenet_model=forward_only(objs["wavenet_model"]),
                    wavenet_step_fn=forward_only(objs["wavenet_step_fn"]))
    result = grade("wavenet_step_test", objs, REMOTE if remote else CTX)
    assert result.passed, result.message


def shifting_queue_step(model, x_prev, t, cache):
    """Written differently: a dict of queues (B, C, d) that shift with torch.cat (oldest first)."""
    b, p = x_prev.shape[0], model.pos
    if cache is None:
        cache = {f"layer{i}": torch.zeros(b, p.shape[1], blk.dilation) for i, blk in enumerate(model.blocks)}
    v = (x_prev.float() * 2 - 1) if t > 0 else torch.zeros(b)
    h = model.inp(v[:, None, None])[:, :, 0] + p[t]
    skip = 0
    for i, blk in enumerate(model.blocks):
        queue = cache[f"layer{i}"]
        window = torch.stack([queue[:, :, 0], h], -1)                    # (B, C, 2): times t - d, t
        a, g = F.conv1d(window, blk.conv.weight, blk.conv.bias).chunk(2, 1)
        z = torch.tanh(a) * torch.sigmoid(g)                               # (B, C, 1)
        cache[f"layer{i}"] = torch.cat([queue[:, :, 1:], h[:, :, None]], -1)
        h = h + blk.res(z)[:, :, 0]
        skip = skip + blk.skip(z)[:, :, 0]
    return model.head(skip[:, :, None])[:, :, 0], cache


def list_queue_step(model, x_prev, t, cache):
    """Written differently: per block a Python list of (B, C) entries, appended and popped
    (starts empty; an empty slot stands for the zero padding)."""
    b, p = x_prev.shape[0], model.pos
    cache = [[] for _ in model.blocks] if cache is None else [list(qu) for qu in cache]
    v = (x_prev.float() * 2 - 1) if t > 0 else torch.zeros(b)
    h = v[:, None] * model.inp.weight[:, 0, 0] + model.inp.bias + p[t]
    skip = 0
    for blk, queue in zip(model.blocks, cache):
        past = queue[0] if len(queue) == blk.dilation else torch.zeros_like(h)
        queue.append(h)
        if len(queue) > blk.dilation:
            queue.pop(0)
        w = blk.conv.weight
        a, g = (past @ w[:, :, 0].T + h @ w[:, :, 1].T + blk.conv.bias).chunk(2, -1)
        z = torch.tanh(a) * torch.sigmoid(g)
        h = h + F.linear(z, blk.res.weight[:, :, 0], blk.res.bias)
        skip = skip + F.linear(z, blk.skip.weight[:, :, 0], blk.skip.bias)
    return model.head(skip[:, :, None])[:, :, 0], cache


@pytest.mark.parametrize("step, remote", [(shifting_queue_step, True), (list_queue_step, False)],
                         ids=["shifting-dict-remote", "list-queue-local"])
def test_steps_written_differently_pass_step_and_cost(sol, step, remote):
    """A dict of shifting queues and a list of growing lists of (B, C) entries pass both the step
    and the cost question (the list of 1023 small tensors is graded locally: copying it at every
    step the way the sandbox protocol does takes a minute here)."""
    o = objects(sol, step=step)
    if remote:
        o = dict(o, wavenet_model=forward_only(o["wavenet_model"]), wavenet_step_fn=forward_only(o["wavenet_step_fn"]))
    for qid in ("wavenet_step_test", "wavenet_cost_test"):
        result = grade(qid, o, REMOTE if remote else CTX)
        assert result.passed, f"{qid}: {result.message}"


def global_state_step(sol):
    """Keeps its ring buffers in a global and returns an empty cache: right one sequence at a time."""
    state = {}

    def step(model, x_prev, t, cache):
        if t == 0:
            state["c"] = None
        logits, state["c"] = sol["wavenet_step"](model, x_prev, t, state["c"])
        return logits, []
    return step


def test_step_with_state_outside_the_cache_fails(sol):
    result = grade("wavenet_step_test", objects(sol, step=global_state_step(sol)))
    assert not result.passed and "outside the" in result.message, result.message


# -- 5. samplers -----------------------------------------------------------------------------------

@pytest.fixture
def short_samples(monkeypatch):
    """Compare the samplers on the first 40 pixels (the naive sampler is quadratic in them)."""
    monkeypatch.setattr(q, "SAMPLE_PIXELS", 40)


def test_reference_samplers_pass_and_report_speed(objs, short_samples):
    result = grade("wavenet_sampler_test", objs)
    assert result.passed, result.message
    timing = result.details["timing"]
    assert timing["graded"] is False and timing["naive_s"] > 0 and "not graded" in result.message


def no_feedback_sampler(sol):
    """Teacher-forced steps are right, but the drawn value is never fed back (x_prev stays 0)."""
    def sample(model, u):
        b, n = u.shape
        x, cache = torch.zeros(b, n, dtype=torch.long), None
        with torch.no_grad():
            for t in range(n):
                logits, cache = sol["wavenet_step"](model, torch.zeros(b, dtype=torch.long), t, cache)
                x[:, t] = sol["sample_with_uniforms"](logits, u[:, t])
        return x
    return sample


def test_sampler_that_does_not_feed_back_fails(sol, short_samples):
    result = grade("wavenet_sampler_test", objects(sol, cached=no_feedback_sampler(sol)))
    assert not result.passed and "sample_cached vs sample_naive" in result.message, result.message
    assert "differ from the naive" in result.message


# -- 6. cost ---------------------------------------------------------------------------------------

def test_reference_cost_passes(objs):
    result = grade("wavenet_cost_test", objs)
    assert result.passed and result.details["exponent"] < 0.1, result.message


def recomputing_step(model, x_prev, t, cache):
    """A "cached" step that stores the prefix in its cache and re-runs the parallel network on it:
    right at every step, but its work grows with t."""
    b = x_prev.shape[0]
    prefix = torch.zeros(b, model.num_vars) if cache is None else cache[0].clone()
    if t > 0:
        prefix[:, t - 1] = x_prev.float()
    return model(prefix[:, : t + 1])[:, :, t], [prefix]


def test_recomputing_step_passes_consistency_but_fails_cost(sol, monkeypatch):
    """Is the step that recomputes the prefix right (step consistency) and refused by the cost question,
    with the ratio printed? (Reads counted at steps 49 and 392 here: the same ratio of 8, a quarter
    of the recomputation.)"""
    monkeypatch.setattr(q, "READ_STEPS", (48, 391))
    o = objects(sol, step=recomputing_step)
    x = torch.randint(0, 2, (2, 1, 28, 28))[:, :, :4]           # its logits are the parallel ones (4 rows)
    assert check_step_consistency(o["wavenet_model"], o["wavenet_step_fn"], x).passed
    result = grade("wavenet_cost_test", dict(o, wavenet_step_fn=forward_only(o["wavenet_step_fn"])), REMOTE)
    assert not result.passed and "recomputes" in result.message and "x while t grew" in result.message, result.message
    assert result.details["exponent"] > 0.6


# -- mutations -------------------------------------------------------------------------------------

@pytest.mark.parametrize("mutation", q.MUTATIONS, ids=[m.student for m in q.MUTATIONS])
def test_mutation_fails_its_question(mutation):
    """Each one-bug example is found in the solution and fails the question it names, naming the cause."""
    qid, word = mutation.expect
    result = grade(qid, objects(load(mutation)))
    assert not result.passed and word in result.message.lower(), result.message


def test_mutations_apply_to_the_notebook():
    import nbformat

    from autograder.examples import apply_mutation

    nb = jupytext.read(SOURCE, fmt="py:percent")
    for m in q.MUTATIONS:
        assert m.notebook == SOURCE.stem
        apply_mutation(nbformat.from_dict(nb), m)
