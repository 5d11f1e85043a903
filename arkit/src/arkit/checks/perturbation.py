"""Black-box cut tests: change every variable generated at or after step k, and
assert that no output generated at or before step k moves.

A cut at step ``k`` verifies every pair (output generated <= k, input generated
>= k) at once with one forward pass, whatever the model does inside
(``detach()``, ``no_grad``, integer tricks). Self-dependence of the variable
generated k-th is caught only by the cut at k itself, so the planner in
:mod:`arkit.checks.conv_fast` chooses which cuts to run.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from arkit.checks.dependency import moved_mask
from arkit.checks.orders import ranks
from arkit.checks.probe import ModelProbe


@dataclass
class CutViolation:
    """Output ``out`` moved when the variables from step ``cut`` on changed.

    ``inp`` is the single input that moves it (None if only a combination does).
    """

    cut: int
    out: int
    inp: int | None


def cut_violations(probe: ModelProbe, x: torch.Tensor, y, order: torch.Tensor, cuts,
                   seed: int = 0, max_report: int = 5,
                   rank: torch.Tensor | None = None) -> tuple[list[CutViolation], int]:
    """Run the cuts ``cuts`` (steps k) on every test input in ``x`` (B, *var_shape).

    ``rank`` (D,): the "may see" rank of each variable (default: the generation step,
    :func:`ranks`; :func:`arkit.checks.liveness.variable_ranks` gives channels of a pixel one
    shared rank when they must be independent). A cut at k changes every variable of rank
    >= k and asserts that no output of rank <= k moves.
    Returns (violations, number of forward passes). Each violating cut names
    the earliest-generated output that moved and, when one exists, a single
    input that moves it (found by perturbing candidates one at a time).
    """
    rank = ranks(order) if rank is None else rank
    cuts = torch.as_tensor(list(cuts), dtype=torch.long)
    found: list[CutViolation] = []
    passes = x.shape[0]
    base = probe.outputs(x, y)
    for b in range(x.shape[0]):
        where = rank.view(1, -1) >= cuts.view(-1, 1)                  # (n_cuts, D) to change
        yb = None if y is None else y[b:b + 1].expand(cuts.numel())
        moved = moved_mask(probe.outputs(probe.changed_from(x[b], where, seed + b), yb), base[b:b + 1])
        passes += cuts.numel()
        checked = rank.view(1, -1) <= cuts.view(-1, 1)                 # outputs that must not move
        bad = moved & checked
        for idx in torch.nonzero(bad.any(dim=1)).flatten().tolist():
            outs = torch.nonzero(bad[idx]).flatten()
            out = int(outs[rank[outs].argmin()])
            inp, extra = locate_input(probe, x[b], None if y is None else y[b], out, int(cuts[idx]),
                                      order, base[b], seed + 7, rank)
            passes += extra
            found.append(CutViolation(int(cuts[idx]), out, inp))
            if len(found) >= max_report:
                return found, passes
        if found:
            break
    return found, passes


def locate_input(probe: ModelProbe, xb, yb, out: int, cut: int, order: torch.Tensor,
                 base_b: torch.Tensor, seed: int, rank: torch.Tensor | None = None,
                 chunk: int = 256) -> tuple[int | None, int]:
    """Find one input of rank >= ``cut`` (default rank: generation step) whose change alone
    moves output ``out``.

    Tries candidates in generation order (the earliest first) in batches.
    Returns (input index or None, number of forward passes used).
    """
    candidates = order[cut:] if rank is None else order[rank[order] >= cut]
    passes = 0
    for start in range(0, candidates.numel(), chunk):
        part = candidates[start:start + chunk]
        where = torch.zeros(part.numel(), probe.num_vars, dtype=torch.bool)
        where[torch.arange(part.numel()), part] = True
        xs = probe.changed(xb.unsqueeze(0).expand(part.numel(), *xb.shape), where, seed)
        ys = None if yb is None else yb.view(1).expand(part.numel())
        moved = moved_mask(probe.outputs(xs, ys), base_b.unsqueeze(0))[:, out]
        passes += part.numel()
        if bool(moved.any()):
            return int(part[int(torch.nonzero(moved)[0])]), passes
    return None, passes
