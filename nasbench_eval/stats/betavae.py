"""Aggregate a Beta-VAE study's tidy Parquet (``study='betavae'``; columns dataset, beta, seed, sparsity, method,
metric, value, source) into accuracy vs sparsity per beta: mean over seeds +- bootstrap CI (see :mod:`.summary`)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .summary import describe

REQUIRED = ("study", "dataset", "beta", "seed", "sparsity", "method", "metric", "value")


def find_betavae(folder) -> Path | None:
    """``folder/results.parquet`` if it is a Beta-VAE study table, else None."""
    f = Path(folder) / "results.parquet"
    if not f.is_file():
        return None
    try:
        from .._io import parquet_columns

        names = parquet_columns(f)
    except Exception:  # noqa: BLE001 - unreadable: not ours to judge here
        return None
    return f if all(c in names for c in REQUIRED) else None


def betavae_summary(df: pd.DataFrame, metric: str = "accuracy", source: str | None = "test",
                    confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """One row per (dataset, method, beta, sparsity): n seeds, mean, std (ddof=1), se, CI of ``metric``."""
    sel = df[(df["study"] == "betavae") & (df["metric"] == metric)]
    if source is not None and "source" in sel.columns:
        sel = sel[sel["source"] == source]
    rows = []
    for (ds, m, b, sp), g in sel.groupby(["dataset", "method", "beta", "sparsity"], sort=True):
        d = describe(g["value"], confidence, seed=seed)
        rows.append({"dataset": ds, "method": m, "beta": b, "sparsity": sp,
                     **{k: d[k] for k in ("n", "mean", "std", "se", "ci_low", "ci_high", "ci_method")}})
    return pd.DataFrame(rows)
