"""Group orders in ``check_autoregressive`` (issue 13 item 1).

A multiscale-style order (Reed et al. 2017): the 4 interleaved sub-lattices of an 8x8
image are the groups, sampled one after the other; pixels of one group are sampled in
parallel, so they must be conditionally independent given the earlier groups. Models
here are small masked MLPs whose masks are built from the group ranks (MADE with group
degrees), and one correct model written differently (one unmasked MLP per group, fed the
input with later groups zeroed).
"""
from __future__ import annotations

import pytest
import torch
from torch import nn

from arkit.checks import check_autoregressive
from arkit.checks.orders import as_order_and_groups

H = W = 8
D = H * W


def sublattice_ranks(h: int = H, w: int = W) -> torch.Tensor:
    """Group of pixel (i, j): (0,0)-lattice first, then (0,1), (1,0), (1,1). int64 (h*w,)."""
    i = torch.arange(h).view(-1, 1)
    j = torch.arange(w).view(1, -1)
    return ((i % 2) * 2 + (j % 2)).reshape(-1)


def groups_of(rank: torch.Tensor) -> list[list[int]]:
    """The same order as a list of groups (lists of flat indices)."""
    return [torch.nonzero(rank == g).flatten().tolist() for g in range(int(rank.max()) + 1)]


class GroupMADE(nn.Module):
    """Masked MLP x (B, 1, H, W) -> logits (B, 1, H, W) whose masks come from group ranks.

    Hidden unit k has degree m_k in 0..G-2; input e -> unit k iff group[e] <= m_k;
    unit k -> output d iff m_k < group[d]. So output d sees exactly the earlier groups.
    ``same_group`` uses <= at the output (groups see each other, the named bug);
    ``leak`` adds one connection from a later group; ``dead`` cuts one output's row.
    """

    def __init__(self, rank, hidden=48, same_group=False, leak=None, dead=None, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        num_groups = int(rank.max()) + 1
        deg = torch.arange(hidden) % max(1, num_groups - 1)
        self.inp = nn.Linear(rank.numel(), hidden)
        self.out = nn.Linear(hidden, rank.numel())
        self.direct = nn.Linear(rank.numel(), rank.numel(), bias=False)
        m1 = (rank.view(1, -1) <= deg.view(-1, 1)).float()                      # (hidden, D)
        m2 = (deg.view(1, -1) < rank.view(-1, 1)).float()                       # (D, hidden)
        md = (rank.view(1, -1) < rank.view(-1, 1)).float()                      # (D, D) direct
        if same_group:
            md = (rank.view(1, -1) <= rank.view(-1, 1)).float()
            md.fill_diagonal_(0)
        if leak is not None:
            md[leak[0], leak[1]] = 1.0
        if dead is not None:
            m2[dead] = 0.0
            md[dead] = 0.0
        self.register_buffer("m1", m1)
        self.register_buffer("m2", m2)
        self.register_buffer("md", md)

    def forward(self, x):
        b = x.shape[0]
        v = x.reshape(b, -1)
        h = torch.relu(nn.functional.linear(v, self.inp.weight * self.m1, self.inp.bias))
        out = nn.functional.linear(h, self.out.weight * self.m2, self.out.bias)
        out = out + nn.functional.linear(v, self.direct.weight * self.md)
        return out.view(b, 1, H, W)


class PerGroupMLP(nn.Module):
    """Correct, written differently: for each group g an unmasked MLP reads x with every
    variable of group >= g zeroed and writes the logits of group g."""

    def __init__(self, groups, hidden=32):
        super().__init__()
        torch.manual_seed(1)
        self.groups = [torch.as_tensor(g) for g in groups]
        self.nets = nn.ModuleList(nn.Sequential(nn.Linear(D, hidden), nn.Tanh(), nn.Linear(hidden, len(g)))
                                  for g in groups)

    def forward(self, x):
        b = x.shape[0]
        v = x.reshape(b, -1)
        out = torch.zeros(b, D)
        visible = torch.zeros(D)
        for members, net in zip(self.groups, self.nets):
            out = out.index_copy(1, members, net(v * visible))
            visible = visible.index_fill(0, members, 1.0)
        return out.view(b, 1, H, W)


def run(model, order, **kw):
    return check_autoregressive(model, (1, H, W), order, figure=False, **kw)


def test_sublattice_model_passes_as_ranks_and_as_groups():
    rank = sublattice_ranks()
    model = GroupMADE(rank)
    as_ranks, as_groups = run(model, rank), run(model, groups_of(rank))
    assert as_ranks.passed, as_ranks.message
    assert as_groups.passed, as_groups.message
    assert "group order (4 groups)" in as_ranks.message
    assert as_ranks.details["coverage"] == pytest.approx(as_groups.details["coverage"])


def test_per_group_networks_written_differently_pass():
    rank = sublattice_ranks()
    result = run(PerGroupMLP(groups_of(rank)), rank)
    assert result.passed, result.message


def test_raster_model_fails_the_group_order_and_group_model_fails_raster():
    rank = sublattice_ranks()
    # a group model is autoregressive for no raster order: pixel (0,1) (group 1) sees (0,2) (group 0)
    raster = run(GroupMADE(rank), None)
    assert not raster.passed and "depends on input pixel" in raster.message


def test_groups_that_see_each_other_fail_naming_both_and_the_group():
    rank = sublattice_ranks()
    result = run(GroupMADE(rank, same_group=True), rank)
    assert not result.passed
    assert "also in group" in result.message
    assert "variables sampled together must be conditionally independent" in result.message
    out, inp = result.details["violations"][0]
    assert int(rank[out]) == int(rank[inp]) and out != inp


def test_seeing_a_later_group_fails_naming_the_pixels():
    rank = sublattice_ranks()
    out, inp = 0 * W + 1, 1 * W + 0        # pixel (0,1) (group 1) sees pixel (1,0) (group 2)
    result = run(GroupMADE(rank, leak=(out, inp)), rank)
    assert not result.passed
    assert "pixel (0,1) in group 1 depends on pixel (1,0) in group 2, a later group" in result.message


def test_a_later_group_variable_that_sees_nothing_earlier_fails():
    rank = sublattice_ranks()
    dead = 3 * W + 3                        # pixel (3,3), group 3
    for family in ("generic", "made"):
        result = run(GroupMADE(rank, dead=dead), rank, family=family)
        assert not result.passed, family
        assert "pixel (3,3) in group 3" in result.message
        assert "earlier groups" in result.message


def test_self_dependence_under_groups_is_named():
    rank = sublattice_ranks()
    d = 2 * W + 2
    result = run(GroupMADE(rank, leak=(d, d)), rank)
    assert not result.passed and "depends on itself" in result.message


def test_permutation_as_one_variable_groups_gives_the_same_verdict():
    gen = torch.Generator().manual_seed(3)
    perm = torch.randperm(16, generator=gen)
    rank = torch.empty_like(perm)
    rank[perm] = torch.arange(16)
    model = FlatMADE(rank)
    by_perm = check_autoregressive(model, (16,), perm, figure=False)
    by_groups = check_autoregressive(model, (16,), [[int(d)] for d in perm], figure=False)
    assert by_perm.passed and by_groups.passed
    assert by_perm.message == by_groups.message
    wrong = check_autoregressive(FlatMADE(torch.arange(16)), (16,), [[int(d)] for d in perm], figure=False)
    wrong_perm = check_autoregressive(FlatMADE(torch.arange(16)), (16,), perm, figure=False)
    assert not wrong.passed and wrong.message == wrong_perm.message


def test_raster_given_as_ranks_is_the_raster_check():
    rank = torch.arange(D)                  # raster ranks == raster permutation (no ties)
    order, group = as_order_and_groups(rank, D)
    assert group is None and torch.equal(order, torch.arange(D))
    model = GroupMADE(rank)                 # one group per pixel: a raster MADE
    assert run(model, rank).message == run(model, None).message


def test_bad_group_specs_are_refused():
    with pytest.raises(ValueError, match="exactly once"):
        as_order_and_groups([[0, 1], [1, 2]], 3)
    with pytest.raises(ValueError, match="group ranks"):
        as_order_and_groups([0, 2, 2], 3)        # group 1 unused


class FlatMADE(nn.Module):
    """One masked linear layer over flat variables, mask rank[e] < rank[d]."""

    def __init__(self, rank):
        super().__init__()
        torch.manual_seed(2)
        self.lin = nn.Linear(rank.numel(), rank.numel())
        self.register_buffer("mask", (rank.view(1, -1) < rank.view(-1, 1)).float())

    def forward(self, x):
        return nn.functional.linear(x, self.lin.weight * self.mask, self.lin.bias)


class HiddenLeak(GroupMADE):
    """Correct masks, plus a same-group leak hidden from autograd (detach)."""

    def forward(self, x):
        out = super().forward(x)
        v = x.reshape(x.shape[0], -1).detach()
        return out + 0.5 * v[:, 2].view(-1, 1, 1, 1) * (torch.arange(D) == 0).float().view(1, 1, H, W)


def test_a_same_group_leak_hidden_from_autograd_is_found_by_the_group_cuts():
    rank = sublattice_ranks()
    result = run(HiddenLeak(rank), rank)
    assert not result.passed
    assert "pixel (0,0) in group 0 depends on pixel (0,2) in group 0" in result.message
    assert "hides a dependency from autograd" in result.message


class ColourGroupModel(nn.Module):
    """One masked linear layer over a (3, 4, 4) image, mask ``rank[e] < rank[d]``."""

    def __init__(self, rank):
        super().__init__()
        torch.manual_seed(0)
        self.lin = nn.Linear(rank.numel(), rank.numel())
        self.register_buffer("mask", (rank.view(1, -1) < rank.view(-1, 1)).float())

    def forward(self, x):
        return nn.functional.linear(x.reshape(x.shape[0], -1), self.lin.weight * self.mask,
                                    self.lin.bias).view(-1, 3, 4, 4)


def test_colour_groups_with_independent_channels():
    pix = sublattice_ranks(4, 4).view(1, 4, 4).expand(3, 4, 4)
    per_pixel = pix.reshape(-1)                                       # all channels of a pixel share a group
    per_channel = (pix * 3 + torch.arange(3).view(-1, 1, 1)).reshape(-1)  # R, G, B groups in turn
    ok = check_autoregressive(ColourGroupModel(per_pixel), (3, 4, 4), per_pixel, figure=False,
                              channels="independent")
    assert ok.passed, ok.message
    ok_ar = check_autoregressive(ColourGroupModel(per_channel), (3, 4, 4), per_channel, figure=False)
    assert ok_ar.passed, ok_ar.message
    bad = check_autoregressive(ColourGroupModel(per_channel), (3, 4, 4), per_channel, figure=False,
                               channels="independent")
    assert not bad.passed
    assert "pixel (0,0) channel G in group 1 depends on pixel (0,0) channel R (group 0) of the same pixel" \
        in bad.message and "channels='independent'" in bad.message
