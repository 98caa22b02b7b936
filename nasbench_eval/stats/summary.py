"""Per (algorithm, problem) summaries of the final values of runs: mean, std, SE, median/IQR, bootstrap CI.

``std`` is the sample standard deviation (ddof=1, the unbiased variance estimator); ``std_ddof0`` is the
population one. ``se = std / sqrt(n)`` (ddof=1). The confidence interval is a seeded scipy BCa bootstrap (falls back
to the percentile method when BCa is undefined, and to a zero-width interval when all values are equal; the
``ci_method`` column says which).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import ConfigError

SUMMARY_COLUMNS = ("n", "mean", "std", "std_ddof0", "se", "median", "q25", "q75", "iqr", "min", "max",
                   "ci_low", "ci_high", "ci_method")


def metric_column(runs: pd.DataFrame, metric: str) -> str:
    """Column of the runs table holding the chosen architecture's ``metric`` (report metrics first)."""
    for col in (f"chosen_report_{metric}", f"chosen_{metric}", metric):
        if col in runs.columns:
            return col
    allowed = sorted({c[len("chosen_report_"):] if c.startswith("chosen_report_") else c[len("chosen_"):]
                      for c in runs.columns if c.startswith("chosen_") and c not in ("chosen_arch", "chosen_key",
                                                                                      "chosen_feasible")})
    allowed += ["best_fitness", "evaluations", "total_cost"]
    raise ConfigError(f"unknown metric {metric!r}; allowed: {', '.join(allowed)}")


def final_values(runs: pd.DataFrame, metric: str = "test_acc") -> pd.DataFrame:
    """Tidy (algorithm, problem, seed, value) of the chosen architecture's ``metric`` per run."""
    col = metric_column(runs, metric)
    df = runs[["algorithm", "problem", "seed", col]].rename(columns={col: "value"})
    return df.reset_index(drop=True)


def bootstrap_ci(x, confidence: float = 0.95, n_resamples: int = 9999, seed: int = 0) -> tuple[float, float, str]:
    """(low, high, method) of a seeded scipy bootstrap CI of the mean."""
    from scipy import stats

    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.nan, np.nan, "none (no values)"
    if x.size == 1 or np.all(x == x[0]):
        return float(x[0]), float(x[0]), "degenerate (all values equal)"
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = stats.bootstrap((x,), np.mean, confidence_level=confidence, n_resamples=n_resamples,
                                  method=method, rng=np.random.default_rng(seed))
        lo, hi = res.confidence_interval
        if np.isfinite(lo) and np.isfinite(hi):
            return float(lo), float(hi), method
    return np.nan, np.nan, "failed"


def describe(x, confidence: float = 0.95, n_resamples: int = 9999, seed: int = 0) -> dict:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return {k: (0 if k == "n" else "none" if k == "ci_method" else np.nan) for k in SUMMARY_COLUMNS}
    q25, med, q75 = np.percentile(x, [25, 50, 75])
    std1 = float(np.std(x, ddof=1)) if n > 1 else np.nan
    lo, hi, how = bootstrap_ci(x, confidence, n_resamples, seed)
    return {"n": n, "mean": float(x.mean()), "std": std1, "std_ddof0": float(np.std(x, ddof=0)),
            "se": std1 / np.sqrt(n) if n > 1 else np.nan, "median": float(med), "q25": float(q25),
            "q75": float(q75), "iqr": float(q75 - q25), "min": float(x.min()), "max": float(x.max()),
            "ci_low": lo, "ci_high": hi, "ci_method": how}


def summarize(values: pd.DataFrame, confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """:func:`describe` of ``value`` per (algorithm, problem), in order of first appearance."""
    rows = []
    for (a, p), g in values.groupby(["algorithm", "problem"], sort=False):
        rows.append({"algorithm": a, "problem": p, **describe(g["value"], confidence, seed=seed)})
    return pd.DataFrame(rows, columns=["algorithm", "problem", *SUMMARY_COLUMNS])
