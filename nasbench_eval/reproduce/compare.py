"""Reproduced vs reported: mean +- std side by side, the difference, and ONE verdict rule based on a test.

Verdict rule (stated in every reproduction report by :func:`verdict_rule`):

- ``not comparable: protocol differs`` when the paper's row was obtained under a different protocol than our run
  (``protocol_differs`` in the reported file: supernet fitness, 12-epoch fitness, another proxy). No test is run and
  such a row is never called reproduced.
- ``untested: runs not stated`` when the paper does not say how many runs its std comes from (``n_runs``).
- Otherwise Schuirmann's (1987) two one-sided tests (TOST) of equivalence within ``±margin`` (``equivalence_margin``
  in the reported file, default :data:`DEFAULT_MARGIN` accuracy points), from summary statistics with Welch's
  standard error (our std ddof=1; the papers' ddof is not stated), Holm-corrected (Holm 1979) over the tested rows of
  the table: ``reproduced`` when the Holm-adjusted TOST p < alpha, else ``not shown equivalent``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

METRIC_OF = {"valid": "valid_acc", "test": "test_acc"}
DEFAULT_MARGIN = 0.5  # accuracy points
NOT_COMPARABLE = "not comparable: protocol differs"
UNTESTED = "untested: runs not stated"
REPRODUCED = "reproduced"
NOT_SHOWN = "not shown equivalent"
NO_NUMBER = "no reported number"


def margin_of(rep: dict) -> float:
    return float(rep.get("equivalence_margin", DEFAULT_MARGIN))


def comparison_table(runs: pd.DataFrame, rep: dict, compare: dict[str, str], metrics=("test",),
                     alpha: float = 0.05) -> pd.DataFrame:
    """One row per (algorithm, dataset, metric): ours, the paper's, the difference, the test and the verdict."""
    from statsmodels.stats.multitest import multipletests

    from ..stats.equivalence import tost_from_stats
    from ..stats.summary import final_values

    margin = margin_of(rep)
    differs = rep.get("protocol_differs", {}) or {}
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
                 "reported_row": row_name, "reported_mean": np.nan, "reported_std": np.nan, "reported_n": np.nan,
                 "diff": np.nan, "protocol": "", "test": "none", "margin": margin, "p_value": np.nan,
                 "p_holm": np.nan, "verdict": NO_NUMBER, "why": "no reported number for this row and dataset"}
            if reported is not None:
                m, s = reported
                n_rep = (rep.get("n_runs") or {}).get(row_name)
                r.update(reported_mean=m, reported_std=s, diff=r["mean"] - m, reported_n=n_rep or np.nan)
                if row_name in differs:
                    r.update(protocol=differs[row_name], verdict=NOT_COMPARABLE,
                             why=f"the paper's protocol differs ({differs[row_name]}): no test")
                elif not n_rep:
                    r.update(verdict=UNTESTED, why="the paper does not state how many runs its std comes from")
                elif len(x) < 2:
                    r.update(verdict=UNTESTED, why=f"{len(x)} run(s) of ours: no std")
                else:
                    r.update(test="tost-welch", p_value=tost_from_stats(r["mean"], r["std"], len(x), m, s, n_rep,
                                                                        margin),
                             why=f"TOST equivalence within ±{margin:g}, Welch standard error, {len(x)} runs of "
                                 f"ours vs {n_rep} of the paper")
            rows.append(r)
    df = pd.DataFrame(rows)
    tested = df.index[np.isfinite(df["p_value"].to_numpy(float))] if len(df) else []
    if len(tested):
        df.loc[tested, "p_holm"] = multipletests(df.loc[tested, "p_value"].to_numpy(float), method="holm")[1]
        df.loc[tested, "why"] += f"; Holm over the {len(tested)} tested rows"
        df.loc[tested, "verdict"] = np.where(df.loc[tested, "p_holm"] < alpha, REPRODUCED, NOT_SHOWN)
    return df


def verdict_rule(table: pd.DataFrame, rep: dict, alpha: float = 0.05) -> str:
    """The rule, in words, with the numbers of this table (margin, alpha, Holm family size)."""
    m = int((table["test"] != "none").sum()) if len(table) else 0
    none = (" No row of this reproduction could be tested (another protocol, or runs not stated): its Δ column is "
            "descriptive only." if m == 0 else "")
    return (f"Verdict rule: a row is *{REPRODUCED}* when Schuirmann's two one-sided tests (TOST, Welch standard "
            f"error from our runs and the paper's reported std and number of runs) show |our mean - paper's mean| < "
            f"{margin_of(rep):g} accuracy points at alpha = {alpha:g}, Holm-corrected over the {m} tested rows of "
            f"this reproduction; otherwise *{NOT_SHOWN}* (too few runs or a real difference: see Δ). Rows whose "
            f"paper used another protocol are *{NOT_COMPARABLE}* and are not tested (reasons below); rows whose "
            f"paper does not state its number of runs are *{UNTESTED}*. p = Holm-adjusted TOST p-value.{none}")


def optimal_rows(rep: dict, metrics=("test",)) -> list[dict]:
    return [{"dataset": ds, "metric": m, "value": v[m]} for ds, v in rep.get("optimal", {}).items() for m in metrics
            if m in v]
