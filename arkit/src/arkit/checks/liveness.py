"""Liveness: does the model actually use the context it is allowed to use?

Given a dependency matrix for some output variables (``dep[r, e]``: output
``rows[r]`` depends on input ``e``), compute

* **coverage**: used allowed pairs / allowed pairs (over the analysed outputs);
* **dead outputs**: outputs that may see at least one variable but see none;
* **missing immediate past** (images in raster order): an output must see the
  earlier channels of its own pixel, its left neighbour and the pixel above.
  A stack of only type 'A' layers fails this (it never sees its left neighbour);
* **blind spot** (images in raster order): allowed pixels above the output that
  it cannot see although it sees a pixel further up in the same column. The
  masked-convolution PixelCNN has one (above-right); a Gated PixelCNN has none.

Thresholds per model family (``FAMILY_RULES``) and why:

* ``made``: coverage >= 0.25 (a gross-bug detector: random degrees with D ~ 7 and
  a narrow layer legitimately reach 0.3), and no dead outputs except the first-generated ones.
  With hidden widths >= D a correct MADE covers > 80 % of allowed pairs (1.0 with
  deterministic degrees). Random degrees may miss the smallest degree values and
  so disconnect the outputs generated 2nd, 3rd, ... (a known MADE property): such a
  prefix of the order is tolerated up to half of the outputs (small D with three
  random layers reaches a third); dead outputs elsewhere in the order always fail.
* ``pixelcnn``: the immediate past must be seen; global coverage is reported
  only, because a local receptive field legitimately covers a fraction of the
  image (about 0.4 for the 28x28 deepul PixelCNN's last pixel). Blind spot reported.
* ``gated``: as ``pixelcnn``, and a blind spot fails.
* ``generic``: reported only, nothing enforced beyond the dead-output rule of ``made``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from arkit.checks.orders import default_order, ranks

FAMILY_RULES = {
    "made": {"min_coverage": 0.25, "min_live": 0.75, "past": False, "blind_spot_fails": False},
    "pixelcnn": {"min_coverage": None, "min_live": 0.75, "past": True, "blind_spot_fails": False},
    "gated": {"min_coverage": None, "min_live": 0.75, "past": True, "blind_spot_fails": True},
    "generic": {"min_coverage": None, "min_live": 0.75, "past": False, "blind_spot_fails": False},
}


@dataclass
class BlindSpot:
    """Allowed pixels (row, col) that output pixel ``pixel`` cannot see (see module doc)."""

    pixel: tuple[int, int]
    cells: list[tuple[int, int]]

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        """(first row, last row, first column, last column) of the region."""
        r = [c[0] for c in self.cells]
        c = [c[1] for c in self.cells]
        return min(r), max(r), min(c), max(c)

    def describe(self) -> str:
        r0, r1, c0, c1 = self.bbox
        return (f"blind spot: {len(self.cells)} allowed pixels in rows {r0}-{r1}, columns {c0}-{c1} "
                f"(above-right of output pixel {self.pixel}) are never seen")


@dataclass
class Liveness:
    """Liveness facts for the analysed outputs (see module doc)."""

    coverage: float
    dead: list[int] = field(default_factory=list)
    live_fraction: float = 1.0
    missing_past: list[tuple[int, int]] = field(default_factory=list)
    blind_spot: BlindSpot | None = None


def resolve_family(family: str, var_shape) -> str:
    """``'auto'`` -> ``'made'`` for flat variables, ``'pixelcnn'`` for images."""
    if family == "auto":
        return "pixelcnn" if len(tuple(var_shape)) == 3 else "made"
    if family not in FAMILY_RULES:
        raise ValueError(f"family must be 'auto' or one of {sorted(FAMILY_RULES)}, got {family!r}")
    return family


def analyse(dep: torch.Tensor, rows: torch.Tensor, order: torch.Tensor, var_shape,
            blind_spot_pixel: tuple[int, int] | None = None, past_vars=None) -> Liveness:
    """Liveness of outputs ``rows`` (R,) given ``dep`` bool (R, D).

    ``past_vars``: outputs on which the immediate-past rule is checked (default: all
    rows). Interior pixels are the fair place: at the border, zero padding and dead
    ReLUs of a tiny model can legitimately cut the last path to a neighbour.
    """
    rank = ranks(order)
    allowed = rank.view(1, -1) < rank[rows].view(-1, 1)              # (R, D)
    used = dep & allowed
    coverage = float(used.sum()) / max(1, int(allowed.sum()))
    has_past = allowed.any(dim=1)
    dead_mask = has_past & ~dep.any(dim=1)
    dead = rows[dead_mask][rank[rows[dead_mask]].argsort()].tolist()
    live = 1.0 - float(dead_mask.sum()) / max(1, int(has_past.sum()))
    result = Liveness(coverage, dead, live)
    var_shape = tuple(var_shape)
    if len(var_shape) == 3 and torch.equal(order, default_order(var_shape)):
        keep = rows if past_vars is None else torch.as_tensor(past_vars)
        pick = torch.isin(rows, keep)
        result.missing_past = _missing_past(dep[pick], rows[pick], var_shape)
        if blind_spot_pixel is not None:
            result.blind_spot = _blind_spot(dep, rows, var_shape, blind_spot_pixel)
    return result


def immediate_past(d: int, var_shape) -> list[int]:
    """Earlier channels of d's pixel, all channels of the left neighbour and of the pixel above."""
    c_all, h, w = var_shape
    c, i, j = d // (h * w), (d // w) % h, d % w
    flat = lambda cc, ii, jj: cc * h * w + ii * w + jj  # noqa: E731
    past = [flat(cc, i, j) for cc in range(c)]
    if j > 0:
        past += [flat(cc, i, j - 1) for cc in range(c_all)]
    if i > 0:
        past += [flat(cc, i - 1, j) for cc in range(c_all)]
    return past


def _missing_past(dep, rows, var_shape) -> list[tuple[int, int]]:
    missing = []
    for r, d in enumerate(rows.tolist()):
        missing += [(d, e) for e in immediate_past(d, var_shape) if not bool(dep[r, e])]
    return missing


def _blind_spot(dep, rows, var_shape, pixel) -> BlindSpot | None:
    c_all, h, w = var_shape
    i, j = pixel
    pick = [r for r, d in enumerate(rows.tolist()) if (d // w) % h == i and d % w == j]
    if not pick or i == 0:
        return None
    seen = dep[pick].reshape(len(pick), c_all, h, w).any(dim=0).any(dim=0)   # (H, W)
    above = torch.zeros_like(seen)
    above[1:] = seen.cumsum(dim=0)[:-1] > 0                                  # seen further up
    blind = ~seen & above
    blind[i:] = False
    cells = [tuple(v) for v in torch.nonzero(blind).tolist()]
    return BlindSpot((i, j), cells) if cells else None


def _tolerable_dead(live: Liveness, namer, min_live: float) -> bool:
    """Dead outputs a correct MADE with random degrees can have: the first few generated ones.

    Random hidden degrees may miss the smallest values, which disconnects a prefix of
    the order (outputs generated 2nd, 3rd, ...); anything else is a bug.
    """
    steps = sorted(int(namer.rank[d]) for d in live.dead)
    prefix = steps == list(range(1, len(steps) + 1))
    with_past = round(len(live.dead) / max(1e-9, 1.0 - live.live_fraction)) if live.live_fraction < 1 else 0
    return prefix and len(steps) <= max(1, (1.0 - min_live) * with_past, 0.5 * with_past)


def verdict(live: Liveness, family: str, namer) -> list[str]:
    """Failure messages (empty when the liveness rules of ``family`` hold)."""
    rules = FAMILY_RULES[family]
    problems = []
    if live.dead and not _tolerable_dead(live, namer, rules["min_live"]):
        names = ", ".join(namer.name(d) for d in live.dead[:3])
        problems.append(f"{len(live.dead)} outputs are connected to no input although they may see "
                        f"earlier variables (e.g. {names}): dead outputs; check the degrees/masks "
                        f"into the output layer")
    if rules["min_coverage"] is not None and live.coverage < rules["min_coverage"]:
        problems.append(f"coverage {live.coverage:.2f} of the allowed (output, input) pairs is below "
                        f"{rules['min_coverage']}: the model ignores most of the context it may use")
    if rules["past"] and live.missing_past:
        out, inp = live.missing_past[0]
        hint = ""
        _, h, w = namer.var_shape
        if (inp // w) % h == (out // w) % h and inp % w == out % w - 1:
            hint = (" (a stack of only type 'A' layers never sees its left neighbour: use 'A' "
                    "for the first layer only and 'B' after it)")
        problems.append(f"liveness: output {namer.name(out)} never sees input {namer.name(inp)} from "
                        f"its immediate past{hint}; {len(live.missing_past)} such pairs")
    if rules["blind_spot_fails"] and live.blind_spot is not None:
        problems.append(live.blind_spot.describe() + ": a Gated PixelCNN must have no blind spot "
                        "(the vertical stack must cover the rows above)")
    return problems
