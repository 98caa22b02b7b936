"""Small in-memory data helpers for the supernet path (kept minimal; the shared loaders live in ``nasbench_eval.live``).

* :func:`digits_splits` -- scikit-learn's bundled 8x8 digits (1,797 images, offline), upscaled to ``size`` x ``size``
  x 3, normalised, split by a seeded permutation into ``train`` / ``valid`` / ``test`` (search uses train vs valid as
  the 25k/25k CIFAR-10 halves are used in the papers, spec §1.6; final training uses train+valid vs test).
* :func:`cifar10_splits` -- CIFAR-10 from a local torchvision-format folder (no download), DARTS normalisation,
  search halves 25k/25k (``train_portion=0.5``).
* :func:`batches` -- shuffled mini-batches from a ``torch.Generator``; :func:`augment` -- random crop (pad),
  horizontal flip and cutout (DeVries & Taylor 2017), vectorised, all randomness from the given generator.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ConfigError

DARTS_C10_MEAN = (0.4914, 0.4822, 0.4465)
DARTS_C10_STD = (0.2470, 0.2435, 0.2616)


def digits_splits(seed: int = 0, size: int = 32, fractions=(0.5, 0.25)) -> dict:
    """``{'train': (x, y), 'valid': (x, y), 'test': (x, y), 'num_classes': 10}``; x float32 (n, 3, size, size)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.as_tensor(d.images, dtype=torch.float32)[:, None] / 16.0
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False).repeat(1, 3, 1, 1)
    x = (x - x.mean()) / x.std()
    y = torch.as_tensor(d.target, dtype=torch.long)
    perm = torch.as_tensor(np.random.default_rng(seed).permutation(len(y)))
    n_tr, n_va = int(fractions[0] * len(y)), int(fractions[1] * len(y))
    parts = {"train": perm[:n_tr], "valid": perm[n_tr:n_tr + n_va], "test": perm[n_tr + n_va:]}
    out = {k: (x[v], y[v]) for k, v in parts.items()}
    out["num_classes"] = 10
    return out


def cifar10_splits(root: str, seed: int = 0) -> dict:
    """CIFAR-10 from ``root`` (torchvision layout ``cifar-10-batches-py``); search halves of the training set."""
    try:
        from torchvision.datasets import CIFAR10
    except ImportError as exc:  # pragma: no cover
        raise ConfigError("CIFAR-10 needs torchvision: pip install torchvision") from exc
    try:
        tr, te = CIFAR10(root, train=True, download=False), CIFAR10(root, train=False, download=False)
    except RuntimeError as exc:
        raise ConfigError(f"CIFAR-10 not found under data root {root!r} (expected cifar-10-batches-py/); "
                          "download it there or use --dataset digits") from exc
    mean, std = torch.tensor(DARTS_C10_MEAN)[:, None, None], torch.tensor(DARTS_C10_STD)[:, None, None]

    def conv(ds):
        x = torch.as_tensor(ds.data).permute(0, 3, 1, 2).float() / 255.0
        return (x - mean) / std, torch.as_tensor(ds.targets, dtype=torch.long)

    (x, y), test = conv(tr), conv(te)
    perm = torch.as_tensor(np.random.default_rng(seed).permutation(len(y)))
    half = len(y) // 2
    return {"train": (x[perm[:half]], y[perm[:half]]), "valid": (x[perm[half:]], y[perm[half:]]),
            "test": test, "num_classes": 10}


def batches(x, y, batch_size: int, generator: torch.Generator | None = None, drop_last: bool = False):
    """Yield ``(xb, yb)``; shuffled with ``generator`` when given, else in order."""
    n = len(y)
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    stop = n - n % batch_size if drop_last and n >= batch_size else n
    for s in range(0, stop, batch_size):
        idx = order[s:s + batch_size]
        yield x[idx], y[idx]


def augment(x, generator: torch.Generator, pad: int = 4, flip: bool = True, cutout: int = 0):
    """Random crop with zero padding ``pad``, horizontal flip (p=0.5), cutout of a ``cutout`` square (0 = off)."""
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
    return x
