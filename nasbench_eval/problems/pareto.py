"""Non-dominated rows of a minimisation matrix: the one Pareto filter (searches, fronts, exhaustive ground truth;
re-exported as ``nasbench_eval.search.non_dominated``)."""
from __future__ import annotations

import numpy as np

_CHUNK = 1 << 20  # pairwise comparisons per block in the general case (bounds the memory of one block)


def non_dominated(F: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of ``F`` (n, m) that no other row dominates (minimisation; rows with inf/NaN are
    excluded). Duplicates of a non-dominated point are all kept. Two columns: an O(n log n) sweep; more: blocks of
    pairwise comparisons."""
    F = np.asarray(F, dtype=float)
    mask = np.zeros(len(F), dtype=bool)
    ok = np.flatnonzero(np.all(np.isfinite(F), axis=1))
    if ok.size == 0:
        return mask
    G = F[ok]
    mask[ok] = _sweep_2d(G) if G.shape[1] == 2 else _pairwise(G)
    return mask


def _sweep_2d(G: np.ndarray) -> np.ndarray:
    """Sort by (f2, f1): a row survives iff it has the least f1 of its f2 group and that f1 is below every f1 with a
    strictly smaller f2."""
    order = np.lexsort((G[:, 0], G[:, 1]))
    f1, f2 = G[order, 0], G[order, 1]
    start = np.flatnonzero(np.concatenate([[True], f2[1:] != f2[:-1]]))
    group = np.cumsum(np.concatenate([[True], f2[1:] != f2[:-1]])) - 1
    gmin = f1[start]
    before = np.minimum.accumulate(np.concatenate([[np.inf], gmin[:-1]]))
    keep = np.zeros(len(G), dtype=bool)
    keep[order] = (f1 == gmin[group]) & (gmin[group] < before[group])
    return keep


def _pairwise(G: np.ndarray) -> np.ndarray:
    n = len(G)
    dominated = np.zeros(n, dtype=bool)
    step = max(1, _CHUNK // max(n * G.shape[1], 1))
    for i in range(0, n, step):
        B = G[i:i + step, None, :]
        dominated[i:i + step] = np.any(np.all(G[None] <= B, axis=2) & np.any(G[None] < B, axis=2), axis=1)
    return ~dominated
