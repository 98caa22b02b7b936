"""Significance tests and effect sizes; every result records which test ran, on how many pairs, and why.

- Two algorithms on one problem: Wilcoxon signed-rank (scipy, two-sided), paired by seed; p-values of a family
  (all comparisons against a baseline, or all pairs) are Holm-corrected (statsmodels ``multipletests``).
- Many algorithms: Friedman test + Nemenyi post-hoc with the critical difference of Demsar (2006), JMLR 7:1-30:
  ``CD = q_alpha(k, inf) / sqrt(2) * sqrt(k (k + 1) / (6 N))``; rank 1 = best (largest value).
- Effect size: Vargha-Delaney A12 = P(X > Y) + 0.5 P(X = Y) (0.5 = no effect; 0.56/0.64/0.71 small/medium/large).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class TestResult:
    name: str  # which test ran ("wilcoxon", "friedman", "nemenyi", "none")
    statistic: float
    p_value: float
    n: int  # pairs / blocks used
    note: str = ""  # why this test, or why none
    p_adjusted: float | None = None  # after the family's correction (Holm), when part of one
    extra: dict = field(default_factory=dict)

    __test__ = False  # not a pytest class


def a12(x, y) -> float:
    """Vargha-Delaney A12: probability that a value of ``x`` beats one of ``y`` (ties count half)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size == 0 or y.size == 0:
        return np.nan
    gt = (x[:, None] > y[None, :]).sum()
    eq = (x[:, None] == y[None, :]).sum()
    return float((gt + 0.5 * eq) / (x.size * y.size))


def a12_magnitude(a: float) -> str:
    d = abs(a - 0.5)
    return "negligible" if d < 0.06 else "small" if d < 0.14 else "medium" if d < 0.21 else "large"


def paired(values: pd.DataFrame, a: str, b: str, problem: str) -> tuple[np.ndarray, np.ndarray]:
    """Values of algorithms ``a`` and ``b`` on ``problem`` for the seeds both have (finite), in seed order."""
    v = values[values["problem"] == problem].pivot_table(index="seed", columns="algorithm", values="value",
                                                          aggfunc="first")
    if a not in v.columns or b not in v.columns:
        return np.zeros(0), np.zeros(0)
    both = v[[a, b]].dropna()
    return both[a].to_numpy(float), both[b].to_numpy(float)


def wilcoxon(x, y) -> TestResult:
    """Two-sided Wilcoxon signed-rank test of paired samples (scipy defaults: zero_method='wilcox')."""
    from scipy import stats

    x, y = np.asarray(x, float), np.asarray(y, float)
    n = x.size
    if n == 0:
        return TestResult("none", np.nan, np.nan, 0, "no paired seeds")
    d = x - y
    if np.all(d == 0):
        return TestResult("none", np.nan, 1.0, n, "all paired differences are zero: identical results")
    res = stats.wilcoxon(x, y)
    nz = int(np.count_nonzero(d))
    note = f"paired by seed; {nz} non-zero differences" + ("; few pairs (n<6): low power" if nz < 6 else "")
    return TestResult("wilcoxon", float(res.statistic), float(res.pvalue), n, note)


def holm(results: list[TestResult]) -> list[TestResult]:
    """Holm-correct the p-values of a family in place (tests that did not run keep p_adjusted = p_value)."""
    from statsmodels.stats.multitest import multipletests

    idx = [i for i, r in enumerate(results) if r.name != "none" and np.isfinite(r.p_value)]
    if idx:
        adj = multipletests([results[i].p_value for i in idx], method="holm")[1]
        for i, p in zip(idx, adj):
            results[i].p_adjusted = float(p)
            results[i].note += f"; Holm over {len(idx)} comparisons"
    for r in results:
        if r.p_adjusted is None:
            r.p_adjusted = r.p_value
    return results


def compare_to_baseline(values: pd.DataFrame, baseline: str, alpha: float = 0.05) -> pd.DataFrame:
    """Wilcoxon (paired by seed) of every algorithm vs ``baseline`` per problem, Holm within each problem."""
    rows = []
    for p in values["problem"].unique():
        algos = [a for a in values.loc[values["problem"] == p, "algorithm"].unique() if a != baseline]
        res = [wilcoxon(*paired(values, a, baseline, p)) for a in algos]
        holm(res)
        for a, r in zip(algos, res):
            x, y = paired(values, a, baseline, p)
            eff = a12(x, y)
            sig = r.p_adjusted is not None and r.p_adjusted < alpha
            rows.append({"problem": p, "algorithm": a, "baseline": baseline, "test": r.name, "statistic": r.statistic,
                         "p_value": r.p_value, "p_holm": r.p_adjusted, "n": r.n, "a12": eff,
                         "a12_magnitude": a12_magnitude(eff) if np.isfinite(eff) else "",
                         "direction": ("better" if eff > 0.5 else "worse") if sig else "n.s.", "note": r.note})
    return pd.DataFrame(rows)


def pairwise(values: pd.DataFrame, problem: str) -> pd.DataFrame:
    """All algorithm pairs on one problem: Wilcoxon + Holm over the pairs + A12."""
    algos = list(values.loc[values["problem"] == problem, "algorithm"].unique())
    pairs = list(itertools.combinations(algos, 2))
    res = holm([wilcoxon(*paired(values, a, b, problem)) for a, b in pairs])
    return pd.DataFrame([{"a": a, "b": b, "test": r.name, "statistic": r.statistic, "p_value": r.p_value,
                          "p_holm": r.p_adjusted, "n": r.n, "a12": a12(*paired(values, a, b, problem)),
                          "note": r.note} for (a, b), r in zip(pairs, res)])


@dataclass
class FriedmanNemenyi:
    friedman: TestResult
    mean_ranks: pd.Series  # algorithm -> average rank (1 = best), ascending
    cd: float  # Nemenyi critical difference at alpha
    p_nemenyi: pd.DataFrame  # pairwise Nemenyi p-values
    alpha: float
    n_blocks: int
    blocks: str


def block_matrix(values: pd.DataFrame, blocks: str = "auto") -> tuple[pd.DataFrame, str]:
    """Blocks x algorithms matrix. ``problem``: mean over seeds per problem (Demsar's data sets);
    ``problem_seed``: each (problem, seed) is a block; ``auto``: ``problem`` when there are >= 5 problems."""
    n_prob = values["problem"].nunique()
    if blocks == "auto":
        blocks = "problem" if n_prob >= 5 else "problem_seed"
    if blocks == "problem":
        m = values.pivot_table(index="problem", columns="algorithm", values="value", aggfunc="mean")
    elif blocks == "problem_seed":
        m = values.pivot_table(index=["problem", "seed"], columns="algorithm", values="value", aggfunc="first")
    else:
        from ..errors import ConfigError

        raise ConfigError(f"unknown blocks {blocks!r}; allowed: auto, problem, problem_seed")
    order = list(dict.fromkeys(values["algorithm"]))
    return m[order].dropna(), blocks


def friedman_nemenyi(values: pd.DataFrame, alpha: float = 0.05, blocks: str = "auto") -> FriedmanNemenyi:
    from scipy import stats

    m, blocks = block_matrix(values, blocks)
    n, k = m.shape
    ranks = m.rank(axis=1, ascending=False)  # rank 1 = largest value (best); ties get the average rank
    mean_ranks = ranks.mean().sort_values()
    why = (f"{k} algorithms x {n} blocks ({blocks}: "
           + ("mean over seeds per problem" if blocks == "problem" else "each (problem, seed) is a block") + ")")
    if k < 3 or n < 2:
        fr = TestResult("none", np.nan, np.nan, n, f"Friedman needs >= 3 algorithms and >= 2 blocks; {why}")
    else:
        s = stats.friedmanchisquare(*[m[c].to_numpy() for c in m.columns])
        fr = TestResult("friedman", float(s.statistic), float(s.pvalue), n, why)
    q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2) if k >= 2 else np.nan
    cd = float(q * np.sqrt(k * (k + 1) / (6.0 * n))) if n else np.nan
    R = ranks.mean()
    z = np.abs(R.to_numpy()[:, None] - R.to_numpy()[None, :]) / np.sqrt(k * (k + 1) / (6.0 * n)) if n else None
    p = stats.studentized_range.sf(z * np.sqrt(2), k, np.inf) if k >= 2 and n else np.full((k, k), np.nan)
    np.fill_diagonal(p, 1.0)
    return FriedmanNemenyi(fr, mean_ranks, cd, pd.DataFrame(p, index=R.index, columns=R.index), alpha, n, blocks)
