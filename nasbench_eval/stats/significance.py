"""Significance tests and effect sizes; every result records which test ran, why, and whether it could reject.

How our runs are generated decides the tests (see docs/statistics.md for the reasoning and the papers):

- **Unpaired by default.** Every cell has its own spawned random stream, so runs with the same seed label are
  independent: two algorithms on one problem are compared with the two-sided Mann-Whitney U test (exact null
  distribution when the samples are small, see :func:`mann_whitney`); its effect is Vargha-Delaney A12 = U/(n m)
  and its location shift the Hodges-Lehmann estimate (median of all differences). k >= 3 algorithms on one problem:
  Kruskal-Wallis first; pairwise tests only if it rejects.
- **Paired only where the design pairs** (:mod:`.design`, e.g. a shared proxy-noise field per seed label): Wilcoxon
  signed-rank for two algorithms, Friedman over seed blocks as the omnibus test.
- **Across problems**: Friedman over problems as blocks (mean over seeds per problem, Demsar 2006) when there are
  >= 2 problems and >= 3 algorithms, Nemenyi post-hoc and the critical difference only if Friedman rejects.
- A family of post-hoc comparisons is Holm-corrected (statsmodels ``multipletests``); the family is named.
- The direction of a significant difference (better / worse) is the sign of the effect the test itself measures
  (U - n m / 2 for Mann-Whitney, T+ - T- for Wilcoxon), oriented by the metric's sense (:mod:`.direction`).
- Each test states the smallest p-value it can give with these sample sizes; when even that (times the Holm family
  size) is >= alpha, the result says the test cannot reach significance instead of "no difference".
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from math import comb, factorial

import numpy as np
import pandas as pd

from .design import UNPAIRED_WHY, Pairing
from .direction import better_word, metric_sense, oriented

EXACT_PERMUTATIONS = 5000  # at most this many splits: exact permutation p-value (Mann-Whitney with ties)


@dataclass
class TestResult:
    name: str  # "mann-whitney-u", "wilcoxon-signed-rank", "kruskal-wallis", "friedman", "none"
    statistic: float
    p_value: float
    n: int  # runs (unpaired: both groups), pairs or blocks used
    note: str = ""  # why this test (and how its p-value was computed), or why none
    p_adjusted: float | None = None  # after the family's correction (Holm), when part of one
    sign: int = 0  # direction of the effect the test measures: +1 first sample larger, -1 smaller, 0 none
    shift: float = np.nan  # Hodges-Lehmann location shift (first - second), in the metric's units
    min_p: float = np.nan  # smallest p-value this test can give with these sample sizes
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
    """Vargha & Delaney (2000) thresholds on |A12 - 0.5|: 0.06 / 0.14 / 0.21."""
    d = abs(a - 0.5)
    return "negligible" if d < 0.06 else "small" if d < 0.14 else "medium" if d < 0.21 else "large"


def _finite(x) -> np.ndarray:
    x = np.asarray(x, float)
    return x[np.isfinite(x)]


def mann_whitney(x, y) -> TestResult:
    """Two-sided Mann-Whitney U test of independent samples (scipy), first sample ``x``.

    p-value: exact null distribution without ties; with ties, an exact permutation p-value when there are at most
    ``EXACT_PERMUTATIONS`` ways to split the runs, else the normal approximation with tie and continuity corrections.
    """
    from scipy import stats

    x, y = _finite(x), _finite(y)
    n1, n2 = x.size, y.size
    if n1 == 0 or n2 == 0:
        return TestResult("none", np.nan, np.nan, n1 + n2, f"no runs to compare ({n1} vs {n2})")
    both = np.concatenate([x, y])
    if np.all(both == both[0]):
        return TestResult("none", np.nan, 1.0, n1 + n2, "all values identical: no difference to test", shift=0.0)
    ties = np.unique(both).size < both.size
    splits = comb(n1 + n2, n1)
    if not ties:
        method, how = "exact", "exact null distribution (no ties)"
    elif splits <= EXACT_PERMUTATIONS:
        method = stats.PermutationMethod(n_resamples=np.inf)
        how = f"exact permutation p over all {splits} splits (ties)"
    else:
        method, how = "asymptotic", "normal approximation with tie and continuity corrections"
    res = stats.mannwhitneyu(x, y, alternative="two-sided", method=method)
    u = float(res.statistic)
    sign = int(np.sign(u - n1 * n2 / 2.0))
    shift = float(np.median(x[:, None] - y[None, :]))
    min_p = min(1.0, 2.0 / splits)
    return TestResult("mann-whitney-u", u, float(res.pvalue), n1 + n2, f"unpaired, {n1} vs {n2} runs; {how}",
                      sign=sign, shift=shift, min_p=min_p, extra={"a12": u / (n1 * n2)})


def wilcoxon(x, y) -> TestResult:
    """Two-sided Wilcoxon signed-rank test of paired samples (scipy defaults: zero_method='wilcox').

    Only for a paired design (see :mod:`.design`); the direction is the sign of T+ - T-, the shift the
    Hodges-Lehmann pseudo-median of the differences (median of the Walsh averages)."""
    from scipy import stats

    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = x.size
    if n == 0:
        return TestResult("none", np.nan, np.nan, 0, "no paired seeds")
    d = x - y
    if np.all(d == 0):
        return TestResult("none", np.nan, 1.0, n, "all paired differences are zero: identical results", shift=0.0)
    res = stats.wilcoxon(x, y)
    nz = d[d != 0]
    r = stats.rankdata(np.abs(nz))
    t_plus, t_minus = r[nz > 0].sum(), r[nz < 0].sum()
    walsh = (d[:, None] + d[None, :])[np.triu_indices(n)] / 2.0
    return TestResult("wilcoxon-signed-rank", float(res.statistic), float(res.pvalue), n,
                      f"paired, {nz.size} non-zero differences of {n} pairs", sign=int(np.sign(t_plus - t_minus)),
                      shift=float(np.median(walsh)), min_p=min(1.0, 2.0 / 2 ** nz.size))


def kruskal(groups: dict[str, np.ndarray], seed: int = 0) -> TestResult:
    """Kruskal-Wallis H test of k independent groups; a seeded permutation p-value when a group has < 5 runs
    (the chi-square approximation is poor there), else the chi-square approximation."""
    from scipy import stats

    g = [_finite(v) for v in groups.values()]
    g = [v for v in g if v.size]
    n = sum(v.size for v in g)
    if len(g) < 2:
        return TestResult("none", np.nan, np.nan, n, "fewer than 2 groups with runs")
    both = np.concatenate(g)
    if np.all(both == both[0]):
        return TestResult("none", np.nan, 1.0, n, "all values identical: no difference to test")
    sizes = [v.size for v in g]
    h = float(stats.kruskal(*g).statistic)
    if min(sizes) < 5:
        res = stats.permutation_test(g, lambda *s, axis: stats.kruskal(*s, axis=axis).statistic,
                                     permutation_type="independent", alternative="greater", n_resamples=9999,
                                     vectorized=True, rng=np.random.default_rng(seed))
        p, how = float(res.pvalue), "permutation p (9,999 seeded resamples; a group has < 5 runs)"
    else:
        p, how = float(stats.kruskal(*g).pvalue), "chi-square approximation"
    # log of the number of distinct splits into these groups (in logs: n! overflows a float beyond n = 170)
    log_ways = math.lgamma(n + 1) - sum(math.lgamma(s + 1) for s in sizes)
    # the most extreme split (groups on contiguous rank blocks) has probability >= 1 / ways (k! / ways if equal sizes)
    extreme = math.lgamma(len(g) + 1) if len(set(sizes)) == 1 else 0.0
    return TestResult("kruskal-wallis", h, p, n, f"unpaired, {len(g)} groups of {'/'.join(map(str, sizes))} runs; "
                      f"{how}", min_p=float(min(1.0, max(math.exp(extreme - log_ways),
                                                         1.0 / 10000 if min(sizes) < 5 else 0.0))))


def friedman(matrix: pd.DataFrame, blocks: str, seed: int = 0) -> TestResult:
    """Friedman test over the rows (blocks) of a blocks x algorithms matrix (scipy). p-value: chi-square
    approximation with >= 10 blocks; with fewer (where it is poor, Demsar 2006) the permutation p of the statistic
    under within-block permutations (exact when there are <= 9,999 of them, else 9,999 seeded resamples)."""
    from scipy import stats

    n, k = matrix.shape
    if k < 3 or n < 2:
        return TestResult("none", np.nan, np.nan, n, f"Friedman needs >= 3 algorithms and >= 2 blocks; have {k} "
                          f"algorithms x {n} blocks ({blocks})")
    if np.all(matrix.to_numpy() == matrix.to_numpy()[:, :1]):
        return TestResult("none", np.nan, 1.0, n, f"all algorithms equal in every block ({blocks})")
    cols = [matrix[c].to_numpy(float) for c in matrix.columns]
    s = stats.friedmanchisquare(*cols)
    p, how = float(s.pvalue), "chi-square approximation"
    if n < 10:
        res = stats.permutation_test(cols, lambda *x, axis: stats.friedmanchisquare(*x, axis=axis).statistic,
                                     permutation_type="samples", alternative="greater", n_resamples=9999,
                                     vectorized=True, rng=np.random.default_rng(seed))
        total = factorial(k) ** n
        p = float(res.pvalue)
        how = (f"exact permutation p over all {total} within-block orders" if total <= 9999 else
               "permutation p (9,999 seeded within-block resamples; < 10 blocks)")
    # the most extreme exact outcome (every block ranks the algorithms the same way) has probability (k!)^(1-n)
    return TestResult("friedman", float(s.statistic), p, n, f"{k} algorithms x {n} blocks ({blocks}); {how}",
                      min_p=float(min(1.0, factorial(k) ** (1.0 - n))))


def holm(results: list[TestResult], family: str = "") -> list[TestResult]:
    """Holm-correct the p-values of a family in place (tests that did not run keep p_adjusted = p_value)."""
    from statsmodels.stats.multitest import multipletests

    idx = [i for i, r in enumerate(results) if r.name != "none" and np.isfinite(r.p_value)]
    if idx:
        adj = multipletests([results[i].p_value for i in idx], method="holm")[1]
        for i, p in zip(idx, adj):
            results[i].p_adjusted = float(p)
            results[i].note += f"; Holm over {len(idx)} comparisons" + (f" ({family})" if family else "")
            results[i].extra["family_size"] = len(idx)
    for r in results:
        if r.p_adjusted is None:
            r.p_adjusted = r.p_value
    return results


def reachable(r: TestResult, alpha: float, family_size: int = 1, family_min_p: float | None = None) -> bool:
    """Whether ``r`` could be significant at ``alpha`` after Holm over ``family_size`` tests: Holm multiplies the
    smallest p of the family by the family size, so no test rejects unless (smallest possible p) x m < alpha."""
    if r.name == "none" or not np.isfinite(r.min_p):
        return r.name != "none"
    fam = r.min_p if family_min_p is None else family_min_p
    return r.min_p < alpha and fam * max(family_size, 1) < alpha


def _groups(values: pd.DataFrame, problem: str) -> dict[str, pd.Series]:
    v = values[values["problem"] == problem]
    return {a: g.set_index("seed")["value"] for a, g in v.groupby("algorithm", sort=False)}


def two_sample(a: pd.Series, b: pd.Series, pairing: Pairing) -> TestResult:
    """The two-group test the design calls for: Wilcoxon on seeds both have (paired) or Mann-Whitney U."""
    if pairing.paired:
        both = pd.concat([a.rename("a"), b.rename("b")], axis=1).dropna()
        r = wilcoxon(both["a"], both["b"])
    else:
        r = mann_whitney(a.to_numpy(float), b.to_numpy(float))
    if pairing.paired:
        r.note += f" ({pairing.short})"
    return r


def omnibus(groups: dict[str, pd.Series], pairing: Pairing, seed: int = 0) -> TestResult:
    """Kruskal-Wallis (unpaired) or Friedman over seed blocks (paired) across the algorithms of one problem."""
    if pairing.paired:
        m = pd.concat(groups, axis=1).dropna()
        r = friedman(m, "seed blocks", seed)
    else:
        r = kruskal({a: g.to_numpy(float) for a, g in groups.items()}, seed)
    r.note = f"{r.note}; {pairing.why}"
    return r


def _pairing_of(pairings: dict | None, problem: str) -> Pairing:
    return (pairings or {}).get(problem) or Pairing(False, UNPAIRED_WHY)


def _gate(groups, pairing, alpha, seed) -> tuple[TestResult | None, str]:
    """(omnibus result or None for two algorithms, reason post-hoc tests are skipped or '')."""
    if len(groups) < 3:
        return None, ""
    om = omnibus(groups, pairing, seed)
    if om.name == "none":
        return om, f"no post-hoc test: omnibus not run ({om.note})"
    if not om.p_value < alpha:
        cannot = (f" (it cannot reach significance: smallest possible p = {om.min_p:.2g})"
                  if np.isfinite(om.min_p) and om.min_p >= alpha else "")
        return om, f"no post-hoc test: {om.name} omnibus p = {om.p_value:.2g} >= alpha = {alpha:g}{cannot}"
    return om, ""


def _direction(r: TestResult, alpha: float, sense: str) -> str:
    if r.name == "none" or r.p_adjusted is None or not r.p_adjusted < alpha:
        return "n.s."
    return better_word(r.sign, sense)


def compare_to_baseline(values: pd.DataFrame, baseline: str, alpha: float = 0.05, sense: str = "max",
                        pairings: dict | None = None, seed: int = 0) -> pd.DataFrame:
    """Every algorithm vs ``baseline`` per problem: omnibus first (k >= 3), then the two-sample test the design
    calls for, Holm over the k - 1 comparisons of the problem. ``sense``: ``max``/``min`` (see :mod:`.direction`);
    ``pairings``: ``{problem: Pairing}`` from :func:`.design.pairing` (default: unpaired)."""
    sense = metric_sense("", sense)
    rows = []
    for p in dict.fromkeys(values["problem"]):
        pairing = _pairing_of(pairings, p)
        groups = _groups(values, p)
        if baseline not in groups:
            continue
        algos = [a for a in groups if a != baseline]
        om, skip = _gate(groups, pairing, alpha, seed)
        family = f"{len(algos)} algorithms vs {baseline} on {p}"
        if skip:
            res = [TestResult("none", np.nan, np.nan, 0, skip) for _ in algos]
        else:
            res = holm([two_sample(groups[a], groups[baseline], pairing) for a in algos], family)
        fam_min = min((r.min_p for r in res if np.isfinite(r.min_p)), default=np.nan)
        for a, r in zip(algos, res):
            x, y = oriented(groups[a].dropna(), sense), oriented(groups[baseline].dropna(), sense)
            eff = a12(x, y)
            can = reachable(r, alpha, len(algos), fam_min if np.isfinite(fam_min) else None)
            why = r.note
            if r.name != "none" and not can:
                why += (f"; cannot reach significance: smallest possible p = {r.min_p:.2g}"
                        + (f", x {len(algos)} (Holm) >= alpha" if len(algos) > 1 else " >= alpha"))
            rows.append({"problem": p, "algorithm": a, "baseline": baseline, "test": r.name, "why": why,
                         "paired": pairing.paired, "statistic": r.statistic, "p_value": r.p_value,
                         "p_holm": r.p_adjusted, "family": family, "n": r.n, "shift": r.shift,
                         "a12": eff, "a12_magnitude": a12_magnitude(eff) if np.isfinite(eff) else "",
                         "direction": _direction(r, alpha, sense), "reachable": can,
                         "omnibus": om.name if om else "", "omnibus_p": om.p_value if om else np.nan,
                         "omnibus_why": om.note if om else "two algorithms: no omnibus test needed"})
    return pd.DataFrame(rows)


def pairwise(values: pd.DataFrame, problem: str, alpha: float = 0.05, sense: str = "max",
             pairing: Pairing | None = None, seed: int = 0) -> pd.DataFrame:
    """All algorithm pairs on one problem, after the omnibus test rejects; Holm over the pairs."""
    pairing = pairing or Pairing(False, UNPAIRED_WHY)
    groups = _groups(values, problem)
    pairs = list(itertools.combinations(groups, 2))
    om, skip = _gate(groups, pairing, alpha, seed)
    if skip:
        res = [TestResult("none", np.nan, np.nan, 0, skip) for _ in pairs]
    else:
        res = holm([two_sample(groups[a], groups[b], pairing) for a, b in pairs],
                   f"all {len(pairs)} pairs on {problem}")
    return pd.DataFrame([{"a": a, "b": b, "test": r.name, "why": r.note, "statistic": r.statistic,
                          "p_value": r.p_value, "p_holm": r.p_adjusted, "n": r.n, "shift": r.shift,
                          "a_vs_b": _direction(r, alpha, sense),
                          "a12": a12(oriented(groups[a].dropna(), sense), oriented(groups[b].dropna(), sense))}
                         for (a, b), r in zip(pairs, res)])


@dataclass
class FriedmanNemenyi:
    friedman: TestResult
    mean_ranks: pd.Series  # algorithm -> average rank (1 = best in the metric's sense), ascending
    cd: float  # Nemenyi critical difference at alpha
    p_nemenyi: pd.DataFrame  # pairwise Nemenyi p-values (NaN when Friedman did not reject)
    alpha: float
    n_blocks: int
    blocks: str
    sense: str = "max"
    rejected: bool = False  # Friedman rejected: the Nemenyi post-hoc and the CD groups apply


def block_matrix(values: pd.DataFrame, blocks: str = "auto",
                 pairings: dict | None = None) -> tuple[pd.DataFrame | None, str, str]:
    """(blocks x algorithms matrix or None, blocks, why). ``problem``: mean over seeds per problem (Demsar's data
    sets); ``seed``: each (problem, seed) is a block, legitimate only in a paired design; ``auto``: ``problem``
    with >= 2 problems, ``seed`` with one paired problem, otherwise no blocks."""
    from ..errors import ConfigError

    if blocks not in ("auto", "problem", "seed"):
        raise ConfigError(f"parameter 'blocks' must be one of auto, problem, seed; got {blocks!r}")
    probs = list(dict.fromkeys(values["problem"]))
    if blocks == "auto":
        if len(probs) >= 2:
            blocks = "problem"
        elif _pairing_of(pairings, probs[0]).paired:
            blocks = "seed"
        else:
            return None, "none", (f"one problem with unpaired runs: there are no blocks to rank within (seed labels "
                                  f"are not blocks: {UNPAIRED_WHY}); see the per-problem tests")
    if blocks == "problem":
        m = values.pivot_table(index="problem", columns="algorithm", values="value", aggfunc="mean")
        why = "problems are the blocks (mean over seeds per problem, Demsar 2006)"
    else:
        m = values.pivot_table(index=["problem", "seed"], columns="algorithm", values="value", aggfunc="first")
        why = "(problem, seed) blocks" + (f": {_pairing_of(pairings, probs[0]).why}"
                                          if _pairing_of(pairings, probs[0]).paired else "")
    order = list(dict.fromkeys(values["algorithm"]))
    return m[[c for c in order if c in m.columns]].dropna(), blocks, why


def friedman_nemenyi(values: pd.DataFrame, alpha: float = 0.05, blocks: str = "auto", sense: str = "max",
                     pairings: dict | None = None) -> FriedmanNemenyi:
    """Friedman over blocks, then (only if it rejects) Nemenyi post-hoc with the critical difference of Demsar
    (2006), JMLR 7:1-30: ``CD = q_alpha(k, inf) / sqrt(2) * sqrt(k (k + 1) / (6 N))``; rank 1 = best in ``sense``."""
    from scipy import stats

    sense = metric_sense("", sense)
    m, blocks, why = block_matrix(values, blocks, pairings)
    if m is None:
        algos = list(dict.fromkeys(values["algorithm"]))
        nan = pd.DataFrame(np.nan, index=algos, columns=algos)
        return FriedmanNemenyi(TestResult("none", np.nan, np.nan, 0, why), pd.Series(dtype=float), np.nan, nan,
                               alpha, 0, blocks, sense)
    n, k = m.shape
    ranks = pd.DataFrame(oriented(m.to_numpy(), sense), index=m.index, columns=m.columns).rank(axis=1,
                                                                                                ascending=False)
    mean_ranks = ranks.mean().sort_values()
    fr = friedman(m, blocks)
    fr.note = f"{fr.note}; {why}"
    if fr.name != "none" and fr.min_p >= alpha:
        fr.note += (f"; cannot reach significance: with {n} blocks the smallest exact p is {fr.min_p:.2g} >= "
                    f"alpha")
    rejected = fr.name != "none" and fr.p_value < alpha
    q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2) if k >= 2 else np.nan
    cd = float(q * np.sqrt(k * (k + 1) / (6.0 * n))) if n else np.nan
    R = ranks.mean()
    if rejected:
        z = np.abs(R.to_numpy()[:, None] - R.to_numpy()[None, :]) / np.sqrt(k * (k + 1) / (6.0 * n))
        p = stats.studentized_range.sf(z * np.sqrt(2), k, np.inf)
        np.fill_diagonal(p, 1.0)
    else:
        p = np.full((k, k), np.nan)
    return FriedmanNemenyi(fr, mean_ranks, cd, pd.DataFrame(p, index=R.index, columns=R.index), alpha, n, blocks,
                           sense, rejected)
