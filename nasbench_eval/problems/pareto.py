"""Non-dominated rows of a minimisation matrix: the one Pareto filter (searches, fronts, exhaustive ground truth;
re-exported as ``nasbench_eval.search.non_dominated``)."""
from __future__ import annotations

import math

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


def crowding_distance(F: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance (Deb et al., 2002) of the rows of one front ``F`` (n, m): for each objective, the
    gap between a point's two neighbours in that objective's stable sort, over the objective's range; boundary points
    get inf, an objective whose values are all equal adds 0; the sum over objectives is divided by m. A front of one
    or two points is all inf. The numbers are pymoo 0.6's ``calc_crowding_distance`` ("cd") bit for bit (checked in
    the tests), computed without its import of scipy.spatial; a small front of finite values is done in plain Python
    (the same IEEE operations in the same order: a numpy call costs more than the whole front)."""
    F = np.array(F, dtype=float)
    n, m = F.shape
    if n <= 2:
        return np.full(n, np.inf)
    if n <= _SMALL_FRONT and np.isfinite(F).all():
        total = _crowding_small(F.tolist(), n, m)
        if total is not None:
            return np.array(total) / m
    order = np.argsort(F, axis=0, kind="stable")
    cols = np.arange(m)
    ranked = F[order, cols]  # each column in ascending order
    span = F.max(axis=0) - F.min(axis=0)
    span[span == 0] = np.nan  # gaps / nan -> nan -> 0 below
    edge = np.full((1, m), np.inf)
    gaps = np.diff(ranked, axis=0)
    below = np.concatenate([edge, gaps]) / span  # gap to the previous point of the sorted column
    above = np.concatenate([gaps, edge]) / span  # gap to the next one
    below[np.isnan(below)] = 0.0
    above[np.isnan(above)] = 0.0
    per_obj = np.empty((n, m))
    per_obj[order, cols] = below + above  # back to the rows' order
    return per_obj.sum(axis=1) / m


_SMALL_FRONT = 32  # up to this many points the plain-Python crowding distance is the faster one


def _crowding_small(rows: list[list[float]], n: int, m: int) -> list[float] | None:
    """Per point, the sum over objectives of (gap below + gap above) / range, accumulated from 0.0 objective by
    objective as numpy's row sum does; None when a range overflows (the array form turns inf / inf into 0 there)."""
    inf = math.inf
    total = [0.0] * n
    for j in range(m):
        col = [r[j] for r in rows]
        span = max(col) - min(col)
        if span == 0:  # every gap / nan -> 0: adds nothing
            continue
        if not math.isfinite(span):
            return None
        order = sorted(range(n), key=col.__getitem__)  # stable, as argsort(kind="stable")
        for k, i in enumerate(order):
            below = (col[i] - col[order[k - 1]]) / span if k else inf
            above = (col[order[k + 1]] - col[i]) / span if k < n - 1 else inf
            total[i] += below + above
    return total
