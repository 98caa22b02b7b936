"""Feasibility-first comparison of evaluated architectures: Deb's rules, in one place.

K. Deb, "An efficient constraint handling method for genetic algorithms", Computer Methods in Applied Mechanics and
Engineering 186 (2000): of two solutions,

1. a feasible one beats an infeasible one;
2. of two infeasible ones, the one with the smaller total constraint violation wins;
3. of two feasible ones, the one with the better fitness wins.

``fitness`` is maximised (as :meth:`Problem.fitness` returns it: a missing metric is -inf, the worst fitness);
``violation`` is the total violation, 0 where feasible, +inf where a constrained metric is missing
(:meth:`Problem.violation`). NaN inputs are read as the worst value. Ties keep the input order (the first of equal
rows wins), so on a problem without constraints every function here orders exactly as ``numpy.argmax`` / a stable
sort of the fitness does.

Every algorithm and :meth:`Algorithm.result` compare through these functions; none keeps its own copy.
"""
from __future__ import annotations

import numpy as np


def _clean(fitness, violation) -> tuple[np.ndarray, np.ndarray]:
    f = np.asarray(fitness, dtype=float).reshape(-1)
    v = np.broadcast_to(np.asarray(violation, dtype=float), f.shape).astype(float)
    f = np.where(np.isnan(f), -np.inf, f)
    v = np.where(np.isnan(v), np.inf, np.maximum(v, 0.0))
    return f, v


def deb_order(fitness, violation) -> np.ndarray:
    """Row indices best first by Deb's rules (stable: equal rows keep their order)."""
    f, v = _clean(fitness, violation)
    return np.lexsort((-f, v))


_INF = float("inf")
_NUMBER = (float, int, np.floating, np.integer)
_SMALL = 32  # up to this many rows given as lists/tuples, deb_best compares in plain Python


def deb_sort_key(fitness: float, violation: float) -> tuple[float, float]:
    """Deb's rules for one row as a sort key, SMALLER is better: ``(violation, -fitness)`` with NaN read as the
    worst value, so ``min(rows, key=...)`` picks the first of the best rows as :func:`deb_best` does (an
    algorithm may store the key with each member and compare members in plain Python)."""
    f, v = float(fitness), float(violation)
    return (_INF if v != v else (v if v > 0.0 else 0.0), _INF if f != f else -f)


def _best_small(fitness, violation) -> int | None:
    """:func:`deb_best` of a few rows given as Python sequences of numbers, in plain Python (a tournament of 3
    costs ~1 us instead of ~15 us of array set-up). None when an entry is not a plain number (the array path
    handles it)."""
    keys = []
    for f, v in zip(fitness, violation):
        if not (isinstance(f, _NUMBER) and isinstance(v, _NUMBER)):
            return None
        keys.append(deb_sort_key(f, v))
    return min(range(len(keys)), key=keys.__getitem__)


def deb_best(fitness, violation) -> int:
    """Index of the best row by Deb's rules (the first of equal best rows); raises on an empty input."""
    if (type(fitness) in (list, tuple) and type(violation) in (list, tuple)
            and 0 < len(fitness) == len(violation) <= _SMALL):
        best = _best_small(fitness, violation)
        if best is not None:
            return best
    f, v = _clean(fitness, violation)
    if f.size == 0:
        raise ValueError("deb_best of an empty set")
    return int(np.lexsort((-f, v))[0])


def deb_key(fitness, violation) -> np.ndarray:
    """A float per row, to MAXIMISE, that orders rows by Deb's rules; equal rows get equal keys.

    The key is a dense rank within the given rows (the best distinct row gets the largest), so it plugs into code
    written for a maximised fitness (tournaments, elitism, CMA-ES ranking) without mixing units of fitness and
    violation. Compare keys only within one call.
    """
    f, v = _clean(fitness, violation)
    n = f.size
    key = np.empty(n)
    if n == 0:
        return key
    order = np.lexsort((-f, v))
    fs, vs = f[order], v[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (fs[1:] != fs[:-1]) | (vs[1:] != vs[:-1])
    group = np.cumsum(new) - 1
    key[order] = (group[-1] - group).astype(float)
    return key


def better(f1: float, v1: float, f2: float, v2: float) -> bool:
    """True when row 1 ``(fitness f1, violation v1)`` strictly beats row 2 by Deb's rules."""
    (a, b), (va, vb) = _clean([f1, f2], [v1, v2])
    return bool(va < vb or (va == vb and a > b))


__all__ = ["better", "deb_best", "deb_key", "deb_order", "deb_sort_key"]
