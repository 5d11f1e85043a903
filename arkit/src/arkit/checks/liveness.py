"""Liveness: does the model actually use the context it is allowed to use?

Given which inputs each analysed output *sees* (``seen[r, e]``: output ``rows[r]``
has a nonzero gradient -- or a perturbation response -- w.r.t. input ``e`` for at
least one test input), compute

* **coverage**: seen allowed pairs / allowed pairs (over the analysed outputs);
* **dead outputs**: outputs that may see at least one variable but see none;
* **missing immediate past** (images in raster order): an output must see its left
  neighbour and the pixel above (all channels) and, when ``channels='autoregressive'``,
  the earlier channels of its own pixel. A stack of only type 'A' layers fails this;
* **blind spot** (images in raster order): see :class:`BlindSpot`.

"Allowed" follows the order and the stated colour dependence (``channels``):
``'autoregressive'`` -- channel c of a pixel may see channels < c of the same pixel
(R -> G -> B); ``'independent'`` -- the channels of a pixel are independent given the
past, so no channel may see any channel of its own pixel.

Rules per model family (``FAMILY_RULES``) and why:

* ``made``: coverage >= 0.25 (a gross-bug detector), and dead outputs only as a
  *prefix of the order*. What a MADE question may demand: hidden degrees drawn at
  random, as in the original paper (each layer draws from {min degree of the layer
  below, ..., D-1}), can miss the smallest degrees, and then the outputs generated
  2nd, 3rd, ..., m-th have no path to any input: their conditionals are unconditional,
  the model is still a correct AR model (measured: hidden width D, D in 5..12, about
  one seed in ten; width 0.6 D, one in four). So any prefix is tolerated, of any
  length, as long as coverage stays >= 0.25; a dead output *after* a live one in the
  order is never produced by degrees and always fails. Deterministic degrees (spread
  evenly over 1..D-1, the notebook's default) give no dead output at all.
* ``pixelcnn``: the immediate past must be seen; global coverage is reported only (a
  local receptive field legitimately covers a fraction of the image). Blind spot
  reported, never failed (the masked PixelCNN has one by design).
* ``gated``: as ``pixelcnn``, and a blind spot *wedge* fails (see :class:`BlindSpot`), and the
  pixel above and to the right must be seen (any channel): a vertical stack whose kernel covers
  only the columns at and left of the pixel leaves the whole upper-right quadrant unseen, which
  the wedge rule (defined by a seen cell higher up in the same column) cannot see.
* ``generic``: reported only, nothing enforced beyond the dead-output rule of ``made``.

Group orders (ranks with ties, :func:`arkit.checks.orders.as_order_and_groups`): "allowed"
is "in an earlier group"; every variable of a group g > 0 must see something of the groups
before it (a dead output fails in every family: no dead prefix is tolerated).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from arkit.checks.orders import ranks

FAMILY_RULES = {
    "made": {"min_coverage": 0.25, "past": False, "blind_spot_fails": False, "above_right": False},
    "pixelcnn": {"min_coverage": None, "past": True, "blind_spot_fails": False, "above_right": False},
    "gated": {"min_coverage": None, "past": True, "blind_spot_fails": True, "above_right": True},
    "generic": {"min_coverage": None, "past": False, "blind_spot_fails": False, "above_right": False},
}
CHANNELS = ("autoregressive", "independent")
WEDGE_MIN_CELLS = 2


@dataclass
class BlindSpot:
    """Allowed pixels (row, col) above output pixel ``pixel`` that it never sees, although it
    sees a pixel further up in the same column.

    The blind-spot rule of the ``gated`` family (the same text is in the PixelCNN notebook):
    the blind spot of van den Oord et al. is a *wedge inside the receptive field that does not
    shrink with depth* -- in a stack of masked 3x3 convolutions the row just above is seen only
    up to one column to the right, the next row up to two, ..., so cells at the right of the
    rows just above stay unseen however deep the network is. It is measured

    * with exact dependencies: any nonzero gradient means "seen" (masked paths give exact
      zeros; a real path through many gated layers can be a millionth of the largest one);
    * for convolutional models on an enlarged canvas (twice the height, twice the width plus
      one) with the output pixel far from every border, keeping only offsets that exist in
      the real image: a cell that zero padding at the border cuts off is not a blind spot;
    * as a wedge only when it has at least ``WEDGE_MIN_CELLS`` (2) cells. A single unseen cell
      at the corner of the receptive field is what a field that has not reached it yet looks
      like (the same cell is seen once the net is deeper): it is reported, never failed. A
      blind design has a wedge of several cells from 2 layers on (e.g. a vertical stack that
      gets the current row only through a 1x1 tap: 4 cells at 2 layers, 10 at 6) and it grows
      with depth.

    ``wedge``: whether the region counts as a blind spot under that rule.
    """

    pixel: tuple[int, int]
    cells: list[tuple[int, int]]
    wedge: bool = True

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        """(first row, last row, first column, last column) of the region."""
        r = [c[0] for c in self.cells]
        c = [c[1] for c in self.cells]
        return min(r), max(r), min(c), max(c)

    def describe(self) -> str:
        r0, r1, c0, c1 = self.bbox
        if not self.wedge:
            return (f"{len(self.cells)} allowed pixel in row {r0}, column {c0} at the corner of the receptive "
                    f"field of output pixel {self.pixel} is not seen yet (a field that has not reached it, "
                    f"not a blind spot)")
        return (f"blind spot: {len(self.cells)} allowed pixels in rows {r0}-{r1}, columns {c0}-{c1} "
                f"(above output pixel {self.pixel}) are never seen although pixels further up in the "
                f"same columns are: a wedge inside the receptive field that does not shrink with depth")


@dataclass
class Liveness:
    """Liveness facts for the analysed outputs (see module doc)."""

    coverage: float
    dead: list[int] = field(default_factory=list)
    live_fraction: float = 1.0
    missing_past: list[tuple[int, int]] = field(default_factory=list)
    missing_above_right: list[tuple[int, int]] = field(default_factory=list)
    blind_spot: BlindSpot | None = None
    channels: str = "autoregressive"


def resolve_family(family: str, var_shape) -> str:
    """``'auto'`` -> ``'made'`` for flat variables, ``'pixelcnn'`` for images."""
    if family == "auto":
        return "pixelcnn" if len(tuple(var_shape)) == 3 else "made"
    if family not in FAMILY_RULES:
        raise ValueError(f"family must be 'auto' or one of {sorted(FAMILY_RULES)}, got {family!r}")
    return family


def variable_ranks(order: torch.Tensor, var_shape, channels: str = "autoregressive",
                   group: torch.Tensor | None = None) -> torch.Tensor:
    """Rank of each variable for the "may see" relation: e may be seen by d iff rank[e] < rank[d].

    ``'autoregressive'``: the generation step (:func:`ranks`), or for a group order the group
    ``group[d]`` (ties: variables of one group never see each other). ``'independent'`` (images
    only): every channel of a pixel gets the rank of the pixel's earliest channel, so channels
    of one pixel never see each other. int64 (D,).
    """
    if channels not in CHANNELS:
        raise ValueError(f"channels must be one of {CHANNELS}, got {channels!r}")
    rank = ranks(order) if group is None else group
    var_shape = tuple(var_shape)
    if channels == "autoregressive" or len(var_shape) != 3:
        return rank
    c, h, w = var_shape
    return rank.view(c, h * w).amin(dim=0).repeat(c)


def analyse(seen: torch.Tensor, rows: torch.Tensor, rank: torch.Tensor, var_shape,
            past_vars=None, raster: bool = False, channels: str = "autoregressive") -> Liveness:
    """Liveness of outputs ``rows`` (R,) given ``seen`` bool (R, D) and ``rank`` (D,) from
    :func:`variable_ranks`.

    ``past_vars``: outputs on which the immediate-past rule is checked (default: all rows;
    only for images in raster order, ``raster=True``). Interior pixels are the fair place: at
    the border, zero padding and dead ReLUs of a tiny model can cut the last path to a neighbour.
    """
    allowed = rank.view(1, -1) < rank[rows].view(-1, 1)              # (R, D)
    used = seen & allowed
    coverage = float(used.sum()) / max(1, int(allowed.sum()))
    has_past = allowed.any(dim=1)
    dead_mask = has_past & ~seen.any(dim=1)
    dead = rows[dead_mask][rank[rows[dead_mask]].argsort()].tolist()
    live = 1.0 - float(dead_mask.sum()) / max(1, int(has_past.sum()))
    result = Liveness(coverage, dead, live, channels=channels)
    var_shape = tuple(var_shape)
    if len(var_shape) == 3 and raster:
        keep = rows if past_vars is None else torch.as_tensor(past_vars)
        pick = torch.isin(rows, keep)
        result.missing_past = _missing_past(seen[pick], rows[pick], var_shape, channels)
        result.missing_above_right = _missing_above_right(seen[pick], rows[pick], var_shape)
    return result


def immediate_past(d: int, var_shape, channels: str = "autoregressive") -> list[int]:
    """All channels of the left neighbour and of the pixel above, and (``'autoregressive'``)
    the earlier channels of d's own pixel."""
    c_all, h, w = var_shape
    c, i, j = d // (h * w), (d // w) % h, d % w
    flat = lambda cc, ii, jj: cc * h * w + ii * w + jj  # noqa: E731
    past = [flat(cc, i, j) for cc in range(c)] if channels == "autoregressive" else []
    if j > 0:
        past += [flat(cc, i, j - 1) for cc in range(c_all)]
    if i > 0:
        past += [flat(cc, i - 1, j) for cc in range(c_all)]
    return past


def _missing_past(seen, rows, var_shape, channels) -> list[tuple[int, int]]:
    missing = []
    for r, d in enumerate(rows.tolist()):
        missing += [(d, e) for e in immediate_past(d, var_shape, channels) if not bool(seen[r, e])]
    return missing


def _missing_above_right(seen, rows, var_shape) -> list[tuple[int, int]]:
    """(output, first channel of the pixel above-right) for outputs that see no channel of it."""
    c_all, h, w = var_shape
    missing = []
    for r, d in enumerate(rows.tolist()):
        i, j = (d // w) % h, d % w
        if i == 0 or j == w - 1:
            continue
        cells = [cc * h * w + (i - 1) * w + j + 1 for cc in range(c_all)]
        if not bool(seen[r, cells].any()):
            missing.append((d, cells[0]))
    return missing


def blind_spot(seen_map: torch.Tensor, pixel: tuple[int, int], shown_at: tuple[int, int],
               shown_shape: tuple[int, int]) -> BlindSpot | None:
    """The blind-spot region of output ``pixel`` from ``seen_map`` bool (H', W') (any channel
    seen), or None. Cells are reported at the same offsets from ``shown_at`` in an image of
    ``shown_shape`` (H, W) (offsets that fall outside it are dropped): the map may come from
    an enlarged canvas while the student's image is smaller (see :class:`BlindSpot`)."""
    i, j = pixel
    if i == 0:
        return None
    seen = seen_map.clone()
    above = torch.zeros_like(seen)
    above[1:] = seen.cumsum(dim=0)[:-1] > 0                                  # seen further up
    blind = ~seen & above
    blind[i:] = False
    si, sj = shown_at
    h, w = shown_shape
    cells = []
    for r, c in torch.nonzero(blind).tolist():
        rr, cc = si - (i - r), sj + (c - j)
        if 0 <= rr < si and 0 <= cc < w:
            cells.append((rr, cc))
    if not cells:
        return None
    return BlindSpot(shown_at, cells, wedge=len(cells) >= WEDGE_MIN_CELLS)


def _tolerable_dead(live: Liveness, namer) -> bool:
    """Dead outputs a correct MADE with random degrees can have: a prefix of the order
    (the outputs generated 2nd, 3rd, ..., see the module doc). None for a group order: every
    variable of a group after the first must see something of the earlier groups."""
    if getattr(namer, "group", None) is not None:
        return False
    steps = sorted(int(namer.rank[d]) for d in live.dead)
    return steps == list(range(1, len(steps) + 1))


def verdict_with_hints(live: Liveness, family: str, namer) -> tuple[list[str], list[str]]:
    """(causes, hints): failure messages naming the cause (empty when the liveness rules of
    ``family`` hold) and how to fix each."""
    rules = FAMILY_RULES[family]
    problems, hints = [], []
    low_coverage = rules["min_coverage"] is not None and live.coverage < rules["min_coverage"]
    prefix = _tolerable_dead(live, namer)
    if live.dead and (not prefix or low_coverage):
        names = ", ".join(namer.name(d) for d in live.dead[:3])
        grouped = getattr(namer, "group", None) is not None
        if grouped:
            names = ", ".join(f"{namer.name(d)} in group {int(namer.group[d])}" for d in live.dead[:3])
        why = (" (with a group order every variable of a group after the first must depend on something "
               "of the earlier groups)" if grouped else
               f" (dead outputs after a live one in the order: random degrees never do that)" if not prefix
               else f" (so many that coverage of the allowed pairs is {live.coverage:.2f} < {rules['min_coverage']})")
        problems.append(f"{len(live.dead)} outputs are connected to no input although they may see "
                        f"earlier variables (e.g. {names}): dead outputs{why}")
        hints.append("check the degrees/masks into the output layer")
    elif low_coverage:
        problems.append(f"coverage {live.coverage:.2f} of the allowed (output, input) pairs is below "
                        f"{rules['min_coverage']}: the model ignores most of the context it may use")
        hints.append("hidden degrees must cover 1..D-1 (spread them evenly or draw enough units)")
    if rules["past"] and live.missing_past:
        out, inp = live.missing_past[0]
        _, h, w = namer.var_shape
        same_pixel = (inp // w) % h == (out // w) % h and inp % w == out % w
        extra, hint = "", ""
        if (inp // w) % h == (out // w) % h and inp % w == out % w - 1:
            extra = " (a stack of only type 'A' layers never sees its left neighbour)"
            hint = "use type 'A' for the first layer only and 'B' after it"
        elif same_pixel:
            extra = (" of the same pixel: channels='autoregressive' asks channel c to use the earlier "
                     "channels of its own pixel (R -> G -> B)")
            hint = ("use colour-group masks whose type 'A' centre lets colour g see colours < g; if the question "
                    "asks for channels independent given the past, the check is run with channels='independent'")
        problems.append(f"liveness: output {namer.name(out)} never sees input {namer.name(inp)} from "
                        f"its immediate past{extra}; {len(live.missing_past)} such pairs")
        hints.append(hint)
    if rules["above_right"] and live.missing_above_right:
        out, inp = live.missing_above_right[0]
        problems.append(f"liveness: output {namer.name(out)} never sees {namer.name(inp)}, the pixel above and "
                        f"to its right: nothing right of its column in the rows above reaches it (a blind "
                        f"quadrant), so the vertical stack does not cover the full rows above; "
                        f"{len(live.missing_above_right)} such outputs")
        hints.append("the vertical stack's kernel must span columns on both sides of the pixel in the rows "
                     "above (k x k with the rows below the centre masked, or (k//2 + 1) x k)")
    if rules["blind_spot_fails"] and live.blind_spot is not None and live.blind_spot.wedge:
        problems.append(live.blind_spot.describe() + "; a Gated PixelCNN must have no blind spot")
        hints.append("the vertical stack must see the full rows above (including the row just above, "
                     "at every layer) and reach the horizontal stack only after a shift down by one row")
    return problems, [h for h in hints if h]


def verdict(live: Liveness, family: str, namer) -> list[str]:
    """Failure messages (empty when the liveness rules of ``family`` hold)."""
    return verdict_with_hints(live, family, namer)[0]
