"""``check_autoregressive``: does each output depend only on earlier variables,
and does it use the context it may use?

Three independent pieces of evidence, combined:

1. gradient dependencies (autograd; exact, catches leaks of any size);
2. black-box cut tests (forward only; catch ``detach()``, ``no_grad``, integer tricks);
3. liveness (coverage, dead outputs, immediate past, blind spot).

For convolutional models the fast path of :mod:`arkit.checks.conv_fast` is used;
its module docstring says exactly what is and is not guaranteed.
"""
from __future__ import annotations

import time
from typing import Callable, Sequence

import torch

from arkit.checks import liveness as live_mod
from arkit.checks.conv_fast import (analysed_pixel, analysed_vars, pixel_vars, plan_cuts,
                                   small_canvas_probe)
from arkit.checks.dependency import gradient_dependency, perturbation_dependency
from arkit.checks.orders import (VarNamer, allowed_matrix, as_order, default_order, identity_order,
                                 ranks)
from arkit.checks.perturbation import cut_violations
from arkit.checks.probe import ModelProbe
from arkit.checks.result import CheckResult

MAX_REPORTED_PAIRS = 100  # offending pairs kept in details['violations']


def check_autoregressive(model: Callable, input_shape: Sequence[int], order=None, *,
                         num_values: int | None = 2, to_vars: Callable | None = None,
                         family: str = "auto", num_classes: int | None = None,
                         input_dtype=None, convolutional: bool | None = None,
                         exhaustive: bool | None = None, num_inputs: int | None = None, seed: int = 0,
                         figure: bool | str = "auto", name: str = "autoregressive") -> CheckResult:
    """Check the autoregressive property and liveness of ``model``.

    Args:
        model: ``model(x)`` (or ``model(x, y)`` with ``num_classes``) for x shaped
            (B, *input_shape) holding values 0..num_values-1 (float, or int64 if
            float fails). Put in eval mode during the check, then restored.
        input_shape: shape of ONE sample, e.g. ``(1, 28, 28)`` or ``(784,)``.
        order: ``order[k]`` = variable generated k-th; default raster (images,
            R -> G -> B within a pixel) or the identity.
        to_vars: ``out -> (B, D, F)``; the default understands the usual layouts
            (see :func:`arkit.checks.outputs.default_to_vars`).
        family: ``'made'``, ``'pixelcnn'``, ``'gated'``, ``'generic'`` or ``'auto'``:
            selects the liveness rules (:data:`arkit.checks.liveness.FAMILY_RULES`).
        convolutional: force (True) or forbid (False) the fast path; None = detect
            (the model runs on a smaller canvas).
        exhaustive: cut at every generation step (D forward passes); default: yes unless
            the fast path is used or D > 1024 (then the planned cuts of
            :func:`arkit.checks.conv_fast.plan_cuts`).
        num_inputs: random test inputs; dependencies are the union over them (a ReLU
            dead for one input cannot hide a path). Default 4, or 2 when D > 256
            (big models have many paths; cost grows linearly).
        figure: ``'auto'`` draws the heatmap when the check fails or finds a blind
            spot; True always; False never.
    Returns a :class:`CheckResult` with ``details`` holding ``violations``
    (pairs of flat indices), ``coverage``, ``blind_spot``, ``path`` and ``seconds``.
    """
    start = time.perf_counter()
    try:
        probe = ModelProbe(model, input_shape, num_values, to_vars, input_dtype, num_classes)
    except (ValueError, RuntimeError) as exc:  # the model cannot even be run: say why
        return CheckResult.fail(name, f"cannot run the model: {exc}")
    var_shape, num_vars = probe.var_shape, probe.num_vars
    order = default_order(var_shape) if order is None else as_order(order, num_vars)
    family = live_mod.resolve_family(family, var_shape)
    namer = VarNamer(var_shape, order)
    is_image = len(var_shape) == 3
    raster = is_image and torch.equal(order, default_order(var_shape))

    small = None
    if convolutional is not False and raster:
        small = small_canvas_probe(probe)
        if convolutional and small is None:
            return CheckResult.fail(name, "convolutional=True but the model does not run on a "
                                          "smaller canvas; pass convolutional=None or False")
    path = "convolutional" if small is not None else "full"
    num_inputs = num_inputs or (4 if num_vars <= 256 else 2)
    x, y = probe.sample(num_inputs, seed)

    # 1. gradient dependencies (the rows analysed for liveness and the heatmap)
    pixel = analysed_pixel(var_shape) if is_image else None
    rows = analysed_vars(var_shape) if small is not None else torch.arange(num_vars)
    dep, how = _dependency(probe, x, y, rows)
    violations = _violations(dep, rows, order)
    if small is not None and not violations:
        xs, ys = small.sample(num_inputs, seed + 1)
        small_rows = torch.arange(small.num_vars)
        dep_small, _ = _dependency(small, xs, ys, small_rows)
        small_order = default_order(small.var_shape)
        bad = _violations(dep_small, small_rows, small_order)
        if bad:
            return _finish(name, False, _ar_message(bad, VarNamer(small.var_shape, small_order),
                                                    how, " (on a small canvas)", small_order,
                                                    dep_small, small_rows),
                           start, path, figure, dep_small, small_rows, small.var_shape,
                           small_order, bad, None, violations=bad, canvas=small.var_shape)

    # 2. black-box cuts
    exhaustive = (small is None and num_vars <= 1024) if exhaustive is None else exhaustive
    cuts = plan_cuts(var_shape, order, exhaustive, seed=seed)
    bases = 1 if (small is not None or num_vars > 256) else min(2, num_inputs)
    cut_bad, passes = ([], 0) if violations else cut_violations(probe, x[:bases],
                                                                None if y is None else y[:bases],
                                                                order, cuts, seed)
    if small is not None and not violations and not cut_bad:
        xs, ys = small.sample(1, seed + 2)
        cut_bad, more = cut_violations(small, xs, ys, default_order(small.var_shape),
                                       range(small.num_vars), seed)
        passes += more
        if cut_bad:  # found on the small canvas: name and draw it there
            namer = VarNamer(small.var_shape, default_order(small.var_shape))
            probe, var_shape, order = small, small.var_shape, default_order(small.var_shape)
            num_vars, pixel, rows, x, y = small.num_vars, None, torch.arange(0), xs, ys
            dep = torch.zeros(0, num_vars, dtype=torch.bool)

    if violations:
        return _finish(name, False, _ar_message(violations, namer, how, "", order, dep, rows),
                       start, path, figure, dep, rows, var_shape, order, violations, pixel,
                       violations=violations)
    if cut_bad:
        v = cut_bad[0]
        pair = namer.pair(v.out, v.inp) if v.inp is not None else \
            f"output {namer.name(v.out)} changes when variables generated at or after step {v.cut} change"
        msg = (f"not autoregressive: {pair}, but gradients show no such dependency: the model "
               f"hides a dependency from autograd (detach(), torch.no_grad(), .data, integer "
               f"ops or in-place tricks). Remove it so that every path is masked")
        pairs = [(c.out, c.inp) for c in cut_bad if c.inp is not None]
        if is_image and small is not None and pairs:
            extra = pixel_vars(var_shape, namer.pixel(v.out)[1:])
            more, _ = _dependency(probe, x, y, extra)         # gradient rows of that pixel
            dep, rows = torch.cat([dep, more]), torch.cat([rows, extra])
        return _finish(name, False, msg, start, path, figure, dep, rows, var_shape, order,
                       pairs, pixel, violations=pairs, cuts=len(cuts), forward_passes=passes)

    # 3. liveness
    live = live_mod.analyse(dep, rows, order, var_shape, pixel if raster else None,
                            analysed_vars(var_shape) if is_image else None)
    problems = live_mod.verdict(live, family, namer)
    details = {"coverage": live.coverage, "dead_outputs": live.dead,
               "blind_spot": None if live.blind_spot is None else live.blind_spot.cells,
               "cuts": len(cuts), "forward_passes": passes, "family": family, "dependency": how}
    notes = f"coverage of allowed pairs {live.coverage:.2f}"
    if live.blind_spot is not None:
        notes += "; " + live.blind_spot.describe()
    if problems:
        return _finish(name, False, "; ".join(problems) + f" ({notes})", start, path, figure,
                       dep, rows, var_shape, order, [], pixel, live=live, score=0.5, **details)
    msg = f"autoregressive ({path} check, {len(cuts)} cut tests); {notes}"
    return _finish(name, True, msg, start, path, figure, dep, rows, var_shape, order, [], pixel,
                   live=live, **details)


def _dependency(probe, x, y, rows):
    dep = gradient_dependency(probe, x, y, rows)
    if dep is not None:
        return dep, "gradients"
    return perturbation_dependency(probe, x, y, rows), "single-input perturbations"


def _violations(dep, rows, order) -> list[tuple[int, int]]:
    """Offending (output, input) pairs, earliest-generated output first."""
    allowed = allowed_matrix(order)[rows]
    bad = torch.nonzero(dep & ~allowed)
    if bad.numel() == 0:
        return []
    rank = ranks(order)
    pairs = [(int(rows[r]), int(e)) for r, e in bad.tolist()]
    return sorted(pairs, key=lambda p: (int(rank[p[0]]), -int(rank[p[1]])))


def _cause(out: int, inp: int, namer: VarNamer) -> str:
    if not namer.is_image:
        if out == inp:
            return ("an output depends on its own input: the mask into the output layer must use a "
                    "strict inequality (output degree > hidden degree)")
        return "an output depends on a variable generated later"
    (co, io, jo), (ci, ii, ji) = namer.pixel(out), namer.pixel(inp)
    if (io, jo) == (ii, ji):
        if co == ci:
            return ("a pixel sees itself: the first layer must be a type 'A' mask (centre tap 0) and "
                    "no unmasked layer (e.g. a plain 1x1 conv) may mix channels")
        return ("a colour channel sees a later channel of the same pixel: colour groups must be "
                "contiguous R|G|B blocks, 'A': group g sees groups < g, 'B': groups <= g, and every "
                "layer (also 1x1) must be masked")
    if ii > io:
        return ("a pixel sees a later row: rows below the centre must be masked (Gated PixelCNN: "
                "the vertical stack must be shifted down by one row)")
    return ("a pixel sees a pixel to its right in the same row: positions right of the centre "
            "must be masked (Gated PixelCNN: the horizontal stack may only look left, and the "
            "vertical stack must be shifted down one row before it feeds the horizontal stack)")


def _ar_message(pairs, namer, how, where, order, dep, rows) -> str:
    out, inp = pairs[0]
    msg = (f"not autoregressive{where}: {namer.pair(out, inp)} ({len(pairs)} offending pairs, "
           f"found by {how}). Cause: {_cause(out, inp, namer)}")
    later = ranks(order) >= ranks(order)[out]
    seen_later = int(dep[rows.tolist().index(out)][later].sum())
    if int(later.sum()) >= 4 and seen_later > 0.5 * int(later.sum()):
        msg += (f". This output sees {seen_later} of the {int(later.sum())} variables generated from "
                f"its own step on: a path that summarises the whole image (global pooling or mean, "
                f"a fully connected layer over all inputs, or a conditioning network fed with x) "
                f"leaks the future")
    if not namer.is_image and not torch.equal(order, identity_order(order.numel())):
        if not bool((dep & ~allowed_matrix(identity_order(order.numel()))[rows]).any()):
            msg += (". The model IS autoregressive for the identity order 0, 1, ..., D-1: it "
                    "ignores the order it was given")
    return msg


def _finish(name, passed, message, start, path, figure, dep, rows, var_shape, order, offending,
            pixel, live=None, score=None, **details) -> CheckResult:
    details.update(path=path, seconds=time.perf_counter() - start)
    details["violations"] = list(details.get("violations", offending))[:MAX_REPORTED_PAIRS]
    fig = None
    blind = live.blind_spot if live is not None else None
    if figure is True or (figure == "auto" and (not passed or blind is not None)):
        fig = _draw(dep, rows, var_shape, order, offending, pixel, blind)
    score = (1.0 if passed else 0.0) if score is None else score
    result = CheckResult(name, passed, score, message, details, fig)
    return result


def _draw(dep, rows, var_shape, order, offending, pixel, blind):
    from arkit.checks.heatmap import dependency_heatmap  # matplotlib only when drawing

    if len(var_shape) != 3:
        dep = dep.clone()
        for out, inp in offending:
            if out in rows.tolist():
                dep[rows.tolist().index(out), inp] = True
        return dependency_heatmap(dep, rows, var_shape, order)
    if offending:
        _, i, j = VarNamer(var_shape, order).pixel(offending[0][0])
        if set(pixel_vars(var_shape, (i, j)).tolist()) <= set(rows.tolist()):
            pixel = (i, j)
    if pixel is None:
        return None
    return dependency_heatmap(dep, rows, var_shape, order, pixel, blind.cells if blind else (),
                              offending=offending)
