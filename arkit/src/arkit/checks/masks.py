"""Public checks of the two mask contracts (docs/design.md), without a reference solution.

``check_made_masks``: shapes, 0/1 float values, the autoregressive property of
the connectivity (product of the masks: path counts), over several orders and
hidden sizes (also narrower than D), and liveness. ``check_pixelcnn_mask``:
shape, values, future taps zero, past taps one, centre rules, colour groups.
Failures name the cause ("mask is transposed", "centre tap of a type 'A' mask
is 1", ...) and never print the expected mask.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from arkit.checks import liveness as live_mod
from arkit.checks.orders import VarNamer, allowed_matrix, identity_order, ranks
from arkit.checks.result import CheckResult, exception_text

COLOURS = "RGB"


def _as_mask(m, index: int, expected: tuple, what: str):
    """Tensor (float64) or an error message naming the problem."""
    if not isinstance(m, torch.Tensor):
        try:
            m = torch.as_tensor(m)
        except Exception:  # noqa: BLE001
            return f"{what} {index} is a {type(m).__name__}, not a tensor"
    shape = tuple(m.shape)
    if shape != expected:
        flipped = (expected[1], expected[0], *expected[2:])
        if shape == flipped:
            return (f"{what} {index} is transposed: shape {shape} is (in, out) instead of "
                    f"(out, in) = {expected}")
        return f"{what} {index} has shape {shape}, expected {expected}"
    if not m.dtype.is_floating_point:
        return f"{what} {index} has dtype {m.dtype}, not float 0/1"
    values = torch.unique(m.detach().cpu())
    if not bool(((values == 0) | (values == 1)).all()):
        return f"{what} {index} has values other than 0 and 1: {values[:6].tolist()}"
    return m.detach().cpu().double()


def _mask_hint(problem: str) -> str:
    """The fix for a problem reported by :func:`_as_mask`."""
    if "transposed" in problem:
        return "masks are shaped (out, in, ...) like the weight they multiply"
    if "not float" in problem:
        return "return float 0/1 masks (e.g. mask.float())"
    return ""


# ---------------------------------------------------------------------- MADE
def default_made_configs(seed: int = 0):
    """(order, hidden_sizes) pairs: identity, reversed and random orders; widths >, = and < D."""
    gen = torch.Generator().manual_seed(seed)
    configs = []
    for num in (6, 13):
        orders = [identity_order(num), identity_order(num).flip(0),
                  torch.randperm(num, generator=gen), torch.randperm(num, generator=gen)]
        for order in orders:
            for hidden in ([2 * num, 2 * num], [num - 1], [num // 2, num // 3 + 1], [num + 3, num, 3 * num]):
                configs.append((order, hidden))
    return configs


def _connectivity(masks) -> torch.Tensor:
    path = masks[0]
    for m in masks[1:]:
        path = m @ path
    return path  # (D, D) number of paths from input e to output d


def _diagnose_made(conn, masks, order) -> tuple[str, str]:
    """(cause, hint): the cause names what is wrong; the hint says how to fix it."""
    num = order.numel()
    ok = lambda c, o: not bool((c > 0)[~allowed_matrix(o)].any())  # noqa: E731
    if all(m.shape[0] == m.shape[1] for m in masks) and ok(_connectivity([m.T for m in masks]), order):
        return ("the masks are transposed: they would be autoregressive read as (fan_in, fan_out)",
                "each mask must be shaped (fan_out, fan_in), like nn.Linear.weight")
    if bool(conn.diagonal().gt(0).any()):
        return ("an output depends on its own input: the mask into the output layer connects an output "
                "to hidden units whose degree equals the output's own degree",
                "the mask into the output layer must use a strict inequality (output degree > hidden "
                "degree) while hidden layers use >=")
    if not torch.equal(order, identity_order(num)) and ok(conn, identity_order(num)):
        return ("ordering ignored: the masks are autoregressive for the identity order 0, 1, ..., "
                "D-1 but not for the order you were given",
                "order[k] is the variable generated k-th: derive the input degrees from it")
    if ok(conn, ranks(order)):
        return ("order read the wrong way round: the masks treat order[k] as the step at which "
                "variable k is generated",
                "order[k] is the variable generated k-th: invert the permutation to get each variable's step")
    return ("the degrees of the hidden units do not respect the order",
            "check the degree arithmetic (>= between hidden layers, > into the output)")


def _type_name(order_type: Callable) -> str:
    return {list: "a list", torch.tensor: "an int64 tensor", torch.as_tensor: "an int64 tensor"}.get(
        order_type, f"{getattr(order_type, '__module__', '')}.{getattr(order_type, '__name__', 'type')}")


def _order_type_note(made_masks: Callable, order, hidden, order_type: Callable) -> str:
    """When the call fails for ``order_type`` but works with a list: say that the input type broke it."""
    if order_type is list:
        return ""
    try:
        made_masks(order.tolist(), list(hidden))
    except Exception:  # noqa: BLE001 - it fails for lists too: the type is not the cause
        return ""
    return (f". It fails when order is {_type_name(order_type)} and works for a list: the contract "
            f"allows order as a list, an array or an int tensor")


def _order_type_hint(order_type: Callable) -> str:
    if order_type is list:
        return ""
    return ("convert order first, e.g. order = torch.as_tensor(order).tolist() (indexing a dict with "
            "tensor elements fails: 0-d tensors hash by identity, not by value)")


def _raised(what: str, exc: BaseException, where: str) -> str:
    """Failure for an exception raised by the student's function; a stub's NotImplementedError
    propagates (the caller reports "not implemented yet")."""
    if isinstance(exc, NotImplementedError):
        raise exc
    return f"{what} raised {exception_text(exc)} {where}"


def check_made_masks(made_masks: Callable, configs: Sequence | None = None, *,
                     order_type: Callable = list, seed: int = 0,
                     name: str = "made_masks") -> CheckResult:
    """Check ``made_masks(order, hidden_sizes) -> list[Tensor]`` on many orders and sizes.

    ``configs``: (order, hidden_sizes) pairs (default :func:`default_made_configs`).
    ``order_type`` converts the order before the call (``list``, ``torch.tensor``, ``numpy.array``).
    Liveness (dead outputs, coverage; :data:`arkit.checks.liveness.FAMILY_RULES` ``made``) is
    enforced where D >= 6 and every hidden width is >= D.
    """
    configs = default_made_configs(seed) if configs is None else configs
    coverages = []
    for order, hidden in configs:
        order = torch.as_tensor(order, dtype=torch.long)
        num = order.numel()
        where = f"(D={num}, order={order.tolist()}, hidden_sizes={list(hidden)})"
        try:
            raw = made_masks(order_type(order.tolist()), list(hidden))
        except Exception as exc:  # noqa: BLE001
            return CheckResult.fail(name, _raised("made_masks", exc, where) + _order_type_note(
                made_masks, order, hidden, order_type), hint=_order_type_hint(order_type))
        if not isinstance(raw, (list, tuple)) or len(raw) != len(hidden) + 1:
            got = f"{type(raw).__name__} of length {len(raw) if hasattr(raw, '__len__') else '?'}"
            return CheckResult.fail(name, f"expected a list of {len(hidden) + 1} masks, got {got} {where}")
        sizes = [num, *hidden, num]
        masks = []
        for i, m in enumerate(raw):
            m = _as_mask(m, i, (sizes[i + 1], sizes[i]), "mask")
            if isinstance(m, str):
                return CheckResult.fail(name, f"{m} {where}", hint=_mask_hint(m))
            masks.append(m)
        conn = _connectivity(masks)
        bad = torch.nonzero((conn > 0) & ~allowed_matrix(order)).tolist()
        namer = VarNamer((num,), order)
        if bad:
            rank = ranks(order)
            out, inp = min(bad, key=lambda p: (int(rank[p[0]]), -int(rank[p[1]])))
            cause, hint = _diagnose_made(conn, masks, order)
            return CheckResult.fail(
                name, f"not autoregressive: {namer.pair(out, inp)} {where}. Cause: {cause}", hint=hint,
                violations=[tuple(p) for p in bad[:20]], order=order.tolist(), hidden_sizes=list(hidden))
        if min(hidden) >= num >= 6:
            live = live_mod.analyse(conn > 0, torch.arange(num), ranks(order), (num,))
            coverages.append(live.coverage)
            problems = live_mod.verdict(live, "made", namer)
            if problems:
                return CheckResult.fail(name, f"{'; '.join(problems)} {where}", score=0.5,
                                        coverage=live.coverage, dead_outputs=live.dead)
    mean_cov = sum(coverages) / max(1, len(coverages))
    return CheckResult.ok(name, f"autoregressive for {len(configs)} orders/sizes; mean coverage "
                                f"{mean_cov:.2f} where hidden widths >= D", coverage=mean_cov)


# ------------------------------------------------------------------ PixelCNN
def default_pixelcnn_configs():
    """(kernel_size, mask_type, in_channels, out_channels, color_channels) tuples."""
    configs = []
    for k in (3, 5):
        for t in ("A", "B"):
            configs += [(k, t, 1, 4, 1), (k, t, 4, 6, 1)]
            configs += [(k, t, 3, 6, 3), (k, t, 6, 9, 3), (k, t, 9, 3, 3)]
    return configs


def _groups(n: int, c: int) -> torch.Tensor:
    return torch.arange(n) * c // n


def _centre_relation(block: torch.Tensor) -> str:
    """Name the relation a (c, c) 0/1 group matrix encodes, e.g. 'h < g'."""
    c = block.shape[0]
    g = torch.arange(c).view(-1, 1)
    h = torch.arange(c).view(1, -1)
    for text, rel in (("h < g", h < g), ("h <= g", h <= g), ("h > g", h > g), ("h >= g", h >= g)):
        if torch.equal(block.bool(), rel):
            return text
    return "other"


def _colour_problem(centre: torch.Tensor, mask_type: str, c: int) -> tuple[str, str] | None:
    """(cause, hint) of the (out, in) centre taps with c colour groups, or None."""
    g_out, g_in = _groups(centre.shape[0], c), _groups(centre.shape[1], c)
    want = "h < g" if mask_type == "A" else "h <= g"
    blocks = torch.zeros(c, c)
    for a in range(c):
        for b in range(c):
            vals = centre[g_out == a][:, g_in == b]
            if vals.numel() and not bool((vals == vals.flatten()[0]).all()):
                rows_of = [torch.arange(centre.shape[0]) % c == aa for aa in range(c)]
                cols_of = [torch.arange(centre.shape[1]) % c == bb for bb in range(c)]
                inter = [[centre[r][:, cc] for cc in cols_of] for r in rows_of]
                if all(bool((v == v.flatten()[0]).all()) for row in inter for v in row if v.numel()):
                    return ("colour groups interleaved: the centre taps assign channel ch to colour ch % 3",
                            "colours are contiguous blocks R|G|B (channel groups of size n/3)")
                return ("centre taps are not constant within colour groups",
                        "channels split into contiguous blocks R|G|B must share their centre rule")
            blocks[a, b] = vals.flatten()[0] if vals.numel() else 0
    rel = _centre_relation(blocks)
    if rel == want:
        return None
    if rel in ("h > g", "h >= g"):
        return ("colour groups reversed: at the centre, colours see each other in the order B -> G -> R",
                f"colour g may see colour h at the centre only if {want}, with R first, then G, then B")
    rule = f"colour g may see colour h at the centre only if {want} (R first, then G, then B)"
    for a in range(c):
        if mask_type == "A" and blocks[a, a]:
            return f"centre tap of a type 'A' mask lets colour {COLOURS[a]} see itself", rule
        if mask_type == "B" and not blocks[a, a]:
            return f"centre tap of a type 'B' mask hides colour {COLOURS[a]} from itself", rule
        for b in range(c):
            if b > a and blocks[a, b]:
                return f"colour {COLOURS[a]} sees the later colour {COLOURS[b]} at the centre", rule
            if b < a and not blocks[a, b]:
                return f"colour {COLOURS[a]} cannot see the earlier colour {COLOURS[b]} at the centre", rule
    return "centre taps do not follow the colour-group rule", rule


def _pixelcnn_problem(m: torch.Tensor, k: int, mask_type: str, c: int) -> tuple[str, str] | None:
    """(cause, hint) of the first problem of mask ``m`` (out, in, k, k), or None."""
    centre = k // 2
    if bool(m[:, :, centre + 1:, :].any()):
        return ("future row not masked: taps below the centre row are 1 (a pixel would see the rows below)",
                "zero every tap below the centre row")
    if bool(m[:, :, centre, centre + 1:].any()):
        return ("future column not masked: taps right of the centre in the centre row are 1",
                "zero the taps right of the centre in the centre row")
    if not bool(m[:, :, :centre, :].all()) or not bool(m[:, :, centre, :centre].all()):
        return ("past not fully visible: some taps above the centre row or left of the centre are 0",
                "taps above the centre row and left of the centre must all be 1")
    taps = m[:, :, centre, centre]
    if c == 1:
        if mask_type == "A" and bool(taps.any()):
            return ("centre tap of a type 'A' mask is 1: a pixel would see itself",
                    "a type 'A' mask (first layer) has centre tap 0")
        if mask_type == "B" and not bool(taps.all()):
            return ("centre tap of a type 'B' mask is 0: later layers would not see the features "
                    "of the current pixel", "a type 'B' mask (later layers) has centre tap 1")
        return None
    return _colour_problem(taps, mask_type, c)


def check_pixelcnn_mask(pixelcnn_mask: Callable, configs: Sequence | None = None, *,
                        name: str = "pixelcnn_mask") -> CheckResult:
    """Check ``pixelcnn_mask(kernel_size, mask_type, in_channels, out_channels, color_channels)``.

    ``configs``: tuples as in :func:`default_pixelcnn_configs` (3x3 and 5x5, 'A'/'B',
    one channel and colour groups, in != out so that a transposed mask shows).
    """
    configs = default_pixelcnn_configs() if configs is None else configs
    found = []                                     # (severity, cause, hint, where, config)
    for k, t, cin, cout, c in configs:
        where = (f"(kernel_size={k}, mask_type='{t}', in_channels={cin}, out_channels={cout}, "
                 f"color_channels={c})")
        try:
            raw = pixelcnn_mask(k, t, cin, cout, c) if c != 1 else pixelcnn_mask(k, t, cin, cout)
        except Exception as exc:  # noqa: BLE001
            return CheckResult.fail(name, _raised("pixelcnn_mask", exc, where))
        m = _as_mask(raw, 0, (cout, cin, k, k), "mask")
        if isinstance(m, str):
            return CheckResult.fail(name, m.replace("mask 0", "mask") + f" {where}", hint=_mask_hint(m))
        problem = _pixelcnn_problem(m, k, t, c)
        if problem:
            cause, hint = problem
            found.append((_severity(cause), cause, hint, where, (k, t, cin, cout, c)))
    if not found:
        return CheckResult.ok(name, f"pixelcnn_mask follows the contract for {len(configs)} configurations")
    found.sort(key=lambda f: f[0])                 # stable: the first config of the worst class
    _, cause, hint, where, config = found[0]
    others = []
    for _, c2, _, w2, _ in found[1:]:
        cls = c2.split(":")[0]
        if cls != cause.split(":")[0] and cls not in [o.split(" (")[0] for o in others]:
            others.append(f"{cls} {w2}")
    message = f"{cause} {where}"
    if others:
        message += "; also: " + "; ".join(others)
    wrong = [f[4] for f in found]
    return CheckResult.fail(name, message, hint=hint, config=config, wrong_configs=wrong)


def _severity(cause: str) -> int:
    """Rank of a mask problem: a leak of the future (rows below, then the right side) first, then
    the centre and colour rules, then hidden past (a liveness issue, not a leak)."""
    order = {"future row": 0, "future column": 1, "centre tap of a type 'A'": 2, "colour": 3}
    for prefix, rank in order.items():
        if cause.startswith(prefix):
            return rank
    if cause.startswith("past not"):
        return 5
    return 4
