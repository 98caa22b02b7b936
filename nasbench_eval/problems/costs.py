"""Tie-safe device costs: one comparison ``cost <= T``, quantile thresholds, and the per-threshold pick rule.

The HW-NAS-Bench tables store some costs as sums of per-layer values, so one physical cost can appear as several
floats that differ in the last bits (eyeriss latency: 27 physical values, 38 distinct floats, e.g.
``4.8744200000000015`` and ``4.874420000000002``). A plain ``cost <= T`` with ``T`` one of those floats declares
some copies of ``T`` infeasible. Every comparison of a cost with a threshold therefore goes through
:func:`cost_le`, which treats two costs as equal when they differ by at most ``COST_RTOL`` relative to the larger.

Why ``COST_RTOL = 1e-12``: across every device and metric in the store, float-rounding copies differ by at most
3e-16 relative, while the closest physically different costs differ by 6.7e-10 relative (edgetpu latency, whose
measurements have nanosecond resolution). 1e-12 lies far from both.

Used by the problem constraints (:meth:`Problem.G`), the ground truth, the quantile thresholds and the judge.
"""
from __future__ import annotations

import numpy as np

COST_RTOL = 1e-12


def cost_eq(a, b, rtol: float = COST_RTOL):
    """``a`` and ``b`` are the same physical cost (relative tolerance ``rtol``; NaN equals nothing). Two Python
    floats give a bool, computed with the same IEEE operations as the array form (a per-evaluation hot path)."""
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= rtol * max(abs(a), abs(b))
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.abs(a - b) <= rtol * np.maximum(np.abs(a), np.abs(b))


def cost_le(cost, T, rtol: float = COST_RTOL):
    """Tie-safe ``cost <= T``: true where the cost is below ``T`` or the same physical value (NaN -> False)."""
    cost, T = np.asarray(cost, dtype=float), np.asarray(T, dtype=float)
    return (cost <= T) | cost_eq(cost, T, rtol)


def constraint_slack(value, T, rtol: float = COST_RTOL) -> np.ndarray:
    """``value - T`` with physical ties to ``T`` set to exactly 0 (the constraint value of ``value <= T``); a
    Python float for a Python float ``value``."""
    if isinstance(value, float):
        return 0.0 if cost_eq(value, float(T), rtol) else value - T
    value = np.asarray(value, dtype=float)
    g = value - T
    return np.where(cost_eq(value, T, rtol), 0.0, g)


def snap_costs(cost, rtol: float = COST_RTOL) -> np.ndarray:
    """Each cost replaced by the smallest float of its tie group (sorted values chained by :func:`cost_eq`).

    NaN stays NaN. After snapping, physically equal costs are bitwise equal, so sorting, Pareto fronts and
    quantiles see one value per physical cost.
    """
    cost = np.asarray(cost, dtype=float)
    out = cost.copy()
    ok = np.isfinite(cost)
    if not ok.any():
        return out
    u, inv = np.unique(cost[ok], return_inverse=True)
    new_group = np.r_[True, ~cost_eq(u[1:], u[:-1], rtol)]
    first = np.flatnonzero(new_group)
    canon = u[first][np.cumsum(new_group) - 1]
    out[ok] = canon[inv]
    return out


def cost_quantiles(cost, q) -> np.ndarray:
    """Quantiles (numpy's linear interpolation) of the costs after :func:`snap_costs`.

    A quantile that falls inside a tie group is exactly that group's canonical value, so every arch of the group
    satisfies ``cost_le(cost, T)``. NaN costs are ignored.
    """
    c = snap_costs(np.asarray(cost, dtype=float))
    c = c[np.isfinite(c)]
    return np.quantile(c, np.asarray(q, dtype=float))


def merge_thresholds(thresholds, quantiles=None, unit: str = "") -> tuple[tuple, tuple | None, list[dict]]:
    """Drop thresholds physically equal (:func:`cost_eq`) to an earlier one.

    Returns ``(thresholds, quantiles, merged)``: the distinct thresholds in their original order, the quantile of
    each kept threshold (its first one; None when no quantiles were given) and one record per merged group
    ``{"threshold", "quantiles" | "thresholds", "note"}``.
    """
    ths = [float(t) for t in thresholds]
    qs = None if quantiles is None else [None if q is None else float(q) for q in quantiles]
    keep: list[int] = []
    groups: dict[int, list[int]] = {}
    for i, t in enumerate(ths):
        j = next((k for k in keep if cost_eq(ths[k], t)), None)
        if j is None:
            keep.append(i)
            groups[i] = [i]
        else:
            groups[j].append(i)
    merged = []
    for i, members in groups.items():
        if len(members) < 2:
            continue
        if qs is not None:
            what = "quantiles " + ", ".join(f"{qs[m]:g}" for m in members)
            rec = {"threshold": ths[i], "quantiles": [qs[m] for m in members]}
        else:
            what = "thresholds " + ", ".join(repr(ths[m]) for m in members)
            rec = {"threshold": ths[i], "thresholds": [ths[m] for m in members]}
        rec["note"] = (f"{what} give the same physical cost {ths[i]:.10g}{unit} (they differ only by float "
                       "rounding): judged once")
        merged.append(rec)
    return (tuple(ths[i] for i in keep), None if qs is None else tuple(qs[i] for i in keep), merged)


def pick_per_threshold(proxy, cost, thresholds, sense: str = "max") -> np.ndarray:
    """Row index of the best-proxy member with ``cost_le(cost, T)`` per threshold (-1 where none is feasible).

    Ties on the proxy are broken by the lower (tie-snapped) cost, then the earlier row. NaN proxy or cost never
    qualifies. This one rule gives a front's pick per threshold, and, applied to every arch of the space, the
    constrained optimum.
    """
    p = np.asarray(proxy, dtype=float) * (1.0 if sense == "max" else -1.0)
    c = snap_costs(np.asarray(cost, dtype=float))
    ok = np.isfinite(p) & np.isfinite(c)
    out = np.full(len(thresholds), -1, dtype=np.int64)
    order = np.lexsort((np.arange(len(p)), c, -p))  # best proxy first, then cheaper, then earlier
    ok_o, c_o = ok[order], c[order]
    for j, T in enumerate(thresholds):
        feas = ok_o & cost_le(c_o, T)
        if feas.any():
            out[j] = order[int(np.argmax(feas))]
    return out


__all__ = ["COST_RTOL", "constraint_slack", "cost_eq", "cost_le", "cost_quantiles", "merge_thresholds",
           "pick_per_threshold", "snap_costs"]
