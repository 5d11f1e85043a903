"""Reference solutions of the two mask contracts (instructor-only; see docs/design.md).

``made_masks`` follows Germain et al. 2015 (MADE): input degree = generation
step + 1; hidden degrees in 1..D-1 with ``>=`` between layers; strict ``>``
into the output. ``pixelcnn_mask`` follows van den Oord et al. 2016 with
colour groups R|G|B as contiguous channel blocks.
"""
from __future__ import annotations

import torch


def made_degrees(order, hidden_sizes, degrees: str = "deterministic", seed: int = 0):
    """Degrees [m_in (D,), m_1 (h1,), ..., m_L (hL,)] as int64 tensors.

    ``degrees``: ``'deterministic'`` (cycle 1..D-1) or ``'random'`` (uniform in
    [min of the previous layer, D-1], seeded).
    """
    order = torch.as_tensor(order, dtype=torch.long)
    num = order.numel()
    m_in = torch.empty(num, dtype=torch.long)
    m_in[order] = torch.arange(1, num + 1)
    top = max(1, num - 1)
    gen = torch.Generator().manual_seed(seed)
    result, low = [m_in], 1
    for size in hidden_sizes:
        if degrees == "random":
            m = torch.randint(min(low, top), top + 1, (size,), generator=gen)
        elif degrees == "deterministic":
            m = torch.arange(size) % top + 1
        else:
            raise ValueError(f"degrees must be 'deterministic' or 'random', got {degrees!r}")
        low = int(m.min())
        result.append(m)
    return result


def made_masks(order, hidden_sizes, degrees: str = "deterministic", seed: int = 0) -> list[torch.Tensor]:
    """Float 0/1 masks (h1, D), (h2, h1), ..., (D, hL) for order ``order`` (order[k] = k-th generated)."""
    m = made_degrees(order, hidden_sizes, degrees, seed)
    masks = [(m[l + 1].view(-1, 1) >= m[l].view(1, -1)).float() for l in range(len(hidden_sizes))]
    masks.append((m[0].view(-1, 1) > m[-1].view(1, -1)).float())
    return masks


def channel_groups(num_channels: int, color_channels: int) -> torch.Tensor:
    """Colour group of each channel: contiguous blocks (R block, G block, B block)."""
    return torch.arange(num_channels) * color_channels // num_channels


def pixelcnn_mask(kernel_size: int, mask_type: str, in_channels: int, out_channels: int,
                  color_channels: int = 1) -> torch.Tensor:
    """Float 0/1 mask (out_channels, in_channels, k, k) for a raster-order masked convolution."""
    if kernel_size % 2 != 1:
        raise ValueError(f"kernel_size must be odd, got {kernel_size}")
    if mask_type not in ("A", "B"):
        raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
    k, c = kernel_size, kernel_size // 2
    mask = torch.ones(out_channels, in_channels, k, k)
    mask[:, :, c + 1:, :] = 0
    mask[:, :, c, c:] = 0
    if color_channels == 1:
        mask[:, :, c, c] = float(mask_type == "B")
    else:
        g_out = channel_groups(out_channels, color_channels).view(-1, 1)
        g_in = channel_groups(in_channels, color_channels).view(1, -1)
        mask[:, :, c, c] = ((g_in < g_out) if mask_type == "A" else (g_in <= g_out)).float()
    return mask
