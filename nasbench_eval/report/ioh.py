"""Export the evaluations table in a CSV layout IOHanalyzer reads (its general / "pure" CSV format).

One row per improvement of a run's best-so-far feasible search fitness (IOHprofiler's improvement-only logging),
plus each run's last evaluation. Columns::

    algorithm   spec label of the algorithm                  (IOHanalyzer: algorithm name)
    function    problem label, e.g. nb201-cifar10            (function name)
    dimension   number of decision variables (NB201: 6)      (dimension)
    run         seed label of the run                        (run id)
    evaluations evaluations charged when it was reached      (evaluation count)
    fitness     best-so-far search fitness (maximised)       (function value)
    test_acc    reported test accuracy of that incumbent     (extra column, ignored unless chosen)

Load it in R with ``IOHanalyzer::read_pure_csv("ioh.csv", "evaluations", "fitness", "function", "algorithm",
"dimension", "run", maximization = TRUE)``, or upload it in the GUI as a general CSV and map the columns above.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..stats.curves import incumbent_index

DIMENSION = {"nb201": 6}


def ioh_frame(evals: pd.DataFrame, runs: pd.DataFrame | None = None) -> pd.DataFrame:
    dims = {}
    if runs is not None and "problem_info" in runs.columns:
        import json

        for p, info in zip(runs["problem"], runs["problem_info"]):
            dims[p] = DIMENSION.get(json.loads(info).get("space", "nb201"), 6)
    test = "report_test_acc" if "report_test_acc" in evals.columns else None
    parts = []
    for (a, p, s), g in evals.groupby(["algorithm", "problem", "seed"], sort=False):
        fit = g["fitness"].to_numpy(float)
        idx, has = incumbent_index(fit, g["feasible"].to_numpy(bool))
        best = np.where(has, fit[idx], np.nan)
        keep = has & (np.concatenate([[True], idx[1:] != idx[:-1]]) | ~np.concatenate([[False], has[:-1]]))
        keep[-1] = keep[-1] or has[-1]
        rows = np.flatnonzero(keep)
        parts.append(pd.DataFrame({"algorithm": a, "function": p, "dimension": dims.get(p, 6), "run": s,
                                   "evaluations": g["eval"].to_numpy()[rows], "fitness": best[rows],
                                   "test_acc": (g[test].to_numpy(float)[idx][rows] if test else np.nan)}))
    cols = ["algorithm", "function", "dimension", "run", "evaluations", "fitness", "test_acc"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def export_ioh(evals: pd.DataFrame, path, runs: pd.DataFrame | None = None) -> Path:
    path = Path(path)
    ioh_frame(evals, runs).to_csv(path, index=False, float_format="%.10g")
    return path
