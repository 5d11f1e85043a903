"""Which inputs each output depends on: gradients (autograd) and single-input perturbations.

Both return a bool matrix ``dep[r, e]``: output variable ``rows[r]`` depends on
input variable ``e`` for at least one of the test inputs (a union, so a ReLU
that happens to be dead for one input cannot hide a dependency).

Gradients are taken at the first differentiable tensor: the input itself when
the model takes floats, else the output of the ``nn.Embedding`` that reads
the integer input. Anything autograd cannot see (``detach()``, ``no_grad``,
rounding, integer tricks) is caught by the black-box perturbation tests in
:mod:`arkit.checks.perturbation`, not here.
"""
from __future__ import annotations

import torch

from arkit.checks.probe import ModelProbe, eval_mode

REL_TOL = 1e-6  # |grad| below REL_TOL * (largest |grad| of that output) counts as zero


def differentiable_forward(probe: ModelProbe, x: torch.Tensor, y=None):
    """Forward with gradients enabled.

    Returns ``(Y, T, reduce, saved)``: per-variable outputs Y (B, D, F), the tensor T the
    gradient is taken at, ``reduce(g) -> (n, D)`` mapping a batch of gradients shaped
    (n, *T.shape) to per-input-variable magnitudes, the largest over the B test inputs (the
    union), and ``saved = (total, largest)``, the elements autograd saved for the backward in
    tensors with a leading batch dimension (what one batched backward multiplies; they size the
    chunks).
    Returns ``None`` when no gradient path from the input exists.
    """
    if probe.input_dtype.is_floating_point:
        xg = x.to(probe.device, torch.float32).clone().requires_grad_(True)
        with _count_saved(x.shape[0]) as saved:
            out = probe.to_vars(probe._call(xg, y))
        if out.requires_grad:
            batch = x.shape[0]

            def reduce(grads):  # max |g| over the B inputs
                return grads.abs_().reshape(grads.shape[0], batch, -1).amax(dim=1)
            return out, xg, reduce, tuple(saved)
    return _embedding_forward(probe, x, y)


class _count_saved:
    """Context manager -> ``[total, largest]``: elements of the tensors autograd saves whose first
    dimension is ``batch`` (activations, not parameters), in all and in the largest one."""

    def __init__(self, batch: int):
        self.batch, self.total = batch, [0, 0]

    def __enter__(self):
        def pack(t):
            if t.dim() > 0 and t.shape[0] == self.batch:
                self.total[0] += t.numel()
                self.total[1] = max(self.total[1], t.numel())
            return t
        self.hooks = torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t)
        self.hooks.__enter__()
        return self.total

    def __exit__(self, *exc):
        self.hooks.__exit__(*exc)
        return False


def _embedding_forward(probe: ModelProbe, x, y):
    model = probe.model
    if not isinstance(model, torch.nn.Module):
        return None
    captured = []
    batch, num_vars = x.shape[0], probe.num_vars

    def hook(module, inputs, output):
        if captured or inputs[0].numel() != batch * num_vars:
            return None
        if not output.requires_grad:
            output = output.detach().requires_grad_(True)
        captured.append(output)
        return output

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, torch.nn.Embedding)]
    try:
        with _count_saved(batch) as saved:
            out = probe.to_vars(probe._call(x.to(probe.device, probe.input_dtype), y))
    finally:
        for h in handles:
            h.remove()
    if not captured or not out.requires_grad:
        return None
    emb = captured[0]
    return (out, emb, lambda grads: grads.abs().reshape(grads.shape[0], batch, num_vars, -1).sum(-1).amax(dim=1),
            tuple(saved))


def gradient_dependency(probe: ModelProbe, x: torch.Tensor, y=None, rows=None,
                        chunk: int | None = None, rel_tol: float = REL_TOL) -> torch.Tensor | None:
    """Gradient dependency of output variables ``rows`` (default all) on every input variable.

    Args:
        x: test inputs (B, *var_shape), values as for the model; y: labels (B,) or None.
        rows: int64 (R,) output variable indices.
    Returns bool (R, D) (union over the B inputs), or None if the model has no
    gradient path from its input (then use :func:`perturbation_dependency`).
    One forward pass (which also sizes ``probe.chunk`` from what it saved, :func:`fit_forward_chunk`);
    the backward passes for ``chunk`` outputs at a time are batched
    (``is_grads_batched``); ``chunk=None`` sizes the chunks from what the forward saved for the
    backward (about :data:`CHUNK_ELEMENTS` saved elements per batched backward).
    ``rel_tol``: |grad| at or below ``rel_tol`` x (largest |grad| of that output) counts as no
    dependency. The AR verdict uses :data:`REL_TOL` (float noise is no leak); liveness uses 0
    (any nonzero gradient means the input is seen: masked paths give exact zeros, while a
    real path through several gated layers can be 1e-7 of the largest one).
    """
    rows = torch.arange(probe.num_vars) if rows is None else torch.as_tensor(rows).reshape(-1)
    with eval_mode(probe.model):
        fwd = differentiable_forward(probe, x, y)
        if fwd is not None:
            fit_forward_chunk(probe, fwd[3], x.shape[0])
        dep = None if fwd is None else _rows_from(fwd, rows, chunk, rel_tol)
        if dep is None and probe.input_dtype.is_floating_point:
            fwd = _embedding_forward(probe, x, y)  # float input, but no gradient path from it
            dep = None if fwd is None else _rows_from(fwd, rows, chunk, rel_tol)
    return dep


def gradient_dependency_and_seen(probe: ModelProbe, x: torch.Tensor, y=None, rows=None,
                                 chunk: int | None = None):
    """``(dep, seen)`` from one set of backward passes: ``dep`` with :data:`REL_TOL` (the AR
    verdict), ``seen`` with any nonzero gradient (liveness); ``None`` without a gradient path."""
    rows = torch.arange(probe.num_vars) if rows is None else torch.as_tensor(rows).reshape(-1)
    with eval_mode(probe.model):
        fwd = differentiable_forward(probe, x, y)
        if fwd is not None:
            fit_forward_chunk(probe, fwd[3], x.shape[0])
        both = None if fwd is None else _rows_from(fwd, rows, chunk, (REL_TOL, 0.0))
        if both is None and probe.input_dtype.is_floating_point:
            fwd = _embedding_forward(probe, x, y)
            both = None if fwd is None else _rows_from(fwd, rows, chunk, (REL_TOL, 0.0))
    return both


# Chunks are sized so that the largest temporary stays at CHUNK_ELEMENTS float32 (8 MB) and all
# saved-tensor copies together at TOTAL_ELEMENTS (256 MB). Bigger chunks are not faster: temporaries
# above glibc's mmap threshold (32 MB) are page-faulted afresh on every call, and that kernel time
# doubled the gradient pass of a D = 400 attention model (measured: 11.4 s CPU with 128 MB chunks,
# 5.8 s with 4 rows per chunk) and its cuts (3.2 s with 655 samples per forward, 1.6 s with 16);
# MADE 784 costs the same with 1, 3 or 7 chunks.
CHUNK_ELEMENTS = 2**21
TOTAL_ELEMENTS = 2**26
MAX_CHUNK = 1024        # cotangents per batched backward (more gains nothing measurable)
MAX_FORWARD_CHUNK = 4096  # samples per forward call of the cuts
MAX_FORWARD_INPUT = 2**22  # input elements per forward call of the cuts


def fit_forward_chunk(probe: ModelProbe, saved: tuple[int, int], batch: int) -> None:
    """Set ``probe.chunk`` (samples per forward call, used by the cuts) so that the largest
    activation of one forward call stays near :data:`CHUNK_ELEMENTS`: a (B, H, D, D) attention
    model at D = 400 ran 655 samples per call, 0.5 GB temporaries page-faulted afresh each time;
    a MADE on 784 inputs ran its 784 cut samples in 3 calls of 334 (the probe's default), 2.1x
    slower than in one call. At most :data:`MAX_FORWARD_CHUNK` samples and
    :data:`MAX_FORWARD_INPUT` input elements per call (the input is not among the saved tensors).
    ``saved``: (total, largest) elements the forward saved for ``batch`` samples."""
    per_sample = max(1, saved[1] // max(1, batch))
    cap = min(MAX_FORWARD_CHUNK, MAX_FORWARD_INPUT // max(1, probe.num_vars))
    probe.chunk = max(1, min(cap, CHUNK_ELEMENTS // per_sample))


def auto_chunk(saved: tuple[int, int], out_numel: int, num_rows: int) -> int:
    """Rows per batched backward. Per row it holds copies of the saved tensors ``saved = (total,
    largest)`` and of the outputs (``out_numel``): the largest temporary is kept at
    :data:`CHUNK_ELEMENTS`, all of them at :data:`TOTAL_ELEMENTS`."""
    total, largest = saved
    return int(max(1, min(num_rows, MAX_CHUNK, CHUNK_ELEMENTS // max(1, largest, out_numel),
                          TOTAL_ELEMENTS // max(1, total + out_numel))))


def _rows_from(fwd, rows, chunk=None, rel_tol=REL_TOL):
    """Bool (R, D) from a differentiable forward, or None if no output has any gradient.

    The tolerance is relative to the largest magnitude of each output row over all inputs and
    test inputs, so taking the max over the B test inputs first (``reduce``) gives the same
    verdict as comparing every test input's gradient (one comparison per row and input variable).
    """
    out, tensor, reduce, saved = fwd
    chunk = auto_chunk(saved, out.numel(), rows.numel()) if chunk is None else int(chunk)
    gen = torch.Generator().manual_seed(1234)
    weights = torch.randn(out.shape[-1], generator=gen).to(out) + 2.0  # no cancellation
    tols = rel_tol if isinstance(rel_tol, tuple) else (rel_tol,)
    result = []
    for start in range(0, rows.numel(), chunk):
        part = rows[start:start + chunk]
        grad_out = torch.zeros((part.numel(), *out.shape), dtype=out.dtype, device=out.device)
        grad_out[torch.arange(part.numel()), :, part.to(out.device), :] = weights
        try:
            (grads,) = torch.autograd.grad(out, tensor, grad_out, retain_graph=True,
                                           is_grads_batched=True, allow_unused=True)
        except RuntimeError:  # ops without a batching rule: one backward per row
            grads = [torch.autograd.grad(out, tensor, g, retain_graph=True, allow_unused=True)[0]
                     for g in grad_out]
            grads = None if grads[0] is None else torch.stack(grads)
        del grad_out
        if grads is None:
            return None
        mag = reduce(grads.detach()).to("cpu", torch.float64)      # (n, D): max over the B inputs
        del grads
        scale = mag.amax(dim=1, keepdim=True).clamp_min(1e-300)
        result.append([mag > t * scale for t in tols])
    dep = [torch.cat([r[i] for r in result]) for i in range(len(tols))]
    if not bool(dep[-1].any()):
        return None
    return tuple(dep) if isinstance(rel_tol, tuple) else dep[0]


def perturbation_dependency(probe: ModelProbe, x: torch.Tensor, y=None, rows=None,
                            seed: int = 0) -> torch.Tensor:
    """Black-box dependency: change one input variable at a time, see which outputs move.

    Needs D+1 forward passes per test input. Returns bool (R, D) like
    :func:`gradient_dependency` (union over the B test inputs).
    """
    rows = torch.arange(probe.num_vars) if rows is None else torch.as_tensor(rows).reshape(-1)
    num_vars = probe.num_vars
    dep = torch.zeros(rows.numel(), num_vars, dtype=torch.bool)
    base = probe.outputs(x, y)
    eye = torch.eye(num_vars, dtype=torch.bool)
    for b in range(x.shape[0]):
        yb = None if y is None else y[b:b + 1].expand(num_vars)
        moved = probe.outputs(probe.changed_from(x[b], eye, seed + b), yb)
        diff = moved_mask(moved, base[b:b + 1])  # (D_in, D_out)
        dep |= diff[:, rows].T
    return dep


def moved_mask(new: torch.Tensor, old: torch.Tensor) -> torch.Tensor:
    """Bool (N, D): per-variable outputs (N, D, F) that differ from ``old`` beyond float noise."""
    tol = (1.0 + old.abs()).mul_(1e-5)
    return torch.sub(new, old).abs_().gt_(tol).any(dim=-1)
