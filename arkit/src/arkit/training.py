"""A small, deterministic training loop with progress bars.

Losses are **nats per dimension** throughout: ``loss_fn(model, batch)`` must
return the mean negative log-likelihood per dimension in nats (a scalar
tensor). The loop records it per iteration (train) and per epoch (test,
including once before training, as in the anchor course).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

LossFn = Callable[[nn.Module, torch.Tensor], torch.Tensor]


@dataclass
class History:
    """Training record. ``train``: one value per iteration; ``test``: one per
    epoch plus the initial evaluation (length ``epochs + 1``). Units: nats/dim."""

    train: list[float] = field(default_factory=list)
    test: list[float] = field(default_factory=list)

    def as_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.train, dtype=np.float64), np.asarray(self.test, dtype=np.float64)


def _batches(data, batch_size: int, shuffle: bool, generator: torch.Generator | None):
    """Yield batches from a tensor/ndarray (first axis) or a tuple of them (same first axis)."""
    items = data if isinstance(data, (tuple, list)) else (data,)
    items = tuple(torch.as_tensor(a) for a in items)
    n = len(items[0])
    idx = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for start in range(0, n, batch_size):
        sel = idx[start:start + batch_size]
        batch = tuple(a[sel] for a in items)
        yield batch if len(batch) > 1 else batch[0]


def _to_device(batch, device):
    if isinstance(batch, tuple):
        return tuple(b.to(device) for b in batch)
    return batch.to(device)


@torch.no_grad()
def evaluate(model: nn.Module, loss_fn: LossFn, data, batch_size: int = 256, device: str = "cpu") -> float:
    """Mean loss (nats/dim) over ``data``, weighting batches by their size."""
    model.eval()
    total, count = 0.0, 0
    for batch in _batches(data, batch_size, shuffle=False, generator=None):
        n = len(batch[0]) if isinstance(batch, tuple) else len(batch)
        total += float(loss_fn(model, _to_device(batch, device))) * n
        count += n
    model.train()
    return total / max(count, 1)


def train_epochs(
    model: nn.Module,
    loss_fn: LossFn,
    train_data,
    test_data,
    *,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 128,
    device: str = "cpu",
    grad_clip: float | None = None,
    seed: int = 0,
    max_steps: int | None = None,
    progress: bool = True,
    desc: str = "train",
) -> History:
    """Train ``model`` with Adam and return its :class:`History` (nats/dim).

    Args:
        model: any ``nn.Module``; moved to ``device``.
        loss_fn: ``loss_fn(model, batch) -> scalar`` mean NLL per dimension in nats.
        train_data, test_data: a tensor/ndarray, or a tuple of them (e.g. ``(x, y)``)
            sharing the first axis; batches are passed to ``loss_fn`` as-is.
        epochs: passes over ``train_data``.
        max_steps: stop after this many optimizer steps in total (small profiles).
        seed: seeds the shuffling generator (the model's init is the caller's business).
        progress: show a tqdm bar (per step, with the running loss).

    Raises:
        FloatingPointError: if the loss becomes NaN or infinite, naming the step.
    """
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    history = History(test=[evaluate(model, loss_fn, test_data, device=device)])
    n_train = len(train_data[0] if isinstance(train_data, (tuple, list)) else train_data)
    steps_per_epoch = math.ceil(n_train / batch_size)
    total = epochs * steps_per_epoch if max_steps is None else min(max_steps, epochs * steps_per_epoch)
    bar = tqdm(total=total, desc=desc, disable=not progress, leave=False)
    step = 0
    model.train()
    for _epoch in range(epochs):
        for batch in _batches(train_data, batch_size, shuffle=True, generator=gen):
            loss = loss_fn(model, _to_device(batch, device))
            if not torch.isfinite(loss):
                bar.close()
                raise FloatingPointError(f"loss became {float(loss.detach())} at step {step}: check the likelihood for log(0) or overflow")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if grad_clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            opt.step()
            history.train.append(float(loss.detach()))
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{history.train[-1]:.4f}")
            if max_steps is not None and step >= max_steps:
                break
        history.test.append(evaluate(model, loss_fn, test_data, device=device))
        if max_steps is not None and step >= max_steps:
            break
    bar.close()
    return history
