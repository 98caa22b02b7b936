"""Mini-batches and augmentation for live training, all randomness from a given ``torch.Generator``.

:func:`augment` is the standard CIFAR augmentation of DARTS (Liu et al., ICLR 2019) and NAS-Bench-201: random crop
with zero padding, horizontal flip (p = 0.5) and optional cutout (DeVries & Taylor, arXiv 1708.04552, 2017),
vectorised over the batch.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["batches", "augment"]


def batches(x, y, batch_size: int, generator: torch.Generator | None = None, drop_last: bool = False):
    """Yield ``(xb, yb)``; shuffled with ``generator`` when given, else in order."""
    n = len(y)
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    stop = n - n % batch_size if drop_last and n >= batch_size else n
    for s in range(0, stop, batch_size):
        idx = order[s:s + batch_size]
        yield x[idx], y[idx]


def augment(x: torch.Tensor, generator: torch.Generator, pad: int = 4, flip: bool = True,
            cutout: int = 0) -> torch.Tensor:
    """Random crop with zero padding ``pad`` (0 = off), horizontal flip (p=0.5), cutout of a ``cutout`` square (0 = off).

    ``x`` is a float ``(n, C, H, W)`` batch; each enabled step draws from ``generator`` in this order: crop offsets,
    flips, cutout centres.
    """
    n, _, h, w = x.shape
    if pad:
        xp = F.pad(x, (pad, pad, pad, pad))
        oy = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
        ox = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
        rows = (oy[:, None] + torch.arange(h))[:, None, :, None]
        cols = (ox[:, None] + torch.arange(w))[:, None, None, :]
        x = xp[torch.arange(n)[:, None, None, None], torch.arange(x.shape[1])[None, :, None, None], rows, cols]
    if flip:
        f = torch.rand(n, generator=generator) < 0.5
        x = torch.where(f[:, None, None, None], x.flip(-1), x)
    if cutout:
        cy = torch.randint(0, h, (n,), generator=generator)[:, None, None]
        cx = torch.randint(0, w, (n,), generator=generator)[:, None, None]
        yy, xx = torch.arange(h)[None, :, None], torch.arange(w)[None, None, :]
        hole = ((yy >= cy - cutout // 2) & (yy < cy + cutout // 2) & (xx >= cx - cutout // 2) & (xx < cx + cutout // 2))
        x = x * (~hole)[:, None].to(x.dtype)
    return x.contiguous()
