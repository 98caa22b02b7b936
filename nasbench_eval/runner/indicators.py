"""Per-run quality against the exhaustive ground truth of hardware-aware problems (recorded in the runs table).

Bi-objective runs: hypervolume (normalised by the true front's ideal/nadir, reference 1.1; ``hv_norm`` = HV / HV of
the true front), IGD and IGD+ of the chosen front, in the proxy space and in the reporting space (``test_*``:
test accuracy vs cost), from :mod:`nasbench_eval.indicators`. Both kinds: per judged threshold T, the pick (the
front member with the best proxy and cost <= T; for a constrained run its answer) against the constrained optimum
(best proxy with cost <= T): ``mean_gap`` = mean over thresholds of optimum test acc - pick test acc (points, over
feasible picks only), ``feasible_fraction`` = share of thresholds with a feasible pick.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def hw_indicators(problem, chosen: pd.DataFrame) -> dict:
    gt = problem.ground_truth()
    keys = chosen["key"].to_numpy(np.int64) if len(chosen) else np.zeros(0, dtype=np.int64)
    out: dict = {}
    if problem.n_obj >= 2:
        from ..indicators import evaluate_front

        f = evaluate_front(problem, keys)
        for k in ("hv", "hv_norm", "igd", "igd_plus"):
            out[k] = _num(f.get(k))
            out[f"test_{k}"] = _num(f.get("test", {}).get(k))
    thresholds = tuple(getattr(problem, "thresholds", ()) or ())
    if not thresholds:
        return out
    proxy = chosen[problem.proxy_metric].to_numpy(float) if len(chosen) else np.zeros(0)
    cost = gt.cost[keys] if keys.size else np.zeros(0)
    if problem.n_obj >= 2:
        from ..problems.hw import pick_per_threshold

        rows = pick_per_threshold(proxy, cost, thresholds, problem.proxy_sense)
    else:
        rows = np.zeros(len(thresholds), dtype=np.int64) if keys.size else np.full(len(thresholds), -1)
    gaps, feas = [], []
    for j, T in enumerate(thresholds):
        r = int(rows[j])
        ok = r >= 0 and bool(gt.allowed[keys[r]]) and np.isfinite(cost[r]) and cost[r] <= T
        feas.append(ok)
        opt = gt.constrained_optimum(T)
        if ok and opt["opt_test_acc"] is not None:
            gaps.append(opt["opt_test_acc"] - float(gt.test[keys[r]]))
    out["mean_gap"] = float(np.mean(gaps)) if gaps else np.nan
    out["feasible_fraction"] = float(np.mean(feas))
    return out


def _num(x) -> float:
    return np.nan if x is None else float(x)
