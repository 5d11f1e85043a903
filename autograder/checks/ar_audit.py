"""Trusted audit of a scored parameter function: autoregressive, batch-independent, deterministic.

A question declares its scored parameter functions
(:class:`~autograder.assignments.spec.ParamFnSpec`); :func:`audit_objects` wraps
each one in :class:`AuditedParamFn` before the grade function sees it, on both
grading paths (the student's kernel and the sandboxed pipeline), so every score
comes from audited calls and both paths apply the same audit.

One call ``fn(x)`` of ``B`` rows becomes three calls of the student's function,
and no row is ever scored from a call the grader did not audit:

* the rows are split at random into two halves; call 1 holds half A, call 2
  half B, each shuffled together with the *audit rows* of the other half, so
  every scored row's partner is in a different call (a model that reads the
  other rows of its batch, or looks for a twin, sees nothing to pair it with);
* every scored row ``r`` has a *splice*: ``r`` up to order position ``k`` and a
  real row from the same or an earlier call (another held-out example) from
  ``k`` on, ``k`` drawn among the positions where the two differ (any channel:
  colour splices may start at R, G or B). The outputs of every unit that may
  only see positions ``< k+1`` must not change; for a 1D variable ``k = 0``:
  its parameters must not depend on x at all;
* a few rows are evaluated again in the other call, and one row alone: every
  output must be the same (batch independence, determinism);
* with ``same_model_as``, a few scored rows are also given to the model object
  another question proves autoregressive: it must give the same outputs.

Outputs are compared in float64 with ``|a - b| <= ATOL + RTOL |a|``.

Not guaranteed: a model that keeps state across calls can answer a splice
consistently with a row it saw before (see docs/design.md, "What the grader
guarantees").
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import torch

from arkit.checks.result import CheckResult
from autograder.assignments.spec import ParamFnSpec

ATOL = 1e-3
RTOL = 1e-3
MAX_POOL = 4096            # earlier rows kept as splice partners
DUPLICATE_EVERY = 16       # one row in 16 is evaluated again in the other call
SAME_MODEL_ROWS = 4        # scored rows per call also given to the same-model object
CHANNEL_NAMES = {3: "RGB"}


class ARAuditError(RuntimeError):
    """The audited function's outputs depend on something they must not see (the message says what)."""


class LayoutError(ValueError):
    """Outputs whose layout the likelihood does not accept (scoring reports it; the audit stands aside)."""


# --------------------------------------------------------------------------- layout
def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def order_positions(var_shape: tuple[int, ...], order: str = "raster") -> torch.Tensor:
    """``pos[d]``: when flat variable ``d`` (C-order of ``var_shape``) is generated, int64 ``(D,)``.

    Raster order, channels innermost: for ``(C, H, W)`` variable ``c*H*W + i*W + j`` is step
    ``(i*W + j)*C + c``; otherwise the flat index itself (a scalar is one variable).
    ``order="multiscale"`` (``(1, H, W)``): the variables sorted by multiscale group, raster order
    within a group (the groups decide what may be seen: :func:`unit_limits`).
    """
    if order == "multiscale":
        group = _groups(var_shape)
        pos = torch.empty_like(group)
        pos[torch.sort(group, stable=True).indices] = torch.arange(group.numel())
        return pos
    if len(var_shape) == 3:
        C, H, W = var_shape
        c, ij = torch.meshgrid(torch.arange(C), torch.arange(H * W), indexing="ij")
        return (ij * C + c).reshape(-1)
    return torch.arange(_numel(var_shape))


def unit_limits(spec: ParamFnSpec) -> torch.Tensor:
    """``q[u]``: output unit ``u`` may depend only on variables at order positions ``< q[u]``, int64 ``(U,)``.

    Units are variables (flat C-order) for ``categorical``/``bernoulli``, pixels for
    ``pixelcnnpp`` (its parameters at a pixel give all channels of that pixel), and a
    single unit for ``dmol`` (1D). ``color="independent"`` lets no channel of a pixel see
    its own pixel.
    """
    vs = spec.var_shape
    pos = order_positions(vs, spec.order)
    if spec.order == "multiscale":          # a variable may see the groups before its own
        group = _groups(vs)
        sizes = torch.bincount(group)
        return (torch.cumsum(sizes, 0) - sizes)[group]
    C = vs[0] if len(vs) == 3 else 1
    if spec.likelihood == "pixelcnnpp":
        return torch.arange(vs[1] * vs[2]) * C
    if spec.likelihood == "dmol":
        return torch.zeros(1, dtype=torch.long)
    if spec.color == "independent" and C > 1:
        return (pos // C) * C
    return pos


def _groups(var_shape) -> torch.Tensor:
    """Multiscale group of each flat variable of a ``(1, H, W)`` image, int64 ``(H*W,)``."""
    from autograder.reference.models.multiscale import group_ranks

    return group_ranks(var_shape)


def units(spec: ParamFnSpec, out: Any, n: int) -> torch.Tensor:
    """Per-unit outputs float64 ``(n, U, F)`` of a call on ``n`` rows; :class:`LayoutError` if the
    layout is not one :func:`autograder.checks.threshold.batch_log_prob` accepts."""
    vs, lk = spec.var_shape, spec.likelihood
    if lk == "dmol":
        if not isinstance(out, (tuple, list)) or len(out) != 3 or not all(isinstance(t, torch.Tensor) for t in out):
            raise LayoutError("dmol parameters must be a tuple (logits, means, log_scales)")
        leaves = []
        for t in out:
            if t.dim() == 1:
                leaves.append(t.detach().cpu().double().reshape(1, -1).expand(n, -1))
            elif t.dim() == 2 and t.shape[0] == n:
                leaves.append(t.detach().cpu().double())
            else:
                raise LayoutError(f"dmol parameter shaped {tuple(t.shape)}")
        return torch.cat(leaves, 1).reshape(n, 1, -1)
    if not isinstance(out, torch.Tensor) or out.dim() == 0 or out.shape[0] != n:
        raise LayoutError("not one tensor with a row per example")
    t = out.detach().cpu().double()
    if lk == "bernoulli":
        if tuple(t.shape[1:]) != vs:
            raise LayoutError(f"Bernoulli logits shaped {tuple(t.shape)}")
        return t.reshape(n, -1, 1)
    if lk == "categorical":
        if t.dim() != len(vs) + 2:
            raise LayoutError(f"categorical logits shaped {tuple(t.shape)}")
        t = t.movedim(spec.class_dim % t.dim(), -1)
        if tuple(t.shape[1:-1]) != vs:
            raise LayoutError(f"categorical logits shaped {tuple(out.shape)}")
        return t.reshape(n, _numel(vs), t.shape[-1])
    if lk == "pixelcnnpp":
        if t.dim() != 4 or len(vs) != 3 or tuple(t.shape[2:]) != vs[1:]:
            raise LayoutError(f"PixelCNN++ parameters shaped {tuple(t.shape)}")
        return t.permute(0, 2, 3, 1).reshape(n, vs[1] * vs[2], t.shape[1])
    raise LayoutError(f"unknown likelihood {lk!r}")


def _channel(C: int, c: int) -> str:
    if C == 1:
        return ""
    return f", channel {CHANNEL_NAMES[C][c]}" if C in CHANNEL_NAMES else f", channel {c}"


def describe_unit(spec: ParamFnSpec, u: int) -> str:
    """Unit ``u`` in the student's terms, e.g. ``"pixel (row 3, column 5), channel G"``."""
    vs = spec.var_shape
    if spec.likelihood == "pixelcnnpp":
        return f"pixel (row {u // vs[2]}, column {u % vs[2]})"
    if len(vs) == 3:
        C, H, W = vs
        c, ij = divmod(u, H * W)
        return f"pixel (row {ij // W}, column {ij % W}){_channel(C, c)}"
    if len(vs) == 0:
        return "x"
    return f"x[{u}]"


def describe_position(spec: ParamFnSpec, k: int) -> str:
    """Order position ``k`` as the variable generated there."""
    vs = spec.var_shape
    if spec.order == "multiscale":
        k = int(torch.nonzero(order_positions(vs, spec.order) == k)[0])
        return f"pixel (row {k // vs[2]}, column {k % vs[2]}) (multiscale group {int(_groups(vs)[k])})"
    if len(vs) == 3:
        C, H, W = vs
        pix, c = divmod(k, C)
        return f"pixel (row {pix // W}, column {pix % W}){_channel(C, c)}"
    return "x" if len(vs) == 0 else f"x[{k}]"


def _close(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Elementwise closeness (NaN == NaN), reduced over the last axis: bool ``a.shape[:-1]``."""
    ok = ((a - b).abs() <= ATOL + RTOL * a.abs()) | (torch.isnan(a) & torch.isnan(b)) | (a == b)
    return ok.all(-1)


# --------------------------------------------------------------------------- the wrapper
class AuditedParamFn:
    """``fn`` with every call audited (see the module docstring); returns ``fn``'s outputs for ``x``.

    Args:
        fn: the exposed parameter function (a local callable or a forward-only proxy).
        spec: its trusted declaration.
        seed: seed of the audit's random choices.
        same_model: the object named by ``spec.same_model_as`` (outputs must agree).
    """

    def __init__(self, fn: Callable, spec: ParamFnSpec, *, seed: int = 0, same_model: Callable | None = None):
        self.fn, self.spec, self.same_model = fn, spec, same_model
        self.name = spec.name
        self._gen = torch.Generator().manual_seed(int(seed) & 0x7FFFFFFF)
        self._pos = order_positions(spec.var_shape, spec.order)
        self._q = unit_limits(spec)
        self._pool: torch.Tensor | None = None
        self.audited_rows = 0       # scored rows that went through every audit
        self.unaudited_calls = 0    # calls whose input or output layout did not fit the declaration
        self.calls = 0              # calls of the student's function made by this wrapper

    def __repr__(self) -> str:
        return f"<audited {self.name}>"

    # -- helpers
    def _randint(self, high: int, size) -> torch.Tensor:
        return torch.randint(0, high, size, generator=self._gen)

    def _call(self, fn: Callable, xin: torch.Tensor, src: torch.Tensor, B: int, args, kwargs) -> Any:
        """One call on rows ``xin``; batch-aligned extra inputs (labels) follow their source rows."""
        def aligned(a):
            if isinstance(a, torch.Tensor) and a.dim() >= 1 and a.shape[0] == B:
                return a[src].clone()
            return a
        self.calls += 1
        with torch.no_grad():
            return fn(xin.clone(), *(aligned(a) for a in args), **{k: aligned(v) for k, v in kwargs.items()})

    def _plain(self, x, args, kwargs):
        self.unaudited_calls += 1
        with torch.no_grad():
            return self.fn(x, *args, **kwargs)

    def _splices(self, flat: torch.Tensor):
        """Partner rows from the pool and split positions: ``(has, k, spliced)``; ``k`` is an order position."""
        B, D = flat.shape
        pool = flat if self._pool is None else torch.cat([flat, self._pool])
        partner = pool[self._randint(pool.shape[0], (B,))]
        for _ in range(8):                      # re-draw partners identical to their row
            same = (partner == flat).all(1)
            if not bool(same.any()):
                break
            partner[same] = pool[self._randint(pool.shape[0], (int(same.sum()),))]
        differ = partner != flat
        has = differ.any(1)
        score = torch.rand(B, D, generator=self._gen).masked_fill(~differ, -1.0)
        var = score.argmax(1)
        k = self._pos[var]
        spliced = torch.where(self._pos.view(1, -1) >= k.view(-1, 1), partner, flat)
        keep = torch.cat([flat, self._pool]) if self._pool is not None else flat
        self._pool = keep[:MAX_POOL].clone()
        return has, k, spliced

    # -- the audited call
    def __call__(self, x: Any = None, *args: Any, **kwargs: Any) -> Any:
        vs = self.spec.var_shape
        if (not isinstance(x, torch.Tensor) or x.is_floating_point() or x.dim() != len(vs) + 1
                or tuple(x.shape[1:]) != vs or x.shape[0] == 0):
            return self._plain(x, args, kwargs)
        B = x.shape[0]
        flat = x.reshape(B, -1)
        has, k, spliced = self._splices(flat)
        perm = torch.randperm(B, generator=self._gen)
        halves = [perm[: (B + 1) // 2], perm[(B + 1) // 2:]]
        # rows of each call: (flat input, source row, kind) with kind 0 scored, 1 splice, 2 duplicate
        calls = []
        for mine, other in ((halves[0], halves[1]), (halves[1], halves[0])):
            spl = other[has[other]]
            dup = other[torch.randperm(other.numel(), generator=self._gen)[: max(1, other.numel() // DUPLICATE_EVERY)]]
            rows = torch.cat([flat[mine], spliced[spl], flat[dup]])
            src = torch.cat([mine, spl, dup])
            kind = torch.cat([torch.zeros(mine.numel()), torch.ones(spl.numel()),
                              torch.full((dup.numel(),), 2.0)]).long()
            if rows.shape[0] == 0:
                continue
            shuffle = torch.randperm(rows.shape[0], generator=self._gen)
            calls.append((rows[shuffle], src[shuffle], kind[shuffle]))
        if B > 1:
            alone = perm[:1]
            calls.append((flat[alone], alone, torch.full((1,), 3).long()))
        outs, unit_outs = [], []
        for rows, src, kind in calls:
            out = self._call(self.fn, rows.reshape(-1, *vs).to(x.dtype), src, B, args, kwargs)
            try:
                u = units(self.spec, out, rows.shape[0])
            except LayoutError:
                return self._plain(x, args, kwargs)     # scoring rejects this layout with its own message
            outs.append(out)
            unit_outs.append(u)
        scored = torch.empty(B, *unit_outs[0].shape[1:], dtype=torch.float64)
        for (rows, src, kind), u in zip(calls, unit_outs):
            if u.shape[1:] != scored.shape[1:]:
                raise ARAuditError(f"{self.name} returned outputs of different shapes for batches of different "
                                   "sizes: one row of parameters per example, whatever the batch")
            scored[src[kind == 0]] = u[kind == 0]
        self._check_rows(calls, unit_outs, scored, k)
        result = self._assemble(calls, outs, B)
        if self.same_model is not None:
            self._check_same_model(x, B, scored, args, kwargs)
        self.audited_rows += int(has.sum())
        return result

    def _check_rows(self, calls, unit_outs, scored, k) -> None:
        bad_dup, bad_splice = [], []
        for (rows, src, kind), u in zip(calls, unit_outs):
            again = (kind == 2) | (kind == 3)
            if bool(again.any()):
                same = _close(scored[src[again]], u[again]).all(1)
                bad_dup += src[again][~same].tolist()
            spl = kind == 1
            if bool(spl.any()):
                r = src[spl]
                must_keep = self._q.view(1, -1) <= k[r].view(-1, 1)            # (n, U)
                changed = ~_close(scored[r], u[spl]) & must_keep
                for i in torch.nonzero(changed.any(1)).flatten().tolist():
                    bad_splice.append((int(r[i]), int(k[r[i]]), int(torch.nonzero(changed[i])[0])))
        if bad_dup:
            raise ARAuditError(
                f"{self.name} gave different outputs for the same held-out example in two different batches "
                f"({len(bad_dup)} example(s)): its outputs depend on the other examples of the batch or on chance. "
                "A model's parameters for one example may depend only on that example: call model.eval() "
                "(dropout and BatchNorm in training mode do this) and do not use statistics of the batch.")
        if bad_splice:
            r, kk, u = bad_splice[0]
            if len(self.spec.var_shape) == 0:
                raise ARAuditError(
                    f"{self.name} is not a valid 1D model: its parameters changed when only the value x being "
                    f"scored changed ({len(bad_splice)} audited example(s)). For a 1D variable the parameters must "
                    "not depend on x at all: ignore x and return the same parameters for every example.")
            allowed = int(self._q[u])
            seen = ("none of the example's values" if allowed == 0 else
                    f"only the variables generated before {describe_position(self.spec, allowed)}")
            if self.spec.order == "multiscale":
                g = int(_groups(self.spec.var_shape)[u])
                seen = "none of the example's values" if g == 0 else f"only the pixels of groups 0..{g - 1}"
            raise ARAuditError(
                f"{self.name} is not autoregressive: changing a held-out example from "
                f"{describe_position(self.spec, kk)} on ({self._order_words()}) "
                f"changed its output for {describe_unit(self.spec, u)}, which may depend on {seen} "
                f"({len(bad_splice)} of the audited examples). The output for a variable must not see that "
                f"variable or later ones: {self._hint()}")

    def _order_words(self) -> str:
        if self.spec.order == "multiscale":
            return "multiscale group order, raster within a group"
        return f"raster order{', R -> G -> B' if self._colour() else ''}"

    def _hint(self) -> str:
        if self.spec.order == "multiscale":
            return ("the conditioning of group g must hold the groups before g only (not g itself, not later "
                    "groups)")
        if len(self.spec.var_shape) == 3:
            return ("check the masks (the first layer's mask must exclude the centre pixel"
                    + (", and channel g may see only channels before g at the centre)" if self._colour() else ")"))
        return "check the masks (output d may see only the variables generated before d)"

    def _colour(self) -> bool:
        return len(self.spec.var_shape) == 3 and self.spec.var_shape[0] > 1

    def _assemble(self, calls, outs, B: int) -> Any:
        """``fn``'s outputs for the scored rows, in the caller's row order."""
        def gather(leaves: list[torch.Tensor]) -> torch.Tensor:
            if leaves[0].dim() == 1 and self.spec.likelihood == "dmol":
                return leaves[0].detach().cpu()
            res = torch.empty((B, *leaves[0].shape[1:]), dtype=leaves[0].dtype)
            for (rows, src, kind), t in zip(calls, leaves):
                res[src[kind == 0]] = t.detach().cpu()[kind == 0].to(res.dtype)
            return res

        if isinstance(outs[0], (tuple, list)):
            return type(outs[0])(gather([o[i] for o in outs]) for i in range(len(outs[0])))
        return gather(outs)

    def _check_same_model(self, x, B, scored, args, kwargs) -> None:
        rows = torch.randperm(B, generator=self._gen)[:SAME_MODEL_ROWS]
        out = self._call(self.same_model, x[rows], rows, B, args, kwargs)
        try:
            u = units(self.spec, out, rows.numel())
        except LayoutError as exc:
            raise ARAuditError(f"{self.spec.same_model_as} (the model checked for the autoregressive property) "
                               f"does not give outputs in the layout of {self.name} ({exc}): the model scored for "
                               "held-out NLL must be that model") from None
        if not bool(_close(scored[rows], u).all()):
            raise ARAuditError(
                f"{self.name} (scored for held-out NLL) and {self.spec.same_model_as} (checked for the "
                "autoregressive property) give different outputs for the same held-out examples: the likelihood "
                "credited must come from the model that is checked. Expose the same trained model in both.")


# --------------------------------------------------------------------------- entry points
def audit_objects(param_fns, objects: Mapping[str, Any], seed: int = 0) -> dict[str, Any]:
    """``objects`` with every declared parameter function wrapped in :class:`AuditedParamFn`.

    Names a question declares but the student did not expose are left out (the
    question then fails with "the notebook did not provide ...").
    """
    out = dict(objects)
    for i, spec in enumerate(param_fns):
        if spec.name in objects:
            out[spec.name] = AuditedParamFn(objects[spec.name], spec, seed=int(seed) * 1009 + i,
                                            same_model=objects.get(spec.same_model_as) if spec.same_model_as else None)
    return out


def check_ar_on_data(model: Callable, spec: ParamFnSpec, x, y=None, *, seed: int = 0,
                     name: str = "ar_on_data") -> CheckResult:
    """The audit of :class:`AuditedParamFn` on real examples ``x`` ``(N, *var_shape)`` (held-out images
    and their splices, not noise), for a model an AR question grades. ``y``: labels of a conditional model."""
    xt = torch.as_tensor(x)
    fn = AuditedParamFn(model, spec, seed=seed)
    try:
        if y is None:
            fn(xt)
        else:
            fn(xt, torch.as_tensor(y).long())
    except ARAuditError as exc:
        return CheckResult.fail(name, f"on held-out images: {exc}", audited_rows=fn.audited_rows)
    if fn.unaudited_calls:
        return CheckResult.fail(name, f"{spec.name}'s outputs on held-out images do not have the documented "
                                      "layout, so they cannot be checked")
    return CheckResult.ok(name, f"autoregressive on {fn.audited_rows} held-out images and their splices",
                          audited_rows=fn.audited_rows)


def audit_heldout(model: Callable, spec: ParamFnSpec, n: int, *, seed: int = 0, name: str = "ar_on_data") -> CheckResult:
    """:func:`check_ar_on_data` on the first ``n`` held-out examples of ``spec.dataset`` (labels too
    when ``spec.conditional``); a local ``nn.Module`` is evaluated in eval mode."""
    from arkit.checks.probe import eval_mode
    from autograder.heldout import load_heldout

    split = load_heldout(spec.dataset)
    x = torch.as_tensor(split.x[:n])
    y = torch.as_tensor(split.y[:n]) if spec.conditional and split.y is not None else None
    with eval_mode(model):                  # no-op for proxies and plain functions
        return check_ar_on_data(model, spec, x, y, seed=seed, name=name)
