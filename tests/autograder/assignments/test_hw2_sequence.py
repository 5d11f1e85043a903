"""Questions of hw2 notebook 01_sequence_models: the solution cells earn full marks, each wrong variant
fails naming its cause, right variants written differently pass, and each MUTATION fails its question."""
from __future__ import annotations

import json
import math
import types
from pathlib import Path

import jupytext
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from autograder.assignments import base
from autograder.assignments.hw2 import sequence as q
from autograder.examples import apply_mutation
from solution_cells import run_cells

CTX = base.GradingContext("hw2", "ci")
SOURCE = Path(__file__).resolve().parents[3] / "solutions" / "hw2" / "01_sequence_models.py"
PRELUDE = ("import os, math\nimport numpy as np, torch\nimport torch.nn as nn\n"
           "import torch.nn.functional as F\nfrom arkit.submission import expose\n")
CELLS = ("seq_nade", "seq_nade_expose", "seq_rnn", "seq_rnn_expose", "seq_rowlstm")


def load(nb=None) -> dict:
    """Namespace after running the cells that define NADE, PixelRNN, RowLSTM and their probes."""
    nb = nb or jupytext.read(SOURCE, fmt="py:percent")
    return run_cells(nb, CELLS, prelude=PRELUDE, where=SOURCE.name)


@pytest.fixture(scope="module")
def sol():
    return load()


def grade(qid: str, **objects):
    return base.grade_question(base.get_question("hw2", qid), objects, CTX)


def _probe_with(sol, fn_name: str, **names):
    """The notebook's locked probe ``fn_name`` running other classes/functions (``names``)."""
    fn = sol[fn_name]
    return types.FunctionType(fn.__code__, dict(sol, **names), fn.__name__, fn.__defaults__)


# -- NADE ----------------------------------------------------------------------------------------------

def _nade_with_forward(sol, forward):
    return type("VariantNADE", (sol["NADE"],), {"forward": forward})


def _loop_forward(self, x):
    """Right, written differently: an explicit loop with the running sum (the paper's Algorithm 1)."""
    x = x.reshape(x.shape[0], -1).to(self.W.dtype)
    a = self.c.expand(x.shape[0], -1)
    out = []
    for d in range(self.num_vars):
        out.append(torch.sigmoid(a) @ self.V[d] + self.b[d])
        a = a + x[:, d:d + 1] * self.W[:, d]
    return torch.stack(out, 1)


def _exclusive_cumsum_forward(self, x):
    """Right, written differently: exclusive prefix sums by padding, as a (B, H, D) matrix product."""
    x = x.reshape(x.shape[0], -1).to(self.W.dtype)
    pre = torch.cumsum(x[:, None, :] * self.W[None], dim=2)                 # (B, H, D) inclusive
    a = self.c[None, :, None] + F.pad(pre, (1, 0))[:, :, :-1]
    return torch.einsum("bhd,dh->bd", torch.sigmoid(a), self.V) + self.b


def _naive_forward(self, x):
    """Right numbers, O(D^2 H): one product with W[:, :d] per position."""
    x = x.reshape(x.shape[0], -1).to(self.W.dtype)
    return torch.stack([torch.sigmoid(self.c + x[:, :d] @ self.W[:, :d].T) @ self.V[d] + self.b[d]
                        for d in range(self.num_vars)], 1)


def _masked_matrix_forward(self, x):
    """Right numbers, O(D^2 H): all prefixes at once with a strictly lower-triangular mask."""
    x = x.reshape(x.shape[0], -1).to(self.W.dtype)
    D = self.num_vars
    prefix = x[:, None, :] * torch.tril(torch.ones(D, D, dtype=x.dtype), -1)   # (B, D, D): row d = x_<d
    return (torch.sigmoid(prefix @ self.W.T + self.c) * self.V).sum(-1) + self.b


def _inclusive_forward(self, x):
    x = x.reshape(x.shape[0], -1).to(self.W.dtype)
    a = self.c + torch.cumsum(x[:, :, None] * self.W.T, dim=1)
    return (torch.sigmoid(a) * self.V).sum(-1) + self.b


def _behind_forward(self, x):
    x = x.reshape(x.shape[0], -1).to(self.W.dtype)
    contrib = x[:, :, None] * self.W.T
    a = self.c + F.pad(torch.cumsum(contrib, 1), (0, 0, 2, 0))[:, :-2]
    return (torch.sigmoid(a) * self.V).sum(-1) + self.b


def _nade_objects(sol, forward=None):
    names = {} if forward is None else {"NADE": _nade_with_forward(sol, forward)}
    return {"seq_nade_probe": _probe_with(sol, "nade_probe", **names),
            "seq_nade_cost_probe": _probe_with(sol, "nade_cost_probe", **names)}


@pytest.mark.parametrize("forward", [None, _loop_forward, _exclusive_cumsum_forward])
def test_right_nade_forward_passes_both(sol, forward):
    """Do the solution, a running-sum loop and a padded cumsum each earn both NADE questions?"""
    objects = _nade_objects(sol, forward)
    for qid in ("seq_nade_test", "seq_nade_cost_test"):
        result = grade(qid, seq_nade_probe=objects["seq_nade_probe"],
                       seq_nade_cost_probe=objects["seq_nade_cost_probe"])
        assert result.passed and result.score == 1.0, (qid, result.message)


@pytest.mark.parametrize("forward", [_naive_forward, _masked_matrix_forward])
def test_quadratic_nade_is_right_but_fails_cost(sol, forward):
    """Is an O(D^2 H) forward pass (right logits) credited for correctness and refused for cost, ratio named?"""
    objects = _nade_objects(sol, forward)
    assert grade("seq_nade_test", **{"seq_nade_probe": objects["seq_nade_probe"]}).passed
    result = grade("seq_nade_cost_test", seq_nade_cost_probe=objects["seq_nade_cost_probe"])
    assert not result.passed and "O(D^2 H)" in result.message and "D^1.9" in result.message, result.message


@pytest.mark.parametrize("forward, cause", [(_inclusive_forward, "sees its own pixel"),
                                            (_behind_forward, "one pixel behind")])
def test_wrong_nade_forward_fails_with_cause(sol, forward, cause):
    """Does an output that sees itself, or one that is a pixel behind, fail seq_nade_test naming it?"""
    result = grade("seq_nade_test", seq_nade_probe=_nade_objects(sol, forward)["seq_nade_probe"])
    assert not result.passed and cause in result.message, result.message
    assert "degree" not in result.hint and "a_d" in result.hint, result.hint     # the fix in NADE's terms


def test_nade_without_torch_work_fails_cost(sol):
    """Does a forward pass that does no counted work (constant logits) fail the cost question?"""
    objects = _nade_objects(sol, lambda self, x: torch.zeros(x.shape[0], self.num_vars))
    result = grade("seq_nade_cost_test", seq_nade_cost_probe=objects["seq_nade_cost_probe"])
    assert not result.passed and "does not compute" in result.message, result.message


def test_nade_stub_is_not_implemented():
    def stub(*args):
        raise NotImplementedError()
    result = grade("seq_nade_test", seq_nade_probe=stub)
    assert not result.passed and "not implemented" in result.message


# -- RNN -----------------------------------------------------------------------------------------------

def _rnn_objects(sol, inputs=None, rnn_cls=None):
    names = {}
    if inputs is not None:
        names["rnn_inputs"] = inputs
    if rnn_cls is not None:
        names["PixelRNN"] = rnn_cls
    if inputs is not None and rnn_cls is None:
        rnn_cls = type("VariantRNN", (sol["PixelRNN"],), {})
        rnn_cls.forward = types.FunctionType(sol["PixelRNN"].forward.__code__, dict(sol, rnn_inputs=inputs))
        names["PixelRNN"] = rnn_cls
    return {"seq_rnn_inputs": names.get("rnn_inputs", sol["rnn_inputs"]),
            "seq_rnn_ar_probe": _probe_with(sol, "rnn_ar_probe", **names)}


def test_solution_rnn_passes(sol):
    result = grade("seq_rnn_model_test", **_rnn_objects(sol))
    assert result.passed and result.score == 1.0, result.message


def _linspace_inputs(x, coords=False):
    """Right, written differently: meshgrid + linspace, torch.roll with the start slot overwritten."""
    B, _, H, W = x.shape
    v = x.reshape(B, -1).float()
    prev = torch.roll(v, 1, dims=1)
    prev[:, 0] = 0
    start = (torch.arange(H * W) == 0).float().expand(B, -1)
    cols = [prev, start]
    if coords:
        ii, jj = torch.meshgrid(torch.linspace(0, 1, H), torch.linspace(0, 1, W), indexing="ij")
        cols += [ii.reshape(-1).expand(B, -1), jj.reshape(-1).expand(B, -1)]
    return torch.stack(cols, -1)


class LSTMPixelRNN(nn.Module):
    """Right, written differently: a 2-layer LSTM with an MLP head."""

    def __init__(self, height, width, hidden, coords=False):
        super().__init__()
        self.height, self.width, self.coords = height, width, coords
        self.rnn = nn.LSTM(4 if coords else 2, hidden, num_layers=2, batch_first=True)
        self.head = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x):
        out, _ = self.rnn(_linspace_inputs(x, self.coords))
        return self.head(out).view(x.shape[0], 1, self.height, self.width)


def test_rnn_written_differently_passes(sol):
    """Do linspace/roll features and a 2-layer LSTM with an MLP head pass?"""
    result = grade("seq_rnn_model_test", **_rnn_objects(sol, _linspace_inputs, LSTMPixelRNN))
    assert result.passed and result.score == 1.0, result.message


def _unshifted(x, coords=False):
    f = _linspace_inputs(x, coords)
    f[..., 0] = x.reshape(x.shape[0], -1).float()
    return f


def _previous_coords(x, coords=False):
    from autograder.reference.models.rnn import rnn_inputs
    return rnn_inputs(x, coords, coords_shift=-1).float()


def _no_start_flag(x, coords=False):
    f = _linspace_inputs(x, coords)
    f[..., 1] = 0
    return f


@pytest.mark.parametrize("inputs, cause", [(_unshifted, "not shifted by one"),
                                           (_previous_coords, "previous pixel"),
                                           (_no_start_flag, "start flag")])
def test_wrong_rnn_inputs_fail_with_cause(sol, inputs, cause):
    """Is each slip in the features named (and an unshifted input also fails the AR check)?"""
    result = grade("seq_rnn_model_test", **_rnn_objects(sol, inputs))
    assert not result.passed and cause in result.message, result.message
    if inputs is _unshifted:
        assert "own" in result.message and result.score < 0.5, result.message


def test_rnn_reading_the_next_pixel_fails_ar(sol):
    """A model whose features are right but that feeds x itself to the GRU fails the AR part."""
    class Leaky(sol["PixelRNN"]):
        def forward(self, x):
            f = sol["rnn_inputs"](x, self.coords)
            f = f.clone()
            f[..., 1] = x.reshape(x.shape[0], -1).float()      # the flag slot carries x_t
            states, _ = self.rnn(f)
            return self.head(states).view(x.shape[0], 1, self.height, self.width)
    result = grade("seq_rnn_model_test", **_rnn_objects(sol, rnn_cls=Leaky))
    assert not result.passed and "own" in result.message, result.message


# -- held-out thresholds (fake held-out split, fake calibration file) ----------------------------------

@pytest.fixture()
def fake_heldout(monkeypatch, tmp_path):
    """Held-out shapes / binarized_mnist = Bernoulli(0.2) pixels; thresholds just above their entropy."""
    import autograder.heldout
    from arkit.data.split import DatasetInfo, Split

    rng = np.random.default_rng(0)
    splits = {name: Split((rng.random((64, *shape)) < 0.2).astype(np.uint8), None,
                          DatasetInfo(name, shape, 2, "fake"), "heldout")
              for name, shape in q.DATASET_SHAPES.items()}
    monkeypatch.setattr(autograder.heldout, "load_heldout", lambda name, *a, **k: splits[name])
    entry = lambda thr: {"ci": {"threshold": thr, "loose_bound": 1.5 * thr, "measured": [thr], "seeds": [0]}}
    calib = {"assignment": "hw2", "schema": 1, "margin_rule": "test", "questions": {
        qid: {spec.dataset: entry(0.52)} for qid, (spec,) in q.PARAM_FNS.items()}}
    (tmp_path / "hw2.json").write_text(json.dumps(calib))
    monkeypatch.setenv("ARKIT_CALIBRATION_DIR", str(tmp_path))
    return tmp_path


def _constant(p):
    return lambda x: torch.full(x.shape, float(torch.logit(torch.tensor(p))))


def test_threshold_questions_one_per_model(fake_heldout):
    """Entropy-level models pass each of the four questions; a uniform one gets nothing; a missing one is named."""
    assert sorted(q.PARAM_FNS) == ["seq_rnn_mnist_test", "seq_rnn_mnist_xy_test", "seq_rnn_shapes_test",
                                   "seq_rnn_shapes_xy_test"]
    for qid, (spec,) in q.PARAM_FNS.items():
        result = grade(qid, **{spec.name: _constant(0.2)})
        assert result.passed and result.score == 1.0, result.message
        result = grade(qid, **{spec.name: _constant(0.5)})
        assert not result.passed and result.score == 0 and "uniform" in result.message, result.message
        result = grade(qid)
        assert not result.passed and spec.name in result.message, result.message


def test_calibration_records_each_model_separately(fake_heldout):
    """Does each question report its own (question, dataset) measurement for calibration?"""
    from autograder.calibration.record import from_details

    for qid, (spec,) in q.PARAM_FNS.items():
        result = grade(qid, **{spec.name: _constant(0.2)})
        assert list(from_details(qid, result.details)) == [(qid, spec.dataset)]


def test_threshold_audit_catches_an_unshifted_rnn(fake_heldout, sol):
    """A scored RNN that reads the pixel it predicts fails the audit of its param_fn."""
    torch.manual_seed(0)
    model = LSTMPixelRNN(20, 20, 8)
    model.forward = lambda x: model.head(model.rnn(_unshifted(x))[0]).view(x.shape[0], 1, 20, 20)
    fn = lambda x: model(x).detach()
    result = grade("seq_rnn_shapes_test", seq_rnn_shapes_params=fn)
    assert not result.passed and result.score == 0, result.message


# -- Row LSTM ------------------------------------------------------------------------------------------

def test_row_lstm_solution_and_variant_pass(sol):
    """The solution (untrained) and a Row LSTM with a 1x5 state-to-state kernel both pass."""
    torch.manual_seed(0)
    for model in (sol["RowLSTM"](6), sol["RowLSTM"](6, k=5)):
        result = grade("seq_rowlstm_test", seq_rowlstm_model=model.eval())
        assert result.passed, result.message


def test_row_lstm_seeing_its_pixel_fails(sol):
    """A Row LSTM whose input-to-state mask keeps the centre tap sees its own pixel."""
    torch.manual_seed(0)
    model = sol["RowLSTM"](6)
    model.mask[1, 1] = 1.0
    result = grade("seq_rowlstm_test", seq_rowlstm_model=model.eval())
    assert not result.passed and "own" in result.message, result.message


# -- mutations ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mutation", q.MUTATIONS, ids=lambda m: m.student)
def test_mutation_fails_its_question(mutation):
    """Is each one-bug example found in the solution and does it fail its question with its word?"""
    nb = apply_mutation(jupytext.read(SOURCE, fmt="py:percent"), mutation)
    ns = load(nb)
    qid, word = mutation.expect
    objects = {"seq_nade_test": {"seq_nade_probe": ns["nade_probe"]},
               "seq_rnn_model_test": {"seq_rnn_inputs": ns["rnn_inputs"], "seq_rnn_ar_probe": ns["rnn_ar_probe"]}}[qid]
    result = grade(qid, **objects)
    assert not result.passed and word in result.message.lower(), result.message
    # what each loses of its question (the description says so): all of it, or the features third
    expected = {"seq_rnn_coords_of_previous": 2 / 3}.get(mutation.student, 0.0)
    assert abs(result.score - expected) < 1e-9, (mutation.student, result.score)


# -- structure ---------------------------------------------------------------------------------------------

def test_graded_cells_match_questions():
    """25 points; every graded cell has a Question of the same id and points calling grade_in_notebook, every
    grade_id starts with seq_, every needed object is exposed, and no graded cell exposes anything."""
    import re

    qs = [x for x in base.questions("hw2") if x.notebook == q.NOTEBOOK]
    assert sum(x.points for x in qs) == 25
    nb = jupytext.read(SOURCE, fmt="py:percent")
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids)) and all(i.startswith("seq_") for i in ids), ids
    graded = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert set(graded) == {x.id for x in qs}
    text = SOURCE.read_text()
    exposed = [re.escape(n) for n in re.findall(r'expose\(\s*"([^"]+)"', text)]
    exposed += [re.sub(r"\\\{[^}]*\\\}", r"\\w*", re.escape(n)) for n in re.findall(r'expose\(\s*f"([^"]+)"', text)]
    for x in qs:
        assert graded[x.id].metadata["nbgrader"]["points"] == x.points
        assert f'grade_in_notebook("hw2", "{x.id}")' in graded[x.id].source
        assert "expose(" not in graded[x.id].source
        for name in x.required_names:
            assert any(re.fullmatch(p, name) for p in exposed), f"{x.id} needs {name!r}, never exposed"
