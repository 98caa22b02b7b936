"""Non-dominated sorting helpers (minimisation)."""
from __future__ import annotations

import numpy as np


def non_dominated(F: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of ``F`` (n, m) that no other row dominates (rows with inf/NaN are excluded)."""
    F = np.asarray(F, dtype=float)
    ok = np.all(np.isfinite(F), axis=1)
    mask = np.zeros(len(F), dtype=bool)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return mask
    G = F[idx]
    order = np.lexsort(G.T[::-1])
    G, idx = G[order], idx[order]
    keep: list[int] = []
    for i in range(len(G)):
        if keep:
            K = G[keep]
            if np.any(np.all(K <= G[i], axis=1) & np.any(K < G[i], axis=1)):
                continue
        keep.append(i)
    mask[idx[keep]] = True
    return mask
