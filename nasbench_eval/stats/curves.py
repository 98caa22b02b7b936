"""Anytime curves and ECDFs of evaluations-to-target, from the evaluations table.

The incumbent of a run after ``e`` evaluations is the architecture with the best *search* fitness among the
feasible ones evaluated so far (ties keep the earlier one); an anytime curve follows the incumbent's ``metric``
(default: its reported test accuracy) against evaluations or cumulative cost. Before the first feasible evaluation
a run has no incumbent (NaN) and the mean at that point is over the runs that have one (column ``n``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ConfigError


def value_column(evals: pd.DataFrame, metric: str) -> str:
    for col in (f"report_{metric}", metric):
        if col in evals.columns:
            return col
    allowed = sorted({c[7:] for c in evals.columns if c.startswith("report_")} | {"fitness"})
    raise ConfigError(f"unknown metric {metric!r} for anytime curves; allowed: {', '.join(allowed)}")


def incumbent_index(fitness: np.ndarray, feasible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the incumbent at each row, whether there is one yet)."""
    score = np.where(feasible & np.isfinite(fitness), fitness, -np.inf)
    best = np.maximum.accumulate(score) if score.size else score
    prev = np.concatenate([[-np.inf], best[:-1]])
    new = score > prev
    idx = np.maximum.accumulate(np.where(new, np.arange(score.size), 0)) if score.size else score.astype(int)
    return idx, best > -np.inf


def _cell_curve(g: pd.DataFrame, col: str, x: str, grid: np.ndarray) -> np.ndarray:
    idx, has = incumbent_index(g["fitness"].to_numpy(float), g["feasible"].to_numpy(bool))
    val = np.where(has, g[col].to_numpy(float)[idx], np.nan)
    pos = np.searchsorted(g[x].to_numpy(float), grid, side="right") - 1
    return np.where(pos >= 0, val[np.clip(pos, 0, None)], np.nan)


def anytime(evals: pd.DataFrame, metric: str = "test_acc", x: str = "eval", grid=None,
            n_points: int = 200) -> pd.DataFrame:
    """Mean +- SE (ddof=1) over seeds of the incumbent's ``metric`` per (algorithm, problem) on a grid of ``x``.

    x: ``"eval"`` (evaluations charged) or ``"cum_cost"`` (cumulative evaluation cost).
    """
    if x not in ("eval", "cum_cost"):
        raise ConfigError(f"unknown x {x!r}; allowed: eval, cum_cost")
    col = value_column(evals, metric)
    out = []
    for (a, p), gp in evals.groupby(["algorithm", "problem"], sort=False):
        if grid is not None:
            g_ = np.asarray(grid, float)
        elif x == "eval":
            g_ = np.arange(1, int(gp["eval"].max()) + 1, dtype=float)
        else:
            g_ = np.linspace(0, float(gp["cum_cost"].max()), n_points)
        curves = np.stack([_cell_curve(gc, col, x, g_) for _, gc in gp.groupby("cell", sort=True)])
        n = np.isfinite(curves).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, np.nansum(curves, axis=0) / np.maximum(n, 1), np.nan)
            dev = np.where(np.isfinite(curves), curves - mean, 0.0)
            std = np.sqrt((dev ** 2).sum(axis=0) / np.maximum(n - 1, 1))
            se = np.where(n > 1, std / np.sqrt(n), np.nan)
        out.append(pd.DataFrame({"algorithm": a, "problem": p, x: g_, "mean": mean, "se": se, "n": n}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["algorithm", "problem", x,
                                                                                "mean", "se", "n"])


def answer_vs_incumbent(runs: pd.DataFrame, evals: pd.DataFrame, metric: str = "test_acc") -> pd.DataFrame:
    """Per run: the algorithm's own answer's ``metric`` (what the tables use) next to the final best-so-far
    incumbent's (where the anytime curve ends), and whether they differ. Algorithms that answer something other
    than their best evaluated architecture (a decoded mean, a vote, a final population's pick) differ here."""
    from .summary import final_values

    col = value_column(evals, metric)
    ans = final_values(runs, metric).rename(columns={"value": "answer"})
    inc = []
    for (a, p, s), g in evals.groupby(["algorithm", "problem", "seed"], sort=False):
        idx, has = incumbent_index(g["fitness"].to_numpy(float), g["feasible"].to_numpy(bool))
        val = g[col].to_numpy(float)[idx[-1]] if len(g) and has[-1] else np.nan
        inc.append({"algorithm": a, "problem": p, "seed": s, "incumbent": float(val)})
    df = ans.merge(pd.DataFrame(inc, columns=["algorithm", "problem", "seed", "incumbent"]),
                   on=["algorithm", "problem", "seed"], how="left")
    a, b = df["answer"].to_numpy(float), df["incumbent"].to_numpy(float)
    df["differs"] = ~((a == b) | (np.isnan(a) & np.isnan(b)))
    return df


def default_targets(evals: pd.DataFrame, problem: str, quantiles=(0.25, 0.5, 0.75, 0.9)) -> np.ndarray:
    """Targets for one problem: quantiles of the runs' final best feasible search fitness (store only)."""
    g = evals[(evals["problem"] == problem) & evals["feasible"]]
    best = g.groupby("cell")["fitness"].max()
    best = best[np.isfinite(best)]
    return np.unique(np.quantile(best, quantiles)) if len(best) else np.zeros(0)


def evals_to_target(evals: pd.DataFrame, targets: dict | None = None) -> pd.DataFrame:
    """Evaluations each run needed for its best feasible search fitness to reach each target (NaN: never)."""
    rows = []
    for p, gp in evals.groupby("problem", sort=False):
        tg = np.asarray(targets[p] if targets and p in targets else default_targets(evals, p), float)
        for (cell, a, s), g in gp.groupby(["cell", "algorithm", "seed"], sort=True):
            fit = np.where(g["feasible"].to_numpy(bool), g["fitness"].to_numpy(float), -np.inf)
            best = np.maximum.accumulate(np.nan_to_num(fit, nan=-np.inf))
            ev = g["eval"].to_numpy()
            for t in tg:
                hit = np.flatnonzero(best >= t)
                rows.append({"cell": cell, "algorithm": a, "problem": p, "seed": s, "target": t,
                             "evals": float(ev[hit[0]]) if hit.size else np.nan})
    return pd.DataFrame(rows, columns=["cell", "algorithm", "problem", "seed", "target", "evals"])


def ecdf(hits: pd.DataFrame, grid=None) -> pd.DataFrame:
    """Fraction of (run, target) pairs reached within ``e`` evaluations, per (algorithm, problem)."""
    out = []
    for (a, p), g in hits.groupby(["algorithm", "problem"], sort=False):
        e = g["evals"].to_numpy(float)
        g_ = np.asarray(grid, float) if grid is not None else np.arange(1, int(np.nanmax(e, initial=1)) + 1)
        frac = (np.nan_to_num(e, nan=np.inf)[None, :] <= g_[:, None]).mean(axis=1)
        out.append(pd.DataFrame({"algorithm": a, "problem": p, "eval": g_, "fraction": frac}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["algorithm", "problem", "eval",
                                                                                "fraction"])
