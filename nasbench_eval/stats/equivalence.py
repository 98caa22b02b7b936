"""Tests from summary statistics (mean, sample std, n), for comparing our runs with a paper's reported numbers.

- :func:`welch_from_stats`: two-sided Welch t-test of a difference (Welch 1947; scipy ``ttest_ind_from_stats``).
- :func:`tost_from_stats`: Schuirmann's (1987) two one-sided tests for *equivalence* within ``±margin``, with
  Welch's standard error and Welch-Satterthwaite degrees of freedom. H0: |mean1 - mean2| >= margin; a p-value below
  alpha shows the two means equivalent within the margin. Equals statsmodels ``ttost_ind(usevar='unequal')``.
"""
from __future__ import annotations

import numpy as np


def _se_df(s1: float, n1: int, s2: float, n2: int) -> tuple[float, float]:
    v1, v2 = s1 ** 2 / n1, s2 ** 2 / n2
    se = float(np.sqrt(v1 + v2))
    den = (v1 ** 2 / (n1 - 1) if n1 > 1 else 0.0) + (v2 ** 2 / (n2 - 1) if n2 > 1 else 0.0)
    return se, float((v1 + v2) ** 2 / den) if den > 0 else np.inf


def welch_from_stats(m1: float, s1: float, n1: int, m2: float, s2: float, n2: int) -> float:
    """Two-sided Welch p-value of mean1 != mean2 from summary statistics (NaN if both stds are 0)."""
    from scipy import stats

    if not (s1 > 0 or s2 > 0) or n1 < 2 or n2 < 2:
        return np.nan
    return float(stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False).pvalue)


def tost_from_stats(m1: float, s1: float, n1: int, m2: float, s2: float, n2: int, margin: float) -> float:
    """p-value of Schuirmann's TOST that |mean1 - mean2| < margin (the larger of the two one-sided p-values)."""
    from scipy import stats

    if not margin > 0 or n1 < 2 or n2 < 2:
        return np.nan
    d = m1 - m2
    se, df = _se_df(s1, n1, s2, n2)
    if se == 0:
        return 0.0 if abs(d) < margin else 1.0
    p_low = stats.t.sf((d + margin) / se, df)  # H0: d <= -margin
    p_up = stats.t.cdf((d - margin) / se, df)  # H0: d >= +margin
    return float(max(p_low, p_up))
