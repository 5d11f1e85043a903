"""Hidden mask checks (grader only): exact comparison of ``pixelcnn_mask`` with the
reference, and ``made_masks`` property checks over many more orders and sizes
than the public check runs.
"""
from __future__ import annotations

import re

from typing import Callable

import torch

from arkit.checks.masks import check_made_masks, check_pixelcnn_mask
from arkit.checks.result import CheckResult, combine
from autograder.reference.masks import pixelcnn_mask as reference_pixelcnn_mask


def hidden_pixelcnn_configs():
    """Many (kernel_size, mask_type, in, out, color_channels) tuples, incl. odd channel counts."""
    configs = []
    for k in (1, 3, 5, 7):
        for t in ("A", "B"):
            configs += [(k, t, 1, 1, 1), (k, t, 1, 8, 1), (k, t, 7, 5, 1), (k, t, 16, 16, 1)]
            configs += [(k, t, 3, 3, 3), (k, t, 3, 12, 3), (k, t, 12, 6, 3), (k, t, 24, 24, 3)]
    return configs


def check_pixelcnn_mask_exact(pixelcnn_mask: Callable, configs=None,
                              name: str = "pixelcnn_mask.exact") -> CheckResult:
    """Elementwise equality with the reference mask on every config (score = fraction equal)."""
    configs = hidden_pixelcnn_configs() if configs is None else configs
    wrong = []
    for k, t, cin, cout, c in configs:
        try:
            got = torch.as_tensor(pixelcnn_mask(k, t, cin, cout, c)).detach().cpu().double()
        except Exception as exc:  # noqa: BLE001
            wrong.append(f"{(k, t, cin, cout, c)} raised {type(exc).__name__}")
            continue
        want = reference_pixelcnn_mask(k, t, cin, cout, c).double()
        if got.shape != want.shape:
            wrong.append(f"{(k, t, cin, cout, c)} shape {tuple(got.shape)}")
        elif not torch.equal(got, want):
            wrong.append(f"{(k, t, cin, cout, c)}: {int((got != want).sum())} of {want.numel()} taps differ")
    score = 1.0 - len(wrong) / len(configs)
    if wrong:
        return CheckResult.fail(name, f"{len(wrong)} of {len(configs)} masks differ from the "
                                      f"reference, e.g. {wrong[0]}", score=score, wrong=wrong)
    return CheckResult.ok(name, f"all {len(configs)} masks equal the reference")


def hidden_made_configs(seed: int = 1):
    """(order, hidden_sizes) pairs: D from 2 to 40, random orders, widths from 1 to 3D."""
    gen = torch.Generator().manual_seed(seed)
    configs = []
    for num in (2, 3, 7, 16, 40):
        for _ in range(3):
            order = torch.randperm(num, generator=gen)
            configs += [(order, [3 * num]), (order, [num, num]), (order, [max(1, num // 4)] * 2),
                        (order, [1]), (order, [num + 1, 2 * num, num - 1 or 1])]
    return configs


def check_made_masks_hidden(made_masks: Callable, name: str = "made_masks.hidden") -> CheckResult:
    """The public property check over the hidden configs, with list and tensor orders.

    When both fail for the same reason (configurations aside), the reason is said once."""
    as_list = check_made_masks(made_masks, hidden_made_configs(), name=f"{name}.list")
    as_tensor = check_made_masks(made_masks, hidden_made_configs(seed=2), order_type=torch.tensor,
                                 name=f"{name}.tensor")
    as_list.label, as_tensor.label = "order as a list", "order as a tensor"
    out = combine(name, [as_list, as_tensor])
    where = re.compile(r"\s*\(D=\d+, order=\[[^\]]*\], hidden_sizes=\[[^\]]*\]\)")

    def reason(r: CheckResult) -> str:  # the stated cause, or the message without the configuration
        return r.message.split(" Cause: ", 1)[1] if " Cause: " in r.message else where.sub("", r.message)

    if not as_list.passed and not as_tensor.passed and reason(as_list) == reason(as_tensor):
        out.message, out.hint = as_list.message + " (the same with order as a tensor)", as_list.hint
    return out


def check_masks_hidden(made_masks: Callable | None = None,
                       pixelcnn_mask: Callable | None = None) -> CheckResult:
    """All hidden mask checks for whichever functions are given."""
    parts = []
    if made_masks is not None:
        parts.append(check_made_masks_hidden(made_masks))
    if pixelcnn_mask is not None:
        parts += [check_pixelcnn_mask(pixelcnn_mask), check_pixelcnn_mask_exact(pixelcnn_mask)]
    return combine("masks.hidden", parts)
