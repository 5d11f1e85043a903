"""``check_autoregressive``: does each output depend only on earlier variables,
and does it use the context it may use?

Three independent pieces of evidence, combined:

1. gradient dependencies (autograd; exact, catches leaks of any size);
2. black-box cut tests (forward only; catch ``detach()``, ``no_grad``, integer tricks);
3. liveness (coverage, dead outputs, immediate past, blind spot; :mod:`arkit.checks.liveness`).

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
from arkit.checks.dependency import (gradient_dependency, gradient_dependency_and_seen,
                                    perturbation_dependency)
from arkit.checks.orders import VarNamer, as_order_and_groups, default_order, identity_order
from arkit.checks.perturbation import cut_violations
from arkit.checks.probe import ModelProbe
from arkit.checks.result import CheckResult

MAX_REPORTED_PAIRS = 100  # offending pairs kept in details['violations']
EXTRA_LIVENESS_INPUTS = 16  # more test inputs before an output is called dead (ReLUs dead by chance)


def check_autoregressive(model: Callable, input_shape: Sequence[int], order=None, *,
                         num_values: int | None = 2, to_vars: Callable | None = None,
                         family: str = "auto", channels: str = "autoregressive",
                         output_shape: Sequence[int] | None = None, num_classes: int | None = None,
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
            R -> G -> B within a pixel) or the identity. Or a *group order* (variables
            sampled together): a list of groups (lists of flat variable indices, in sampling
            order) or group ranks with ties (length D, ``order[d]`` = group of variable d,
            0..G-1); see :func:`arkit.checks.orders.as_order_and_groups`. Variables of one
            group must not depend on each other, each may depend on every earlier group, and
            every variable of a group g > 0 must see something of the earlier groups. A
            permutation is the special case of one variable per group: one code path (ranks).
        to_vars: ``out -> (B, D, F)``; the default understands the usual layouts
            (see :func:`arkit.checks.outputs.default_to_vars`).
        family: ``'made'``, ``'pixelcnn'``, ``'gated'``, ``'generic'`` or ``'auto'``:
            selects the liveness rules (:data:`arkit.checks.liveness.FAMILY_RULES`).
        channels: the colour dependence the question asks for (images with C > 1):
            ``'autoregressive'`` -- channel c of a pixel depends on channels < c of the same
            pixel (R -> G -> B) and must use them; ``'independent'`` -- the channels of a pixel
            are independent given the previous pixels: no channel may see any channel of its
            own pixel. Every other rule of ``family`` applies either way.
        output_shape: the documented shape of ONE output, e.g. ``(K, C, H, W)`` for logits
            (B, K, C, H, W); the model must return exactly (B, *output_shape) (a swapped
            layout is named). None: any layout :func:`default_to_vars` understands.
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
    if channels not in live_mod.CHANNELS:
        raise ValueError(f"channels must be one of {live_mod.CHANNELS}, got {channels!r}")
    try:
        probe = ModelProbe(model, input_shape, num_values, to_vars, input_dtype, num_classes)
    except (ValueError, RuntimeError) as exc:  # the model cannot even be run: say why
        return CheckResult.fail(name, f"cannot run the model: {exc}")
    var_shape, num_vars = probe.var_shape, probe.num_vars
    if output_shape is not None:
        bad_layout = _layout_problem(probe, tuple(int(s) for s in output_shape), var_shape)
        if bad_layout:
            return CheckResult.fail(name, bad_layout, hint="return the documented layout (permute/transpose "
                                                           "the axes before returning)")
    order, group = (default_order(var_shape), None) if order is None else as_order_and_groups(order, num_vars)
    family = live_mod.resolve_family(family, var_shape)
    is_image = len(var_shape) == 3
    channels = channels if is_image and var_shape[0] > 1 else "autoregressive"
    namer = VarNamer(var_shape, order, group)
    rank = live_mod.variable_ranks(order, var_shape, channels, group)
    raster = is_image and group is None and torch.equal(order, default_order(var_shape))

    small = None
    if convolutional is not False and raster:
        small = small_canvas_probe(probe)
        if convolutional and small is None:
            return CheckResult.fail(name, "convolutional=True but the model does not run on a "
                                          "smaller canvas; pass convolutional=None or False")
    path = "convolutional" if small is not None else "full"
    num_inputs = num_inputs or (4 if num_vars <= 256 else 2)
    x, y = probe.sample(num_inputs, seed)
    ctx = dict(channels=channels)

    # 1. gradient dependencies (the rows analysed for liveness and the heatmap)
    pixel = analysed_pixel(var_shape) if is_image else None
    rows = analysed_vars(var_shape) if small is not None else torch.arange(num_vars)
    dep, how, seen = _dependency(probe, x, y, rows, with_seen=True)
    violations = _violations(dep, rows, rank)
    if small is not None and not violations:
        xs, ys = small.sample(num_inputs, seed + 1)
        small_rows = torch.arange(small.num_vars)
        dep_small, _, _ = _dependency(small, xs, ys, small_rows)
        small_order = default_order(small.var_shape)
        small_rank = live_mod.variable_ranks(small_order, small.var_shape, channels)
        bad = _violations(dep_small, small_rows, small_rank)
        if bad:
            cause, hint = _ar_message(bad, VarNamer(small.var_shape, small_order), how, " (on a small canvas)",
                                      small_rank, dep_small, small_rows, **ctx)
            return _finish(name, False, cause, start, path, figure, dep_small, small_rows, small.var_shape,
                           small_order, bad, None, hint=hint, violations=bad, canvas=small.var_shape)

    # 2. black-box cuts (in "may see" rank space: a cut at r changes every variable of rank >= r)
    exhaustive = (small is None and num_vars <= 1024) if exhaustive is None else exhaustive
    cuts = _rank_cuts(plan_cuts(var_shape, order, exhaustive, seed=seed), order, rank)
    bases = 1 if (small is not None or num_vars > 256) else min(2, num_inputs)
    cut_bad, passes = ([], 0) if violations else cut_violations(probe, x[:bases],
                                                                None if y is None else y[:bases],
                                                                order, cuts, seed, rank=rank)
    if small is not None and not violations and not cut_bad:
        xs, ys = small.sample(1, seed + 2)
        s_order = default_order(small.var_shape)
        s_rank = live_mod.variable_ranks(s_order, small.var_shape, channels)
        cut_bad, more = cut_violations(small, xs, ys, s_order, sorted(set(s_rank.tolist())), seed, rank=s_rank)
        passes += more
        if cut_bad:  # found on the small canvas: name and draw it there
            namer = VarNamer(small.var_shape, s_order)
            probe, var_shape, order, rank = small, small.var_shape, s_order, s_rank
            num_vars, pixel, rows, x, y = small.num_vars, None, torch.arange(0), xs, ys
            dep = torch.zeros(0, num_vars, dtype=torch.bool)

    if violations:
        cause, hint = _ar_message(violations, namer, how, "", rank, dep, rows, **ctx)
        return _finish(name, False, cause, start, path, figure, dep, rows, var_shape, order, violations,
                       pixel, hint=hint, violations=violations)
    if cut_bad:
        v = cut_bad[0]
        pair = namer.pair(v.out, v.inp) if v.inp is not None else \
            f"output {namer.name(v.out)} changes when variables generated at or after step {v.cut} change"
        if group is not None:
            pair = (f"{namer.name(v.out)} in group {int(group[v.out])} depends on "
                    + (f"{namer.name(v.inp)} in group {int(group[v.inp])}" if v.inp is not None
                       else f"the variables of groups >= {v.cut}"))
        msg = (f"not autoregressive: {pair}, but gradients show no such dependency: the model "
               f"hides a dependency from autograd (detach(), torch.no_grad(), .data, integer "
               f"ops or in-place tricks)")
        pairs = [(c.out, c.inp) for c in cut_bad if c.inp is not None]
        if is_image and small is not None and pairs:
            extra = pixel_vars(var_shape, namer.pixel(v.out)[1:])
            more, _, _ = _dependency(probe, x, y, extra)      # gradient rows of that pixel
            dep, rows = torch.cat([dep, more]), torch.cat([rows, extra])
        return _finish(name, False, msg, start, path, figure, dep, rows, var_shape, order,
                       pairs, pixel, hint="remove it so that every path is masked",
                       violations=pairs, cuts=len(cuts), forward_passes=passes)

    # 3. liveness, on what each output *sees* (any nonzero gradient)
    seen = dep if seen is None else (seen | dep)
    live = live_mod.analyse(seen, rows, rank, var_shape, analysed_vars(var_shape) if is_image else None,
                            raster=raster, channels=channels)
    if live.dead:
        xm, ym = probe.sample(EXTRA_LIVENESS_INPUTS, seed + 11)
        pick = _liveness_suspects(live, rows, var_shape, pixel)
        seen = seen.clone()
        seen[pick] |= _seen(probe, xm, ym, rows[pick], None, how)
        live = live_mod.analyse(seen, rows, rank, var_shape, analysed_vars(var_shape) if is_image else None,
                                raster=raster, channels=channels)
    if raster and pixel is not None:
        # the enlarged canvas (a second, bigger dependency pass) only matters where a blind spot fails
        enlarge = small is not None and live_mod.FAMILY_RULES[family]["blind_spot_fails"]
        live.blind_spot = _blind_spot(probe, enlarge, seen, rows, pixel, x, y, seed)
    problems, hints = live_mod.verdict_with_hints(live, family, namer)
    details = {"coverage": live.coverage, "dead_outputs": live.dead,
               "blind_spot": None if live.blind_spot is None else live.blind_spot.cells,
               "cuts": len(cuts), "forward_passes": passes, "family": family, "channels": channels,
               "dependency": how}
    notes = f"coverage of allowed pairs {live.coverage:.2f}"
    if live.dead and group is None:
        notes += (f"; {len(live.dead)} outputs generated first in the order see no input (their "
                  f"conditionals are unconditional, as random MADE degrees allow)")
    if live.blind_spot is not None:
        notes += "; " + live.blind_spot.describe()
    if problems:
        return _finish(name, False, "; ".join(problems) + f" ({notes})", start, path, figure,
                       seen, rows, var_shape, order, [], pixel, live=live, score=0.5,
                       hint="; ".join(hints), **details)
    what = "" if group is None else f" for the group order ({int(group.max()) + 1} groups)"
    msg = f"autoregressive{what} ({path} check, {len(cuts)} cut tests); {notes}"
    return _finish(name, True, msg, start, path, figure, seen, rows, var_shape, order, [], pixel,
                   live=live, **details)


def _layout_problem(probe: ModelProbe, want: tuple, var_shape: tuple) -> str:
    """'' if the model returns (B, *want), else the cause naming the axes."""
    x, y = probe.sample(1, 0)
    with torch.no_grad():
        out = probe._call(x, y)
    got = tuple(out.shape[1:]) if isinstance(out, torch.Tensor) else None
    if got == want:
        return ""
    if got is None:
        return f"the model returned a {type(out).__name__}, expected a tensor shaped (B, {', '.join(map(str, want))})"
    names = _axis_names(want, var_shape)
    text = f"the model returns outputs shaped (B, {', '.join(map(str, got))}), expected (B, {', '.join(map(str, want))})"
    if sorted(got) == sorted(want):
        free = [i for i in range(len(want)) if got[i] != want[i]]
        got_names = list(names)
        for i in free:                                   # match moved axes by size
            j = next(j for j in free if want[j] == got[i] and names[j] not in
                     [got_names[f] for f in free if f < i])
            got_names[i] = names[j]
        text += (f": axes in the order (B, {', '.join(got_names)}) instead of the documented "
                 f"(B, {', '.join(names)})")
    return text


def _axis_names(want: tuple, var_shape: tuple) -> list[str]:
    """Letters for the axes of one output: the input's (C, H, W) / (D,) at the end, K before."""
    tail = ["C", "H", "W"] if len(var_shape) == 3 else ["D"] * len(var_shape)
    names = ["K"] * len(want)
    if tuple(want[len(want) - len(var_shape):]) == tuple(var_shape):
        names[len(want) - len(var_shape):] = tail
    elif tuple(want[:len(var_shape)]) == tuple(var_shape):
        names[:len(var_shape)] = tail
    return names


def _rank_cuts(steps, order, rank) -> list[int]:
    """Cut steps mapped to "may see" ranks (identical unless channels are independent)."""
    steps = torch.as_tensor(list(steps), dtype=torch.long)
    return torch.unique(rank[order[steps]]).tolist()        # sorted, one per rank (vectorised: D = 784 steps)


def _dependency(probe, x, y, rows, with_seen=False):
    """(dep, how, seen): gradient dependencies at REL_TOL and (``with_seen``) at any nonzero
    gradient; single-input perturbations when there is no gradient path (then seen = dep)."""
    if with_seen:
        both = gradient_dependency_and_seen(probe, x, y, rows)
        if both is not None:
            return both[0], "gradients", both[1]
    else:
        dep = gradient_dependency(probe, x, y, rows)
        if dep is not None:
            return dep, "gradients", None
    dep = perturbation_dependency(probe, x, y, rows)
    return dep, "single-input perturbations", dep


def _seen(probe, x, y, rows, dep, how):
    """Bool (R, D): any nonzero gradient (exact zero = masked path); perturbations otherwise.
    With ``how == "gradients"`` the model has a gradient path (the first pass found one), so
    ``rows`` with no gradient at all (dead outputs, asked about again) see nothing; they are not
    a reason to fall back to D forward passes per input."""
    if how == "gradients":
        seen = gradient_dependency(probe, x, y, rows, rel_tol=0.0)
        if seen is None:
            seen = torch.zeros(len(rows), probe.num_vars, dtype=torch.bool)
        return seen if dep is None else (seen | dep)
    return perturbation_dependency(probe, x, y, rows) if dep is None else dep


def _liveness_suspects(live, rows, var_shape, pixel) -> torch.Tensor:
    """Indices into ``rows`` whose liveness verdict more test inputs could change: the dead
    outputs, those missing their immediate past or the pixel above-right, the analysed pixel's
    (blind spot); every row
    when coverage is within 2x of the lowest any family accepts. Regrading only these keeps
    the verdicts of regrading all rows (``seen`` only grows) and spares a MADE with a dead
    prefix (random or too few hidden degrees) 8x the cost of its gradient union at D = 784."""
    floor = min(r["min_coverage"] for r in live_mod.FAMILY_RULES.values() if r["min_coverage"] is not None)
    if live.coverage < 2 * floor:
        return torch.arange(rows.numel())
    wanted = set(live.dead) | {out for out, _ in live.missing_past} | {out for out, _ in live.missing_above_right}
    if pixel is not None:
        wanted |= set(pixel_vars(var_shape, pixel).tolist())
    return torch.nonzero(torch.isin(rows, torch.tensor(sorted(wanted), dtype=rows.dtype))).flatten()


def _blind_spot(probe, convolutional, seen, rows, pixel, x, y, seed):
    """The blind-spot region of ``pixel`` (see :class:`arkit.checks.liveness.BlindSpot`):
    on an enlarged canvas for convolutional models, else from ``seen`` at the real size."""
    c, h, w = probe.var_shape
    pick = [r for r, d in enumerate(rows.tolist()) if (d // w) % h == pixel[0] and d % w == pixel[1]]
    if not pick:
        return None
    seen_map = seen[pick].reshape(len(pick), c, h, w).any(dim=0).any(dim=0)
    real = live_mod.blind_spot(seen_map, pixel, pixel, (h, w))
    # The enlarged canvas only adds paths (zero padding can only remove them), so its region is a
    # subset of the real one: measure it only when the real canvas shows candidate cells.
    if convolutional and real is not None:
        big = _enlarged(probe)
        if big is not None:
            big_pixel = (big.var_shape[1] - 1, w)
            big_rows = pixel_vars(big.var_shape, big_pixel)
            xb, yb = big.sample(x.shape[0], seed + 5)
            seen_big = gradient_dependency(big, xb, yb, big_rows, rel_tol=0.0)
            if seen_big is None:
                seen_big = perturbation_dependency(big, xb, yb, big_rows)
            hb, wb = big.var_shape[1:]
            seen_map = seen_big.reshape(len(big_rows), c, hb, wb).any(dim=0).any(dim=0)
            return live_mod.blind_spot(seen_map, big_pixel, pixel, (h, w))
    return real


def _enlarged(probe: ModelProbe) -> ModelProbe | None:
    """The model on a (C, 2H, 2W+1) canvas, or None if it does not run there."""
    c, h, w = probe.var_shape
    user_to_vars = probe.to_vars if probe._custom_to_vars else None
    try:
        big = ModelProbe(probe.model, (c, 2 * h, 2 * w + 1), probe.num_values, user_to_vars,
                         probe.input_dtype, probe.num_classes, probe.device)
        xb, yb = big.sample(1, seed=3)
        out = big.outputs(xb, yb)
    except Exception:  # noqa: BLE001 - any failure: use the real canvas
        return None
    return big if out.shape[:2] == (1, big.num_vars) else None


def _violations(dep, rows, rank) -> list[tuple[int, int]]:
    """Offending (output, input) pairs, earliest-generated output first."""
    allowed = rank.view(1, -1) < rank[rows].view(-1, 1)
    bad = torch.nonzero(dep & ~allowed)
    if bad.numel() == 0:
        return []
    pairs = [(int(rows[r]), int(e)) for r, e in bad.tolist()]
    return sorted(pairs, key=lambda p: (int(rank[p[0]]), -int(rank[p[1]])))


def _cause(out: int, inp: int, namer: VarNamer, channels: str) -> tuple[str, str]:
    """(cause, hint) of one offending pair."""
    if not namer.is_image:
        if out == inp:
            return ("an output depends on its own input",
                    "the mask into the output layer must use a strict inequality (output degree > hidden degree)")
        return "an output depends on a variable generated later", ""
    (co, io, jo), (ci, ii, ji) = namer.pixel(out), namer.pixel(inp)
    if (io, jo) == (ii, ji):
        if co == ci:
            return ("a pixel sees itself (a first layer whose centre tap is 1, or a layer without a mask -- "
                    "e.g. a plain 1x1 conv -- that may mix channels of the current pixel)",
                    "the first layer must be a type 'A' mask (centre tap 0) and no unmasked layer "
                    "(e.g. a plain 1x1 conv) may mix channels")
        if channels == "independent":
            return ("a colour channel sees another channel of the same pixel, but channels='independent' asks "
                    "for R, G, B independent given the previous pixels",
                    "the first layer's centre tap must be 0 for every pair of channels (type 'A' without "
                    "colour groups), and no later layer may mix the channels of the current pixel")
        return ("a colour channel sees a later channel of the same pixel (the colour groups of a mask are "
                "not contiguous R|G|B blocks in the order R -> G -> B, or a layer -- also a 1x1 -- mixes the "
                "channels of the current pixel without a mask)",
                "colour groups must be contiguous R|G|B blocks, 'A': group g sees groups < g, 'B': groups <= g, "
                "and every layer (also 1x1) must be masked")
    if ii > io:
        return ("a pixel sees a later row (a mask or vertical kernel reaches below the centre row)",
                "rows below the centre must be masked (Gated PixelCNN: the vertical stack must be shifted "
                "down by one row)")
    return ("a pixel sees a pixel to its right in the same row (a mask or a horizontal kernel reaches right "
            "of the centre, or vertical-stack features reach the horizontal stack without being shifted "
            "down by one row)",
            "positions right of the centre must be masked (Gated PixelCNN: the horizontal stack may only "
            "look left, and the vertical stack must be shifted down one row before it feeds the horizontal "
            "stack)")


def _group_message(out: int, inp: int, namer: VarNamer, rank, count: int, how: str) -> tuple[str, str]:
    """(message, hint) of one offending pair under a group order (``rank``: the "may see" rank)."""
    g_out, g_in = int(namer.group[out]), int(namer.group[inp])
    head = f"not autoregressive for the group order: {namer.name(out)} in group {g_out}"
    tail = f" ({count} offending pairs, found by {how})"
    if out == inp:
        return (head + " depends on itself (on its own input)" + tail,
                "an output may only see variables of earlier groups, never its own input")
    if int(rank[inp]) == int(rank[out]) and g_in != g_out:     # channels='independent'
        return (f"{head} depends on {namer.name(inp)} (group {g_in}) of the same pixel, but channels="
                f"'independent' asks for the channels of a pixel to be independent given the earlier "
                f"pixels{tail}",
                "no channel may see any channel of its own pixel")
    if g_in == g_out:
        return (f"{head} depends on {namer.name(inp)}, also in group {g_out}: variables sampled together "
                f"must be conditionally independent{tail}",
                "build the mask from the group ranks with a strict inequality: group[input] < group[output]")
    return (f"{head} depends on {namer.name(inp)} in group {g_in}, a later group: a variable may depend "
            f"only on the groups sampled before it{tail}",
            "build the mask from the group ranks with a strict inequality: group[input] < group[output]")


def _ar_message(pairs, namer, how, where, rank, dep, rows, channels="autoregressive") -> tuple[str, str]:
    out, inp = pairs[0]
    if namer.group is not None:
        return _group_message(out, inp, namer, rank, len(pairs), how)
    cause, hint = _cause(out, inp, namer, channels)
    msg = (f"not autoregressive{where}: {namer.pair(out, inp)} ({len(pairs)} offending pairs, "
           f"found by {how}). Cause: {cause}")
    if channels == "independent" and namer.is_image:
        msg = msg.replace("not autoregressive", "channels not independent", 1)
        if namer.pixel(out)[1:] == namer.pixel(inp)[1:]:
            msg += " (same pixel)"
    later = rank >= rank[out]
    seen_later = int(dep[rows.tolist().index(out)][later].sum())
    if int(later.sum()) >= 4 and seen_later > 0.5 * int(later.sum()):
        msg += (f". This output sees {seen_later} of the {int(later.sum())} variables generated from "
                f"its own step on: a path that summarises the whole image (global pooling or mean, "
                f"a fully connected layer over all inputs, or a conditioning network fed with x) "
                f"leaks the future")
    order = namer.order
    if not namer.is_image and not torch.equal(order, identity_order(order.numel())):
        ident = torch.arange(order.numel())
        if not bool((dep & ~(ident.view(1, -1) < ident[rows].view(-1, 1))).any()):
            msg += (". The model IS autoregressive for the identity order 0, 1, ..., D-1: it "
                    "ignores the order it was given")
    return msg, hint


def _finish(name, passed, message, start, path, figure, dep, rows, var_shape, order, offending,
            pixel, live=None, score=None, hint="", **details) -> CheckResult:
    details.update(path=path, seconds=time.perf_counter() - start)
    details["violations"] = list(details.get("violations", offending))[:MAX_REPORTED_PAIRS]
    fig = None
    blind = live.blind_spot if live is not None else None
    if figure is True or (figure == "auto" and (not passed or blind is not None)):
        fig = _draw(dep, rows, var_shape, order, offending, pixel, blind)
    score = (1.0 if passed else 0.0) if score is None else score
    return CheckResult(name, passed, score, message, details, fig, hint=hint)


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
