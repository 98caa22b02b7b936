"""Reproduced vs reported: mean +- std side by side, the difference, a verdict and a Welch test per cell.

Verdict: ``within`` when the reproduced mean lies inside the reported mean +- reported std, else ``above`` /
``below``. When the paper says how many runs its std comes from (``n_runs`` in the reported file) a Welch t-test
from summary statistics (scipy ``ttest_ind_from_stats``) is added; the papers do not state their ddof, we use ddof=1.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

METRIC_OF = {"valid": "valid_acc", "test": "test_acc"}


def comparison_table(runs: pd.DataFrame, rep: dict, compare: dict[str, str], metrics=("test",)) -> pd.DataFrame:
    from ..stats.summary import final_values

    rows = []
    for metric in metrics:
        vals = final_values(runs, METRIC_OF[metric])
        vals = vals.merge(runs[["algorithm", "problem", "seed", "dataset"]], on=["algorithm", "problem", "seed"])
        for (algo, ds), g in vals.groupby(["algorithm", "dataset"], sort=False):
            row_name = compare.get(algo)
            reported = (rep["rows"].get(row_name, {}).get(ds, {}).get(metric)) if row_name else None
            x = g["value"].to_numpy(float)
            x = x[np.isfinite(x)]
            r = {"algorithm": algo, "dataset": ds, "metric": metric, "n": len(x),
                 "mean": float(np.mean(x)) if len(x) else np.nan,
                 "std": float(np.std(x, ddof=1)) if len(x) > 1 else np.nan,
                 "reported_row": row_name, "reported_mean": np.nan, "reported_std": np.nan, "diff": np.nan,
                 "verdict": "no reported number", "welch_p": np.nan}
            if reported is not None:
                m, s = reported
                r.update(reported_mean=m, reported_std=s, diff=r["mean"] - m)
                tol = max(s, 1e-9)
                r["verdict"] = "within" if abs(r["diff"]) <= tol else ("above" if r["diff"] > 0 else "below")
                n_rep = rep.get("n_runs", {}).get(row_name)
                if n_rep and len(x) > 1 and (s > 0 or r["std"] > 0):
                    r["welch_p"] = float(stats.ttest_ind_from_stats(r["mean"], r["std"], len(x), m, s, n_rep,
                                                                    equal_var=False).pvalue)
            rows.append(r)
    return pd.DataFrame(rows)


def optimal_rows(rep: dict, metrics=("test",)) -> list[dict]:
    return [{"dataset": ds, "metric": m, "value": v[m]} for ds, v in rep.get("optimal", {}).items() for m in metrics
            if m in v]
