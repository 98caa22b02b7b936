"""Statistics over a result store (reads only the store): summaries, tests, effect sizes, curves, indicators.

Every test result records which test ran, on how many runs/pairs/blocks, and why (:class:`TestResult`); which way
is better comes from one rule (:func:`metric_sense`), whether runs are paired from one function (:func:`pairing`).
"""
from .betavae import betavae_summary, find_betavae
from .curves import anytime, answer_vs_incumbent, ecdf, evals_to_target, incumbent_index
from .design import Pairing, pairing
from .direction import metric_sense, oriented
from .equivalence import tost_from_stats, welch_from_stats
from .significance import (
    FriedmanNemenyi,
    TestResult,
    a12,
    a12_magnitude,
    compare_to_baseline,
    friedman,
    friedman_nemenyi,
    holm,
    kruskal,
    mann_whitney,
    pairwise,
    wilcoxon,
)
from .summary import bootstrap_ci, describe, final_values, summarize

INDICATOR_COLUMNS = ("hv", "hv_norm", "igd", "igd_plus", "test_hv", "test_hv_norm", "test_igd", "test_igd_plus",
                     "mean_gap", "feasible_fraction")


def indicator_summary(runs, confidence: float = 0.95, seed: int = 0):
    """Summaries of the per-run quality indicators recorded for hardware-aware runs (HV, IGD, gaps)."""
    import pandas as pd

    parts = []
    for col in INDICATOR_COLUMNS:
        if col in runs.columns and runs[col].notna().any():
            s = summarize(final_values(runs[runs[col].notna()], col), confidence, seed)
            parts.append(s.assign(indicator=col))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


__all__ = ["FriedmanNemenyi", "INDICATOR_COLUMNS", "Pairing", "TestResult", "a12", "a12_magnitude",
           "answer_vs_incumbent", "anytime", "betavae_summary", "bootstrap_ci", "compare_to_baseline", "describe",
           "ecdf", "evals_to_target", "final_values", "find_betavae", "friedman", "friedman_nemenyi", "holm",
           "indicator_summary", "incumbent_index", "kruskal", "mann_whitney", "metric_sense", "oriented",
           "pairing", "pairwise", "summarize", "tost_from_stats", "welch_from_stats", "wilcoxon"]
