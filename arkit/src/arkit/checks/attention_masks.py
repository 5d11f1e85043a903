"""Public check of a ``causal_attention_mask(n)`` stub: the mask conventions, tested by effect.

The contract: ``mask = causal_attention_mask(n)`` is an (n, n) tensor (or array); row i is the
query position i, column j the key position j. Two conventions are accepted:

* ``"additive"`` (float): 0 where query i may attend key j, ``-inf`` (or any value <= -1e4, e.g.
  ``torch.finfo(dtype).min``) where it may not; used as ``softmax(scores + mask)``;
* ``"multiplicative"`` (0/1 float, int or bool): 1/True where query i may attend key j, 0/False
  where it may not; used as ``softmax(scores.masked_fill(mask == 0, -inf))``. This is the
  ``F.scaled_dot_product_attention`` bool convention; ``nn.MultiheadAttention``'s bool
  ``attn_mask`` is the opposite (True = blocked) and fails here as "inverted".

``convention="auto"`` reads a mask with a negative entry (or only 0s) as additive, any other as
multiplicative. ``diagonal=True`` (inputs shifted right, GPT-style): query i attends keys
j <= i. ``diagonal=False`` (strict, sequence not shifted): query i attends keys j < i, and row 0,
which has no earlier key, must allow exactly key 0 -- otherwise its softmax is over nothing and
the first position produces a NaN row (the model must then ignore position 0's output).

Each size in ``sizes`` (default 1, 2, 5, 16) is checked; the message names the first wrong entry
in attention terms (query, key) and what it looks like (transposed, inverted, diagonal, NaN).
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from arkit.checks.result import CheckResult, exception_text

BLOCKED_BELOW = -1e4


def _contract_allows(n: int, diagonal: bool) -> torch.Tensor:
    """(n, n) bool, entry (i, j) = the contract's rule for query i and key j (private: the check
    compares entries against the rule; it is not a mask builder to import)."""
    i, j = torch.arange(n)[:, None], torch.arange(n)[None, :]
    return (j <= i if diagonal else j < i) | ((i == 0) & (j == 0))


def _read(mask, n: int, convention: str):
    """(allowed bool (n, n), convention used) or a problem sentence."""
    if not isinstance(mask, torch.Tensor):
        try:
            mask = torch.as_tensor(mask)
        except Exception:  # noqa: BLE001
            return f"causal_attention_mask({n}) returned a {type(mask).__name__}, not a tensor"
    mask = mask.detach().cpu()
    if tuple(mask.shape) != (n, n):
        return (f"causal_attention_mask({n}) has shape {tuple(mask.shape)}, expected ({n}, {n}) "
                f"(one row per query, one column per key)")
    if mask.dtype == torch.bool:
        if convention == "additive":
            return "the mask is bool, but the additive convention needs float 0 / -inf"
        return mask.clone(), "multiplicative"
    m = mask.double()
    if bool(torch.isnan(m).any()):
        return (f"causal_attention_mask({n}) contains NaN (e.g. a 0/1 mask multiplied by -inf: "
                f"0 * -inf = NaN)")
    if convention == "auto":
        convention = "additive" if bool((m < 0).any()) or not bool((m != 0).any()) else "multiplicative"
    if convention == "additive":
        if bool(torch.isposinf(m).any()):
            return "the additive mask contains +inf; blocked entries must be -inf"
        leak = (m > BLOCKED_BELOW) & (m.abs() > 1e-6)
        if bool(leak.any()):
            i, j = (int(v) for v in leak.nonzero()[0])
            return (f"additive mask entry (query {i}, key {j}) is {float(m[i, j]):.3g}: neither 0 "
                    f"(attend) nor -inf / <= {BLOCKED_BELOW:g} (blocked), so attention leaks through "
                    f"it with weight exp({float(m[i, j]):.3g})")
        return m.abs() <= 1e-6, "additive"
    if convention != "multiplicative":
        raise ValueError("convention must be 'auto', 'additive' or 'multiplicative'")
    if not bool(((m == 0) | (m == 1)).all()):
        return f"the multiplicative mask has values other than 0 and 1: {torch.unique(m)[:6].tolist()}"
    return m == 1, "multiplicative"


def _diagnose(allowed: torch.Tensor, want: torch.Tensor, diagonal: bool, convention: str) -> str:
    n = want.shape[0]
    if n > 1 and torch.equal(allowed, ~want):
        return (f"the {convention} mask is inverted: it blocks what query i may attend and allows "
                f"the rest" + (" (nn.MultiheadAttention's bool attn_mask uses True = blocked; this "
                               "contract uses True = may attend)" if convention == "multiplicative" else ""))
    if n > 1 and torch.equal(allowed, want.T) or (n > 1 and bool(allowed.triu(1).any())
                                                  and not bool(allowed.tril(-1).any())):
        return ("the mask is transposed: query i may attend later keys j > i and not earlier ones "
                "(rows are queries, columns keys)")
    if not bool(allowed[0].any()):
        return ("row 0 (the first query) is entirely blocked: its softmax is over nothing and gives "
                "a NaN row for the first position" + (" (with a strict mask let query 0 attend key 0 "
                                                      "only)" if not diagonal else ""))
    diag_bad = (allowed.diagonal() != want.diagonal())
    off = ~torch.eye(n, dtype=torch.bool)
    if bool(diag_bad.any()) and torch.equal(allowed[off], want[off]):
        i = int(diag_bad.nonzero()[0])
        if diagonal:
            return (f"the diagonal is blocked (query {i} may not attend key {i}): the contract includes "
                    f"the diagonal (inputs shifted right, position i sees itself)")
        return (f"the diagonal is allowed (query {i} attends key {i}): the contract excludes it "
                f"(strict mask: position i sees only j < i; only query 0 attends key 0)")
    future = allowed & ~want & torch.ones(n, n, dtype=torch.bool).triu(1)
    if bool(future.any()):
        i, j = (int(v) for v in future.nonzero()[0])
        return f"query {i} may attend key {j}, a later position: the future is visible"
    wrong = allowed != want
    i, j = (int(v) for v in wrong.nonzero()[0])
    if bool(want[i, j]):
        return f"query {i} may not attend key {j}, an earlier position it must see: the past is blocked"
    return f"query {i} may attend key {j}, which the contract blocks"


def check_causal_attention_mask(mask_fn: Callable[[int], torch.Tensor], convention: str = "auto",
                                diagonal: bool = True, sizes: Sequence[int] = (1, 2, 5, 16),
                                name: str = "causal_attention_mask") -> CheckResult:
    """Pass iff ``mask_fn(n)`` follows the contract (module docstring) for every n in ``sizes``,
    and applying it to random scores gives finite attention rows with weight exactly 0 on every
    blocked key."""
    for n in sorted(sizes, reverse=True):  # the largest size shows the most (inverted, transposed)
        try:
            mask = mask_fn(n)
        except Exception as exc:  # noqa: BLE001
            return CheckResult.fail(name, f"causal_attention_mask({n}) raised {exception_text(exc)}")
        read = _read(mask, n, convention)
        if isinstance(read, str):
            return CheckResult.fail(name, read, size=n)
        allowed, used = read
        want = _contract_allows(n, diagonal)
        if not torch.equal(allowed, want):
            return CheckResult.fail(name, f"n={n}: {_diagnose(allowed, want, diagonal, used)}",
                                    hint="build it from torch.ones(n, n).tril(...): rows are queries, "
                                         "columns keys", size=n, convention=used)
        scores = torch.randn(n, n, generator=torch.Generator().manual_seed(n), dtype=torch.float64)
        m = torch.as_tensor(mask).detach().cpu()
        logits = scores + m.double() if used == "additive" else scores.masked_fill(~allowed, float("-inf"))
        weights = torch.softmax(logits, -1)
        if not bool(torch.isfinite(weights).all()) or bool((weights[~want] != 0).any()):
            return CheckResult.fail(name, f"n={n}: applied to scores, the mask gives non-finite rows or "
                                          f"weight on blocked keys", size=n)
    what = "diagonal included" if diagonal else "strict (diagonal excluded, query 0 attends key 0)"
    return CheckResult.ok(name, f"causal mask correct for n in {list(sizes)} ({used} convention, {what})",
                          convention=used)
