"""hw2 notebook 4 (multiscale sampling, Fisher scores): the solution cells pass every question at the
grade-function level; implementations wrong in one named way fail with that cause; implementations
right but written differently pass; each MUTATION applies to the solution and fails its question."""
from __future__ import annotations

import types
from pathlib import Path

import jupytext
import nbformat
import numpy as np
import pytest
import torch

from autograder.assignments.base import GradingContext, get_question, grade_question
from autograder.assignments.hw2 import multiscale as ms
from autograder.assignments.spec import ParamFnSpec
from autograder.examples import apply_mutation
from solution_cells import run_cells
from autograder.reference.models.multiscale import FisherPixelCNN, GroupNet, multiscale_groups, network_input

SOURCE = Path(__file__).resolve().parents[3] / "solutions" / "hw2" / "04_multiscale_fisher.py"
PRELUDE = ("import os, math, time\nimport numpy as np, torch\nimport torch.nn as nn\n"
           "import torch.nn.functional as F\nfrom arkit.submission import expose\n")
CELLS = ("multiscale_groups", "multiscale_net", "multiscale_model", "multiscale_sample_step", "fisher_pixelcnn",
         "fisher_scores", "fisher_classifier")
CTX = GradingContext("hw2", "ci", seed=0)


def load(nb=None, cells=CELLS) -> dict:
    """Namespace after running the definition cells of the solution (or of ``nb``)."""
    nb = nb if nb is not None else jupytext.read(SOURCE, fmt="py:percent")
    extra = {"CFG": {"pc_channels": 8, "lr": 1e-3, "batch_size": 64, "pc_steps": 1}, "SEED": 0}
    return run_cells(nb, cells, extra, prelude=PRELUDE, where=SOURCE.name)


@pytest.fixture(scope="module")
def sol():
    return load()


def probe_of(ns):
    """The notebook's locked multiscale_probe over ``ns``'s MultiscaleModel."""
    def probe(x):
        with torch.random.fork_rng():
            torch.manual_seed(0)
            model = ns["MultiscaleModel"](8)
        with torch.no_grad():
            return model(x)
    return probe


def fisher_probe_of(fisher_scores, ns):
    def probe(theta, x, channels=8):
        model = ns["TinyPixelCNN"](int(channels))
        torch.nn.utils.vector_to_parameters(theta.float(), model.parameters())
        return fisher_scores(model.eval(), x)
    return probe


def grade(qid, objects):
    return grade_question(get_question("hw2", qid), objects, CTX)


@pytest.fixture(autouse=True)
def fake_heldout(monkeypatch):
    """Held-out images replaced by labelled synthetic ones (no data files needed): class c has a
    bright square at one of 4 positions."""
    def heldout(name):
        side = 20 if name == "shapes" else 28
        gen = torch.Generator().manual_seed(7)
        n = 40
        y = torch.arange(n) % 4
        x = (torch.rand(n, 1, side, side, generator=gen) < 0.05).to(torch.uint8)
        for i in range(n):
            r, c = divmod(int(y[i]), 2)
            x[i, 0, 2 + 8 * r: 8 + 8 * r, 2 + 8 * c: 8 + 8 * c] = 1
        return types.SimpleNamespace(x=x.numpy(), y=y.numpy())
    monkeypatch.setattr(ms, "_heldout", heldout)


# ------------------------------------------------------------------ groups and the model (6 points)
def test_reference_groups_counts():
    """Is the trusted rule the one the notebook teaches (1, 3, 12, 48, 192 on 16x16; 4 corners first on 20x20)?"""
    assert torch.bincount(multiscale_groups(16, 16).flatten()).tolist() == [1, 3, 12, 48, 192]
    g = multiscale_groups(20, 20)
    assert torch.nonzero(g == 0).tolist() == [[0, 0], [0, 16], [16, 0], [16, 16]]


def test_solution_passes_ar(sol):
    res = grade("multiscale_ar_test", {"multiscale_groups": sol["multiscale_groups"], "multiscale_probe": probe_of(sol)})
    assert res.passed, res.message


@pytest.mark.parametrize("wrong, cause", [
    (lambda h, w: multiscale_groups(int(h), int(w)).max() - multiscale_groups(int(h), int(w)), "puts pixel"),  # reversed
    (lambda h, w: (multiscale_groups(int(h), int(w)) + 1).clamp(max=int(multiscale_groups(int(h), int(w)).max())),
     "puts pixel"),
])
def test_wrong_groups_fail(sol, wrong, cause):
    res = ms.check_groups(wrong)
    assert not res.passed and cause in res.message


def test_groups_written_differently_pass():
    """Trailing zeros of i | j (bit trick), capped at L: the same groups."""
    def groups(h, w):
        h, w = int(h), int(w)
        L = max(h, w).bit_length() - 1
        out = torch.empty(h, w, dtype=torch.long)
        for i in range(h):
            for j in range(w):
                v = i | j
                tz = L if v == 0 else min((v & -v).bit_length() - 1, L)
                out[i, j] = L - tz
        return out
    assert ms.check_groups(groups).passed


def _model_variant(ns, known_rule):
    """MultiscaleModel whose group_logits conditions on ``known_rule(groups, g)``."""
    class Variant(ns["MultiscaleModel"]):
        def group_logits(self, x, g):
            groups = ns["multiscale_groups"](x.shape[-2], x.shape[-1])
            return self.net(ns["network_input"](x, known_rule(groups.view(1, 1, *groups.shape), g.view(-1, 1, 1, 1))))
    return Variant


@pytest.mark.parametrize("rule, cause", [
    (lambda groups, g: groups <= g, "group"),                 # a group sees itself
    (lambda groups, g: groups < g - 1, "dead"),               # skips the group just before: group 1 sees nothing
])
def test_wrong_model_fails_ar(sol, rule, cause):
    ns = dict(sol, MultiscaleModel=_model_variant(sol, rule))
    res = grade("multiscale_ar_test", {"multiscale_groups": sol["multiscale_groups"], "multiscale_probe": probe_of(ns)})
    assert not res.passed and res.score == 0 and cause in res.message.lower(), res.message


def test_model_written_differently_passes(sol):
    """forward as one batched net call over all groups (torch.cat), gather by group."""
    class Batched(sol["MultiscaleModel"]):
        def forward(self, x):
            groups = multiscale_groups(x.shape[-2], x.shape[-1])
            G = int(groups.max()) + 1
            gs = torch.arange(G).repeat_interleave(x.shape[0])
            logits = self.group_logits(x.repeat(G, 1, 1, 1), gs).view(G, x.shape[0], 1, *x.shape[-2:])
            return logits.gather(0, groups.expand(1, x.shape[0], 1, *groups.shape)).squeeze(0)
    ns = dict(sol, MultiscaleModel=Batched)
    res = grade("multiscale_ar_test", {"multiscale_groups": sol["multiscale_groups"], "multiscale_probe": probe_of(ns)})
    assert res.passed, res.message


# ------------------------------------------------------------------ the sampler (4 points)
def test_solution_sampler_passes_with_log_calls(sol):
    res = grade("multiscale_sampler_test", {"multiscale_sample_step": sol["sample_next_group"]})
    assert res.passed, res.message
    assert [r["count"] for r in res.details["rows"]] == [3, 4, 5]


def _step(sol, fill):
    """A step that fills ``fill(groups, known, g)`` with the contract's draws."""
    def step(x, known, logits, u):
        groups = multiscale_groups(x.shape[-2], x.shape[-1])
        g = groups[~known].min()
        new = fill(groups, known, g)
        draw = (u >= 1 - torch.sigmoid(logits.double())).long()
        return torch.where(new, draw, x), known | new
    return step


def _first_pixel(groups, known, g):
    new = torch.zeros_like(known).flatten()
    new[torch.nonzero(((groups == g) & ~known).flatten())[0]] = True
    return new.view_as(known)


@pytest.mark.parametrize("fill, cause", [
    (_first_pixel, "one evaluation per variable"),                        # raster inside the group
    (lambda groups, known, g: ~known, "not known yet"),                   # everything at once
    (lambda groups, known, g: (groups == g) | (groups == g + 1), "not known yet"),
    (lambda groups, known, g: torch.zeros_like(known), "filled no pixel"),
])
def test_wrong_samplers_fail(sol, fill, cause):
    res = grade("multiscale_sampler_test", {"multiscale_sample_step": _step(sol, fill)})
    assert not res.passed and cause in res.message, res.message


def test_sampler_other_draw_convention_fails(sol):
    def step(x, known, logits, u):
        groups = multiscale_groups(x.shape[-2], x.shape[-1])
        new = groups == groups[~known].min()
        return torch.where(new, (u < torch.sigmoid(logits.double())).long(), x), known | new
    res = grade("multiscale_sampler_test", {"multiscale_sample_step": step})
    assert not res.passed and "not the draws of u" in res.message


def test_samplers_written_differently_pass(sol):
    """Half of the next group per evaluation (twice the calls, still O(log N)); next group by masked_fill."""
    def half(groups, known, g):
        new = (groups == g) & ~known
        idx = torch.nonzero(new.flatten()).flatten()
        out = torch.zeros_like(new).flatten()
        out[idx[: max(1, (idx.numel() + 1) // 2)]] = True
        return out.view_as(new)
    assert grade("multiscale_sampler_test", {"multiscale_sample_step": _step(sol, half)}).passed

    def step(x, known, logits, u):
        groups = multiscale_groups(x.shape[-2], x.shape[-1])
        nxt = groups.masked_fill(known, 10 ** 6).min()
        new = (groups == nxt).expand_as(x)
        p = torch.sigmoid(logits.double())
        y = x.clone()
        y[new] = (u[new] >= 1 - p[new]).long()
        return y, known | (groups == nxt)
    assert grade("multiscale_sampler_test", {"multiscale_sample_step": step}).passed


def test_notebook_sampler_matches_trusted_loop(sol):
    """The notebook's multiscale_sample (its locked loop) and the grader's loop give the same samples
    when both use the same network."""
    nb = jupytext.read(SOURCE, fmt="py:percent")
    src = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "multiscale_sample_expose"][0]
    ns = dict(sol)
    exec(src, ns)
    net = GroupNet(8, seed=3).eval()
    model = types.SimpleNamespace(net=net)
    u = torch.rand(3, 1, 12, 12, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    assert torch.equal(ns["multiscale_sample"](model, u), ms.run_group_sampler(sol["sample_next_group"], net, u))


# ------------------------------------------------------------------ the audit with the group order
def test_audit_with_multiscale_order(sol):
    """A trained-looking model of the solution passes the held-out audit; a group that sees itself fails naming groups."""
    from autograder.checks.ar_audit import check_ar_on_data

    spec = ParamFnSpec("multiscale_shapes_params", "shapes", "bernoulli", (1, 20, 20), order="multiscale",
                       calibrated=False)
    x = torch.as_tensor(ms._heldout("shapes").x)
    assert check_ar_on_data(probe_of(sol), spec, x).passed
    leaky = probe_of(dict(sol, MultiscaleModel=_model_variant(sol, lambda groups, g: groups <= g)))
    res = check_ar_on_data(leaky, spec, x)
    assert not res.passed and "groups 0.." in res.message and "multiscale group order" in res.message


# ------------------------------------------------------------------ Fisher scores (6 points)
def test_reference_model_is_the_notebook_model(sol):
    """Same parameters in the same order, same log-likelihood (the grader rebuilds the notebook's model)."""
    torch.manual_seed(0)
    nb_model = sol["TinyPixelCNN"](8)
    ref = FisherPixelCNN(8)
    ref.load_state_dict(nb_model.state_dict())
    assert [n for n, _ in ref.named_parameters()] == [n for n, _ in nb_model.named_parameters()]
    x = torch.as_tensor(ms._heldout("mnist_binary").x[:5])
    assert torch.allclose(ref.log_prob(x), nb_model.log_prob(x))


def test_solution_fisher_passes(sol):
    res = grade("fisher_scores_test", {"fisher_scores_probe": fisher_probe_of(sol["fisher_scores"], sol)})
    assert res.passed, res.message


def _loop_scores(model, x):
    rows = []
    for i in range(x.shape[0]):
        g = torch.autograd.grad(model.log_prob(x[i:i + 1]).sum(), list(model.parameters()))
        rows.append(torch.cat([t.reshape(-1) for t in g]))
    return torch.stack(rows)


def test_fisher_loop_passes(sol):
    res = grade("fisher_scores_test", {"fisher_scores_probe": fisher_probe_of(_loop_scores, sol)})
    assert res.passed, res.message


@pytest.mark.parametrize("wrong, cause", [
    (lambda m, x: _loop_scores(m, x).sum(0, keepdim=True).expand(x.shape[0], -1), "batch-summed"),
    (lambda m, x: -_loop_scores(m, x), "wrong sign"),
    (lambda m, x: -_loop_scores(m, x) / x.shape[0], "divided by B"),
    (lambda m, x: _loop_scores(m, x) / x[0].numel(), "divided by D"),
])
def test_wrong_fisher_fails(sol, wrong, cause):
    res = grade("fisher_scores_test", {"fisher_scores_probe": fisher_probe_of(wrong, sol)})
    assert not res.passed and cause in res.message, res.message


# ------------------------------------------------------------------ the classifier (5 points)
def test_notebook_linear_probe_is_the_graders(sol):
    gen = torch.Generator().manual_seed(0)
    f, y = torch.randn(60, 7, generator=gen), torch.randint(0, 3, (60,), generator=gen)
    assert sol["linear_probe"](f[:30], y[:30], f[30:], y[30:]) == ms.linear_probe(f[:30], y[:30], f[30:], y[30:])


@pytest.fixture
def small_split(monkeypatch):
    monkeypatch.setattr(ms, "PROBE_SPLIT", {"ci": {"shapes": (20, 20), "mnist_binary": (20, 20)}})
    monkeypatch.setattr(ms, "VERIFY_ROWS", 16)


def _theta():
    torch.manual_seed(1)
    return torch.nn.utils.parameters_to_vector(FisherPixelCNN(8).parameters()).detach()


def test_accuracy_against_threshold(sol, small_split):
    probe = fisher_probe_of(sol["fisher_scores"], sol)
    easy = ms.check_fisher_accuracy(probe, _theta, "shapes", "ci", entry={"threshold": 0.9, "loose_bound": 0.95})
    assert easy.passed and 0 <= easy.details["error_rate"] <= 0.9 and easy.details["dataset"] == "shapes"
    hard = ms.check_fisher_accuracy(probe, _theta, "shapes", "ci", entry={"threshold": -0.5, "loose_bound": -0.1})
    assert not hard.passed and hard.score == 0 and "full credit needs" in hard.message


def test_accuracy_refuses_wrong_features_and_models(sol, small_split):
    entry = {"threshold": 0.9, "loose_bound": 0.95}
    summed = fisher_probe_of(lambda m, x: _loop_scores(m, x).sum(0, keepdim=True).expand(x.shape[0], -1), sol)
    res = ms.check_fisher_accuracy(summed, _theta, "shapes", "ci", entry=entry)
    assert not res.passed and "not Fisher scores" in res.message and "batch-summed" in res.message
    res = ms.check_fisher_accuracy(fisher_probe_of(sol["fisher_scores"], sol), lambda: torch.zeros(10), "shapes", "ci",
                                   entry=entry)
    assert not res.passed and "TinyPixelCNN" in res.message


def test_calibration_records_error_rate():
    from autograder.calibration.record import from_details

    assert from_details("fisher_classifier_test", {"parts": {"a": {"dataset": "shapes", "error_rate": 0.1}}}) == \
        {("fisher_classifier_test", "shapes"): 0.1}


# ------------------------------------------------------------------ mutations
def _mutated(m):
    nb = jupytext.read(SOURCE, fmt="py:percent")
    return load(apply_mutation(nbformat.from_dict(nb), m))


def _objects_for(qid, ns):
    if qid == "multiscale_ar_test":
        return {"multiscale_groups": ns["multiscale_groups"], "multiscale_probe": probe_of(ns)}
    if qid == "multiscale_sampler_test":
        return {"multiscale_sample_step": ns["sample_next_group"]}
    if qid == "fisher_scores_test":
        return {"fisher_scores_probe": fisher_probe_of(ns["fisher_scores"], ns)}
    raise KeyError(qid)


@pytest.mark.parametrize("mutation", ms.MUTATIONS, ids=lambda m: m.student)
def test_mutation_fails_its_question_only(mutation):
    ns = _mutated(mutation)
    qid, word = mutation.expect
    res = grade(qid, _objects_for(qid, ns))
    assert not res.passed and word in res.message.lower(), res.message
    for other in {"multiscale_ar_test", "multiscale_sampler_test", "fisher_scores_test"} - {qid}:
        assert grade(other, _objects_for(other, ns)).passed, other


# ------------------------------------------------------------------ structure
def test_questions_match_graded_cells():
    """25 points; every graded cell has a Question with its id and points and calls grade_in_notebook; every
    name a question needs is exposed in a locked, non-graded cell."""
    import re

    from autograder.assignments import base

    qs = [q for q in base.questions("hw2") if q.notebook == "04_multiscale_fisher"]
    assert sum(q.points for q in qs) == 25
    nb = jupytext.read(SOURCE, fmt="py:percent")
    graded = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert set(graded) == {q.id for q in qs}
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader")]
    assert len(ids) == len(set(ids)) and all(i.startswith(("multiscale_", "fisher_")) for i in ids)
    text = SOURCE.read_text()
    exposed = [re.escape(n) for n in re.findall(r'expose\(\s*"([^"]+)"', text)]
    exposed += [re.sub(r"\\\{[^}]*\\\}", r"\\w+", re.escape(n)) for n in re.findall(r'expose\(\s*f"([^"]+)"', text)]
    for q in qs:
        assert graded[q.id].metadata["nbgrader"]["points"] == q.points
        assert f'grade_in_notebook("hw2", "{q.id}")' in graded[q.id].source
        assert "expose(" not in graded[q.id].source
        for name in q.required_names:
            assert any(re.fullmatch(p, name) for p in exposed), f"{q.id} needs {name!r}, never exposed"
