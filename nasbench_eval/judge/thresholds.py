"""Per-threshold judgment: a run's pick at each cost threshold T against the constrained optimum.

* pick: ``"best"`` = the member of the run's set with the best proxy among those with ``cost <= T`` (a front judged
  per threshold, :func:`~nasbench_eval.problems.costs.pick_per_threshold`); ``"answer"`` = the run's own answer
  (``keys[0]``), feasible iff its cost <= T.
* constrained optimum: the same pick rule applied to every allowed arch (best proxy with cost <= T; ties: lower
  cost, then lower index), and the oracle: the best test accuracy with cost <= T.
* ``gap`` = optimum's test accuracy - pick's (points); ``gap_oracle`` = oracle's - pick's; ``proxy_gap`` in proxy
  units. An infeasible or missing pick is a failure (``feasible=False``, gaps None), never averaged in as a number.

Every ``cost <= T`` is tie-safe (:func:`~nasbench_eval.problems.costs.cost_le`).
"""
from __future__ import annotations

import numpy as np

from ..problems.costs import cost_le, pick_per_threshold


def _f(x):
    return None if x is None or not np.isfinite(x) else float(x)


def constrained_optima(gt, thresholds) -> list[dict]:
    """Per threshold: the constrained optimum (best proxy with cost <= T) and the oracle (best test with cost <= T).

    Cached in ``gt.derived`` per threshold.
    """
    cache = gt.derived.setdefault("optima", {})
    todo = [float(T) for T in thresholds if float(T) not in cache]
    if todo:
        idx = np.flatnonzero(gt.allowed & np.isfinite(gt.cost))
        cost = gt.cost[idx]
        opt = (pick_per_threshold(gt.proxy[idx], cost, todo, gt.proxy_sense) if gt.proxy is not None
               else np.full(len(todo), -1))
        best = pick_per_threshold(gt.test[idx], cost, todo, "max")
        for j, T in enumerate(todo):
            k = int(idx[opt[j]]) if opt[j] >= 0 else None
            b = int(idx[best[j]]) if best[j] >= 0 else None
            cache[T] = {"threshold": T, "feasible_archs": int(cost_le(cost, T).sum()),
                        "opt_index": k, "opt_proxy": None if k is None else _f(gt.proxy[k]),
                        "opt_test_acc": None if k is None else _f(gt.test[k]),
                        "opt_cost": None if k is None else _f(gt.cost[k]),
                        "best_test_index": b, "best_test_acc": None if b is None else _f(gt.test[b])}
    return [dict(cache[float(T)]) for T in thresholds]


def judge_thresholds(gt, keys, thresholds, *, pick: str = "best", proxy_values=None, quantiles=None) -> list[dict]:
    """One record per threshold: the pick from ``keys`` (NB201 indices) and its quality (module docstring).

    proxy_values: the proxy of each key as seen by the search (default: the ground truth's exhaustive proxy).
    quantiles: the quantile each threshold came from (recorded), or None.
    """
    if pick not in ("best", "answer"):
        raise ValueError(f"pick must be 'best' or 'answer', got {pick!r}")
    keys = np.asarray(keys, dtype=np.int64)
    thresholds = [float(T) for T in thresholds]
    cost = gt.cost[keys] if keys.size else np.zeros(0)  # tie-snapped; NaN outside the allowed archs
    if pick == "best":
        if proxy_values is None:
            if gt.proxy is None:
                raise ValueError("this problem's proxy has no exhaustive truth: pass the run's proxy_values")
            proxy_values = gt.proxy[keys] if keys.size else np.zeros(0)
        rows = pick_per_threshold(np.asarray(proxy_values, dtype=float), cost, thresholds, gt.proxy_sense)
    else:
        rows = np.zeros(len(thresholds), dtype=np.int64) if keys.size else np.full(len(thresholds), -1)
    sign = 1.0 if gt.proxy_sense == "max" else -1.0
    out = []
    for j, (T, opt) in enumerate(zip(thresholds, constrained_optima(gt, thresholds))):
        r = int(rows[j])
        k = int(keys[r]) if r >= 0 else None
        feasible = k is not None and bool(gt.allowed[k]) and bool(cost_le(gt.cost[k], T))
        pt = _f(gt.test[k]) if k is not None else None
        rec = {"threshold": T, "quantile": None if quantiles is None else quantiles[j],
               "feasible": bool(feasible), "pick_index": k, "pick_test_acc": pt,
               "pick_cost": _f(gt.cost[k]) if k is not None else None,
               "opt_index": opt["opt_index"], "opt_test_acc": opt["opt_test_acc"], "opt_cost": opt["opt_cost"],
               "best_test_acc_under_T": opt["best_test_acc"], "feasible_archs": opt["feasible_archs"],
               "gap": None, "gap_oracle": None, "proxy_gap": None}
        if feasible and pt is not None:
            if opt["opt_test_acc"] is not None:
                rec["gap"] = opt["opt_test_acc"] - pt
            if opt["best_test_acc"] is not None:
                rec["gap_oracle"] = opt["best_test_acc"] - pt
            if gt.proxy is not None and opt["opt_proxy"] is not None and np.isfinite(gt.proxy[k]):
                rec["proxy_gap"] = sign * (opt["opt_proxy"] - float(gt.proxy[k]))
        out.append(rec)
    return out


def summarise(records: list[dict]) -> dict:
    """``mean_gap`` (mean over feasible picks; None when none) and ``feasible_fraction`` of per-threshold records."""
    gaps = [r["gap"] for r in records if r["gap"] is not None]
    return {"mean_gap": float(np.mean(gaps)) if gaps else None,
            "feasible_fraction": float(np.mean([r["feasible"] for r in records])) if records else None}


__all__ = ["constrained_optima", "judge_thresholds", "summarise"]
