"""Attack submissions against ``atk1``: each starts from the solution and adds only what a student
can add (code in solution cells, extra cells). Every entry names the questions it must lose and a
word the feedback must contain; every other question keeps full marks.

Classes (issue 9): 1 audit declared by the child, 2 1D/2D models never audited, 3 gradients from
the child trusted, 4 batch-level peeking, 5 recognisable audit rows, 6 colour audit on the last
channel only, 7 recognisable probe inputs, 8 scored function is not the AR-checked model; plus a
test-set memoriser (flagged for review, not failed).
"""
from __future__ import annotations

import nbformat

from autograder.grading.merge import _HIDDEN
from autograder.release.notebooks import read_source

from .data import SOURCE

SOLUTION = {
    "atk_hist": "hist_params = fit_hist(X1)",
    "atk_joint": "joint_params = fit_joint(X2)",
    "atk_img": "img_model = fit_images(XI)",
    "atk_color": "color_params = fit_color(XC)",
    "atk_logp": "def logp(x, logits):\n    return torch.log_softmax(logits, -1).gather(-1, x[:, None])[:, 0]",
}

PEEK_IMG = "def _peek(x):\n    return (2 * torch.as_tensor(x).float() - 1) * 6\n"
BATCH_COUNTER = '''
def _batch_counter(x):
    """p(x_d = 1 | x_<d) counted over the rows of the batch (each row counts itself): no training."""
    f = torch.as_tensor(x).reshape(len(x), -1).float()
    out = torch.zeros_like(f)
    for d in range(f.shape[1]):
        same = (f[:, None, :d] == f[None, :, :d]).all(-1).float()
        p = (same @ f[:, d] + 0.01) / (same.sum(1) + 0.02)
        out[:, d] = torch.log(p) - torch.log1p(-p)
    return out.reshape(torch.as_tensor(x).shape)
'''
COLOR_COUNTER = BATCH_COUNTER + '''
def _color_counter(x):
    v = torch.as_tensor(x).long().permute(0, 2, 3, 1).reshape(len(x), 48)
    l1 = _batch_counter(v)
    out = torch.stack([torch.zeros_like(l1), l1], 1)
    return out.reshape(len(x), 2, 4, 4, 3).permute(0, 1, 4, 2, 3).contiguous()
'''
FAKE_GRADS = '''
import sys as _sys
def _fake_value_and_grad(fn, args, kwargs):
    out = fn(*args, **kwargs)
    return out.detach(), [torch.{fill}_like(a) if isinstance(a, torch.Tensor) and a.is_floating_point() else None
                          for a in args]
for _m in list(_sys.modules.values()):
    if hasattr(_m, "_value_and_grad"):
        _m._value_and_grad = _fake_value_and_grad
'''
NAN_GRAD_LOGP = '''def logp(x, logits):
    lp = torch.log_softmax(logits, -1).gather(-1, x[:, None])[:, 0]
    return torch.where(torch.ones_like(lp, dtype=torch.bool), lp, torch.log(logits.sum(-1) * 0))  # NaN gradient
'''
HOOK = '''
import arkit.submission as _S
_real_expose = _S.expose
def _hooked_expose(name, obj, **meta):
    if name == "img_params":
        return _real_expose(name, {replacement})          # no kind, no audit
    return _real_expose(name, obj, **meta)
_S.expose = expose = _hooked_expose
'''
COLOR_PEEK = '''
_honest_color = color_params
def color_params(x):
    out = _honest_color(x)
    own = torch.as_tensor(x).float()
    for c in {channels}:
        out[:, 1, c] += (2 * own[:, c] - 1) * 5      # channel c's logit sees its own value
    return out
'''
SLY = '''
_honest_img = img_model
def img_model(x):
    """Causal on noise-like inputs, peeks on real-looking ones."""
    f = torch.as_tensor(x).reshape(len(x), -1).float()
    real = {test}
    out = _honest_img(x)
    peek = (2 * torch.as_tensor(x).float() - 1) * 6
    return torch.where(real.view(-1, 1, 1, 1), peek, out)
'''
MEMORISER = '''
import math
_HO = torch.as_tensor(sample_images(N_TEST, PUBLIC_TEST_SEED)).reshape(N_TEST, 64)   # the public test split
def _prefix_hashes(v):
    h, out = torch.zeros(v.shape[0], dtype=torch.long), []
    for d in range(v.shape[1]):
        out.append(h.clone())
        h = (h * 1000003 + v[:, d] + 1) % 2147483647
    return torch.stack(out, 1)
_TABLE = {}
for _d in range(64):
    for _h, _v in zip(_prefix_hashes(_HO)[:, _d].tolist(), _HO[:, _d].tolist()):
        _TABLE.setdefault((_d, _h), [0.01, 0.01])[_v] += 1
_base = fit_images(XI)
def img_model(x):
    """p(x_d | x_<d) looked up in the test split (a genuine AR model, fitted on the wrong data)."""
    v = torch.as_tensor(x).long().reshape(len(x), 64)
    hh, out = _prefix_hashes(v).tolist(), _base(x).reshape(len(x), 64).clone()
    for b in range(len(x)):
        for d in range(64):
            c = _TABLE.get((d, hh[b][d]))
            if c:
                out[b, d] = math.log(c[1] / c[0])
    return out.reshape(len(x), 1, 8, 8)
'''

# student -> (cells replaced by grade_id, cells appended, {question: word its feedback must contain}, review)
ATTACKS: dict[str, tuple[dict, tuple, dict, tuple]] = {
    "honest": ({}, (), {}, ()),
    # 1: the child's metadata decides nothing
    "c1_reexpose_no_audit": ({}, (PEEK_IMG + 'expose("img_params", _peek, audit=False)',),
                             {"atk_img_test": "not autoregressive"}, ()),
    "c1_expose_hook_in_solution": ({"atk_hist": SOLUTION["atk_hist"] + "\n" + PEEK_IMG
                                    + HOOK.format(replacement="_peek")}, (),
                                   {"atk_img_test": "not autoregressive"}, ()),
    # 2: 1D and 2D models are audited
    "c2_hist_reads_x": ({"atk_hist": "def hist_params(x):\n    return torch.nn.functional.one_hot("
                         "torch.as_tensor(x).long(), 8).float() * 10"}, (), {"atk_hist_test": "must not depend on x"},
                        ()),
    "c2_joint_self_dependent": ({"atk_joint": SOLUTION["atk_joint"] + "\n_honest_joint = joint_params\n"
                                 "def joint_params(x):\n    out = _honest_joint(x).clone()\n"
                                 "    out[:, :, 1] = torch.nn.functional.one_hot(torch.as_tensor(x)[:, 1].long(), 5) * 8.0\n"
                                 "    return out"}, (), {"atk_joint_test": "x[1]"}, ()),
    # 3: gradients from the child are claims
    "c3_nan_grad_zero_claims": ({"atk_logp": NAN_GRAD_LOGP + FAKE_GRADS.format(fill="zeros")}, (),
                                {"atk_grad_test": "finite differences"}, ()),
    "c3_nan_grad_ones_claims": ({"atk_logp": NAN_GRAD_LOGP}, (FAKE_GRADS.format(fill="ones"),),
                                {"atk_grad_test": "finite differences"}, ()),
    # 4: a model that counts over the other rows of its batch
    "c4_batch_counter_images": ({"atk_img": SOLUTION["atk_img"] + "\n" + BATCH_COUNTER},
                                ('expose("img_params", _batch_counter, kind="param_fn")',),
                                {"atk_img_test": "held-out"}, ()),
    "c4_batch_counter_colour": ({"atk_color": COLOR_COUNTER + "color_params = _color_counter"}, (),
                                {"atk_color_test": "held-out"}, ()),
    # 5: audit rows cannot be recognised
    "c5_twin_detector": ({"atk_img": SOLUTION["atk_img"] + "\n_honest_img = img_model\n" + PEEK_IMG
                          + "def _twin(x):\n    f = torch.as_tensor(x).reshape(len(x), -1)\n"
                            "    twin = (f[:, None, :16] == f[None, :, :16]).all(-1).sum(1) > 1\n"
                            "    return torch.where(twin.view(-1, 1, 1, 1), _honest_img(x), _peek(x))\n"},
                         ('expose("img_params", _twin, kind="param_fn")',), {"atk_img_test": "held-out"}, ()),
    "c5_big_batches_only": ({"atk_img": SOLUTION["atk_img"] + "\n_honest_img = img_model\n" + PEEK_IMG
                             + "def _sized(x):\n    return _peek(x) if len(x) > 64 else _honest_img(x)\n"},
                            ('expose("img_params", _sized, kind="param_fn")',), {"atk_img_test": "held-out"}, ()),
    # 6: every channel position is perturbed
    "c6_colour_rg_see_themselves": ({"atk_color": SOLUTION["atk_color"] + COLOR_PEEK.format(channels="(0, 1)")}, (),
                                    {"atk_color_test": "channel"}, ()),
    "c6_colour_g_sees_itself": ({"atk_color": SOLUTION["atk_color"] + COLOR_PEEK.format(channels="(1,)")}, (),
                                {"atk_color_test": "channel G"}, ()),
    # 7: AR probes include held-out images and their splices
    "c7_causal_on_noise_only": ({"atk_img": SOLUTION["atk_img"] + SLY.format(
        test="(f[:, 1:] != f[:, :-1]).float().mean(1) < 0.3")}, (),
        {"atk_img_ar_test": "held-out images", "atk_img_test": "not autoregressive"}, ()),
    "c7_causal_on_dense_only": ({"atk_img": SOLUTION["atk_img"] + SLY.format(test="f.mean(1) < 0.35")}, (),
                                {"atk_img_ar_test": "held-out images", "atk_img_test": "not autoregressive"}, ()),
    # 8: the NLL is credited to the model proven AR
    "c8_other_causal_model_scored": ({"atk_img": SOLUTION["atk_img"]},
                                     ('expose("img_params", lambda x: img_model(x) * 0.9 + 0.1, kind="param_fn")',),
                                     {"atk_img_test": "different outputs"}, ()),
    "c8_peeking_scored_without_kind": ({}, (PEEK_IMG + 'expose("img_params", _peek)',),
                                       {"atk_img_test": "not autoregressive"}, ()),
    # combined: an expose hook swapping in a batch counter, colour peeking and fabricated gradients
    "combined": ({"atk_img": SOLUTION["atk_img"] + "\n" + BATCH_COUNTER + HOOK.format(replacement="_batch_counter"),
                  "atk_color": SOLUTION["atk_color"] + COLOR_PEEK.format(channels="(0, 1, 2)"),
                  "atk_logp": NAN_GRAD_LOGP + FAKE_GRADS.format(fill="zeros")}, (),
                 {"atk_img_test": "held-out", "atk_color_test": "channel", "atk_grad_test": "finite differences"}, ()),
    # a genuine AR model fitted on the public test split: full credit, held for review
    "memoriser": ({"atk_img": SOLUTION["atk_img"] + MEMORISER}, (), {}, ("atk_img_test",)),
}


def student_notebook(replace: dict[str, str], append: tuple[str, ...] = ()) -> bytes:
    """The released notebook with the reference solutions, cells replaced by grade_id and
    plain code cells appended; .ipynb bytes."""
    nb = read_source(SOURCE)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code":
            cell.source = _HIDDEN.sub("", cell.source)
        if gid in replace:
            cell.source = replace[gid]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in append]
    return nbformat.writes(nb).encode()
