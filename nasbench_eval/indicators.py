"""Quality indicators of hardware-aware search results against the exhaustive ground truth.

Objective space: the minimisation convention of ``Problem.F`` for the bi-objective HW problem, ``[-proxy, cost]``
(``[proxy, cost]`` for a minimised ``*_loss`` proxy), or ``[-test_acc, cost]`` for the reporting space.

Normalisation (fixed per problem, documented): each objective is mapped by the **true front's** ideal ``z*`` and
nadir ``z^nad``: ``f' = (f - z*) / (z^nad - z*)`` (a zero range is replaced by 1), so the true front spans [0, 1]
in both objectives. The hypervolume reference point is ``r = (1.1, 1.1)`` in that normalised space (the same for
every problem). Points outside the reference box add no volume.

* ``hv``: hypervolume of the approximation (pymoo ``HV``), normalised space, ref ``r``.
* ``hv_norm``: ``hv / hv(true front)`` (1.0 = the true front's HV; can't exceed 1).
* ``igd`` / ``igd_plus``: pymoo ``IGD`` / ``IGDPlus`` of the approximation against the true front, normalised space.
* per threshold (:func:`threshold_report`): the pick's test accuracy vs the constrained optimum's (``gap``, points;
  ``opt`` = best proxy with cost <= T), vs the best test accuracy with cost <= T (``gap_oracle``); an infeasible or
  missing pick is a failure (``feasible=False``, ``gap=None``), never averaged in as a number.
"""
from __future__ import annotations

import numpy as np

REF_POINT = 1.1  # reference point per normalised objective


def normalise(F, ideal, nadir) -> np.ndarray:
    F = np.asarray(F, dtype=float)
    ideal, nadir = np.asarray(ideal, dtype=float), np.asarray(nadir, dtype=float)
    rng = np.where(nadir - ideal > 0, nadir - ideal, 1.0)
    return (F - ideal) / rng


def _finite(F) -> np.ndarray:
    F = np.asarray(F, dtype=float).reshape(-1, np.shape(F)[-1] if np.ndim(F) > 1 else 2)
    return F[np.all(np.isfinite(F), axis=1)]


def hypervolume(F, ref) -> float:
    """Hypervolume of the minimisation set ``F`` w.r.t. ``ref`` (pymoo; 0 for an empty set)."""
    from pymoo.indicators.hv import HV

    F = _finite(F)
    ref = np.asarray(ref, dtype=float)
    F = F[np.all(F < ref, axis=1)]
    if len(F) == 0:
        return 0.0
    return float(HV(ref_point=ref)(F))


def igd(F, true_F, plus: bool = False) -> float | None:
    from pymoo.indicators.igd import IGD
    from pymoo.indicators.igd_plus import IGDPlus

    F = _finite(F)
    if len(F) == 0:
        return None
    ind = (IGDPlus if plus else IGD)(np.asarray(true_F, dtype=float))
    return float(ind(F))


def front_indicators(F, true_F, ideal=None, nadir=None, ref: float = REF_POINT) -> dict:
    """HV, normalised HV, IGD and IGD+ of ``F`` against ``true_F`` (both minimised, raw units)."""
    true_F = _finite(true_F)
    if ideal is None or nadir is None:
        ideal, nadir = true_F.min(axis=0), true_F.max(axis=0)
    Fn = normalise(_finite(F), ideal, nadir)
    Tn = normalise(true_F, ideal, nadir)
    r = np.full(true_F.shape[1], ref)
    hv, hv_true = hypervolume(Fn, r), hypervolume(Tn, r)
    return {"hv": hv, "hv_true": hv_true, "hv_norm": hv / hv_true if hv_true > 0 else None,
            "igd": igd(Fn, Tn), "igd_plus": igd(Fn, Tn, plus=True), "n_points": int(len(Fn)),
            "ref_point": r.tolist(), "ideal": np.asarray(ideal).tolist(), "nadir": np.asarray(nadir).tolist()}


def evaluate_front(problem, keys) -> dict:
    """Indicators of a set of archs (NB201 indices) on an HW problem: in the proxy space when the proxy has an
    exhaustive truth, and always in the reporting space (test accuracy vs cost) under ``"test"``."""
    gt = problem.ground_truth()
    keys = np.asarray(keys, dtype=np.int64)
    keys = keys[gt.allowed[keys]] if keys.size else keys
    out: dict = {"normalisation": "true front ideal/nadir", "ref_point_normalised": REF_POINT}
    if gt.proxy is not None:
        ideal, nadir = gt.ideal_nadir("proxy")
        out.update(front_indicators(gt.F(keys, "proxy"), gt.front_F("proxy"), ideal, nadir))
        out["true_front_size"] = int(len(gt.front_keys))
    ideal, nadir = gt.ideal_nadir("test")
    out["test"] = front_indicators(gt.F(keys, "test"), gt.front_F("test"), ideal, nadir)
    return out


def _describe(problem, gt, k) -> dict:
    ops = problem.space.from_key(np.array([k]))[0]
    m = {problem.proxy_metric: _f(gt.proxy[k]) if gt.proxy is not None else None,
         problem.cost_metric: _f(gt.cost[k]), "test_acc": _f(gt.test[k])}
    return {"arch": problem.space.to_string(ops), "index": int(k), "metrics": m}


def _f(x):
    return None if x is None or not np.isfinite(x) else float(x)


def threshold_report(problem, keys, thresholds, pick: str = "best", proxy_values=None) -> list[dict]:
    """Per threshold: the pick from ``keys`` and its quality against the constrained optimum.

    pick: ``"best"`` = the member with the best proxy among those with cost <= T (a front judged per threshold);
    ``"answer"`` = ``keys[0]`` itself (a constrained run's answer), feasible iff its cost <= T.
    proxy_values: the proxy of each key as seen by the search (default: the ground-truth / table value).
    """
    from .problems.hw import pick_per_threshold

    gt = problem.ground_truth()
    keys = np.asarray(keys, dtype=np.int64)
    if proxy_values is None:
        if gt.proxy is not None:
            proxy_values = gt.proxy[keys]
        else:
            ev = problem.evaluate(problem.space.from_key(keys)) if keys.size else None
            proxy_values = ev.values[problem.proxy_metric] if ev is not None else np.zeros(0)
    cost = gt.cost[keys] if keys.size else np.zeros(0)  # NaN outside the allowed archs
    out = []
    if pick == "best":
        rows = pick_per_threshold(proxy_values, cost, thresholds, problem.proxy_sense)
    else:
        rows = np.zeros(len(thresholds), dtype=np.int64) if keys.size else np.full(len(thresholds), -1)
    qs = problem.quantiles if problem.quantiles is not None and len(problem.quantiles) == len(thresholds) else None
    for j, T in enumerate(thresholds):
        opt = gt.constrained_optimum(T)
        r = int(rows[j])
        k = int(keys[r]) if r >= 0 else None
        feasible = k is not None and bool(gt.allowed[k]) and np.isfinite(gt.cost[k]) and gt.cost[k] <= T
        pt = _f(gt.test[k]) if k is not None else None
        rec = {"threshold": float(T), "quantile": None if qs is None else qs[j], "feasible": bool(feasible),
               "pick_index": k, "pick_test_acc": pt, "pick_cost": _f(gt.cost[k]) if k is not None else None,
               "opt_index": opt["opt_index"], "opt_test_acc": opt["opt_test_acc"], "opt_cost": opt["opt_cost"],
               "best_test_acc_under_T": opt["best_test_acc"],
               "gap": None, "gap_oracle": None, "proxy_gap": None,
               "pick": _describe(problem, gt, k) if k is not None else None}
        if feasible and pt is not None:
            if opt["opt_test_acc"] is not None:
                rec["gap"] = opt["opt_test_acc"] - pt
            if opt["best_test_acc"] is not None:
                rec["gap_oracle"] = opt["best_test_acc"] - pt
            if gt.proxy is not None and opt["opt_proxy"] is not None:
                s = 1.0 if problem.proxy_sense == "max" else -1.0
                rec["proxy_gap"] = s * (opt["opt_proxy"] - gt.proxy[k])
        out.append(rec)
    return out


__all__ = ["REF_POINT", "evaluate_front", "front_indicators", "hypervolume", "igd", "normalise", "threshold_report"]
