"""Statistics of a sweep (an ablation): how a metric responds to each swept setting, whether it does, and which
settings matter most. Reads the runs table and the spec's ``sweeps`` record; the tests are the package's own
(:func:`.significance.compare_to_baseline`, :func:`.significance.kruskal`), with the same rules as the report.

Units and factors. Runs are grouped into *units*: one swept algorithm entry (its ``of`` group) on one problem, or on
one swept problem entry. A unit's *factors* are its swept algorithm parameters and swept problem keys (named
``problem.<key>``). Per unit and factor:

* **response**: mean, 95 % bootstrap CI of the mean (:func:`.summary.describe`), median and n per level;
* **omnibus**: Kruskal-Wallis across the levels (unpaired runs), Friedman over seed blocks only where
  :func:`.design.pairing` finds a shared proxy-noise field and the slice has one run per level and seed label;
  then each level against the *reference* level (the parameter's default when it is a level, else the first level),
  Mann-Whitney U (or Wilcoxon where paired), Holm over the comparisons of the factor, only if the omnibus rejects;
  with two levels the single comparison runs directly. Effect sizes: Vargha-Delaney A12 (oriented by the metric's
  sense) and the Hodges-Lehmann shift.
* **trend** (ordered numeric levels, >= 3): the Jonckheere-Terpstra test (:func:`jonckheere`) against a monotone
  trend in either direction, and Spearman's rho of level vs value with its p.
* Which runs enter: a factor of a cartesian sweep is tested on all runs of the unit (its *marginal* effect, pooled
  over the other factors' levels); a factor of a one-at-a-time sweep on the runs whose other factors are at their
  defaults.

Importance ranking (:func:`importance`): for a cartesian unit, the variance decomposition of a linear model with
every factor as categorical and all two-factor interactions (statsmodels OLS, type-II sums of squares), reported as
eta-squared = SS_effect / SS_total (the share of the metric's variance over the sweep explained by the factor;
the residual is the run-to-run variance at fixed settings); for a one-at-a-time unit the one-way eta-squared of each
factor on its own slice (not additive across factors). Every row also gives the rank-based epsilon-squared of the
Kruskal-Wallis H (H / (n - 1), Tomczak & Tomczak 2014), which does not assume normal residuals.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from .design import UNPAIRED_WHY, Pairing, problem_pairing
from .direction import better_word, metric_sense
from .significance import TestResult, compare_to_baseline, kruskal
from .summary import describe, final_values

PROBLEM_PREFIX = "problem."
RESIDUAL = "residual (run-to-run at fixed settings)"


# ------------------------------------------------------------------------------------------------ the trend test
def jonckheere_statistic(groups: list) -> float:
    """Jonckheere-Terpstra J = sum over ordered pairs of groups i < j of #(x_i < x_j) + 0.5 #(x_i = x_j)."""
    J = 0.0
    for i in range(len(groups)):
        for j in range(i + 1, len(groups)):
            x, y = np.asarray(groups[i], float), np.asarray(groups[j], float)
            J += (x[:, None] < y[None, :]).sum() + 0.5 * (x[:, None] == y[None, :]).sum()
    return float(J)


def _jt_vectorized(*samples, axis=-1):
    J = 0.0
    for i in range(len(samples)):
        for j in range(i + 1, len(samples)):
            x = np.moveaxis(samples[i], axis, -1)[..., :, None]
            y = np.moveaxis(samples[j], axis, -1)[..., None, :]
            J = J + (x < y).sum(axis=(-2, -1)) + 0.5 * (x == y).sum(axis=(-2, -1))
    return J


def jonckheere_normal(groups: list) -> tuple[float, float, float, float]:
    """(J, mean, variance, two-sided p) of the normal approximation with the tie-corrected variance
    (Hollander, Wolfe & Chicken, Nonparametric Statistical Methods, 3rd ed. 2014, sec. 6.2)."""
    from scipy import stats

    g = [np.asarray(x, float) for x in groups]
    n = np.array([x.size for x in g], float)
    N = n.sum()
    allv = np.concatenate(g)
    _, t = np.unique(allv, return_counts=True)
    t = t.astype(float)
    J = jonckheere_statistic(g)
    mean = (N ** 2 - (n ** 2).sum()) / 4.0
    var = ((N * (N - 1) * (2 * N + 5) - (n * (n - 1) * (2 * n + 5)).sum() - (t * (t - 1) * (2 * t + 5)).sum()) / 72.0
           + (n * (n - 1) * (n - 2)).sum() * (t * (t - 1) * (t - 2)).sum() / (36.0 * N * (N - 1) * (N - 2))
           + (n * (n - 1)).sum() * (t * (t - 1)).sum() / (8.0 * N * (N - 1)))
    if not var > 0:
        return J, mean, var, 1.0
    z = (J - mean) / math.sqrt(var)
    return J, mean, var, float(min(1.0, 2.0 * stats.norm.sf(abs(z))))


def jonckheere(groups: list, seed: int = 0, n_resamples: int = 9999) -> TestResult:
    """Two-sided Jonckheere-Terpstra test for a monotone trend across groups given in increasing level order.

    ``sign`` is +1 when values increase with the level (J above its null mean), -1 when they decrease. p-value: the
    normal approximation with tie correction when every group has >= 5 runs, else a seeded permutation p (9,999
    resamples of the group labels); ``extra`` keeps both where computed, and ``z``."""
    from scipy import stats

    g = [np.asarray(x, float)[np.isfinite(np.asarray(x, float))] for x in groups]
    g = [x for x in g if x.size]
    n = sum(x.size for x in g)
    if len(g) < 3:
        return TestResult("none", np.nan, np.nan, n, "a trend test needs >= 3 levels with runs")
    allv = np.concatenate(g)
    if np.all(allv == allv[0]):
        return TestResult("none", np.nan, 1.0, n, "all values identical: no trend to test")
    J, mean, var, p_norm = jonckheere_normal(g)
    z = (J - mean) / math.sqrt(var) if var > 0 else 0.0
    extra = {"z": z, "p_normal": p_norm, "mean_null": mean}
    sizes = "/".join(str(x.size) for x in g)
    if min(x.size for x in g) >= 5:
        p, how = p_norm, "normal approximation with tie correction"
    else:
        res = stats.permutation_test(g, _jt_vectorized, permutation_type="independent", alternative="two-sided",
                                     n_resamples=n_resamples, vectorized=True, batch=500,
                                     rng=np.random.default_rng(seed))
        p, how = float(res.pvalue), f"permutation p ({n_resamples:,} seeded resamples; a level has < 5 runs)"
        extra["p_permutation"] = p
    return TestResult("jonckheere-terpstra", J, float(p), n, f"unpaired, {len(g)} ordered levels of {sizes} runs; "
                      f"{how}", sign=int(np.sign(J - mean)), min_p=1.0 / (n_resamples + 1)
                      if min(x.size for x in g) < 5 else 0.0, extra=extra)


def spearman_trend(levels, values) -> tuple[float, float]:
    """Spearman's rho of the numeric level vs the value of each run, and its two-sided p (scipy's t approximation)."""
    from scipy import stats

    x, y = np.asarray(levels, float), np.asarray(values, float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3 or np.all(y[ok] == y[ok][0]) or np.all(x[ok] == x[ok][0]):
        return np.nan, np.nan
    r = stats.spearmanr(x[ok], y[ok])
    return float(r.statistic), float(r.pvalue)


# ------------------------------------------------------------------------------------------------ the sweep table
def fmt_value(v) -> str:
    """A swept value as labels show it: ``20``, ``0.3``, ``true``, ``none``, ``novelty`` (the runner's labels use
    this too)."""
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


_fmt = fmt_value


def sweep_table(runs: pd.DataFrame, sweeps: dict | None, metric: str = "test_acc") -> pd.DataFrame:
    """One row per run of a swept entry: ``unit``, ``algorithm_group``, ``problem_group``, ``algorithm``, ``problem``,
    ``seed``, ``value`` and the factor values as a dict (column ``factors``); empty when nothing was swept."""
    sweeps = sweeps or {}
    sa, sp = sweeps.get("algorithms", {}), sweeps.get("problems", {})
    if not sa and not sp:
        return pd.DataFrame()
    v = final_values(runs, metric)
    rows = []
    for (a, p, s, val) in v[["algorithm", "problem", "seed", "value"]].itertuples(index=False):
        ma, mp = sa.get(a), sp.get(p)
        if ma is None and mp is None:
            continue
        f = dict((ma or {}).get("values", {}))
        f.update({PROBLEM_PREFIX + k: x for k, x in ((mp or {}).get("values") or {}).items()})
        ag, pg = (ma or {}).get("of", a), (mp or {}).get("of", p)
        rows.append({"unit": f"{ag} on {pg}", "algorithm_group": ag, "problem_group": pg, "algorithm": a,
                     "problem": p, "seed": int(s), "value": float(val), "factors": f})
    return pd.DataFrame(rows)


def factor_info(sweeps: dict, unit_rows: pd.DataFrame) -> dict:
    """``{factor: {levels, default, design, numeric}}`` of one unit (levels in numeric order when numeric)."""
    sa, sp = sweeps.get("algorithms", {}), sweeps.get("problems", {})
    out = {}
    for label, meta, prefix in [(a, sa.get(a), "") for a in dict.fromkeys(unit_rows["algorithm"])] + \
                               [(p, sp.get(p), PROBLEM_PREFIX) for p in dict.fromkeys(unit_rows["problem"])]:
        if not meta:
            continue
        for k, levels in meta["levels"].items():
            name = prefix + k
            if name in out:
                continue
            nums = [x for x in levels if x is not None]
            numeric = bool(nums) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in nums)
            lv = sorted(nums) + [None] * (len(levels) - len(nums)) if numeric else list(levels)
            out[name] = {"levels": lv, "default": meta["defaults"].get(k), "design": meta["design"],
                         "numeric": numeric}
    return out


def _slice(unit_rows: pd.DataFrame, factor: str, info: dict) -> tuple[pd.DataFrame, str]:
    """The runs that test ``factor``: all of them (cartesian: the marginal effect), or those whose other
    one-at-a-time factors sit at their defaults."""
    if info[factor]["design"] != "one-at-a-time":
        others = [f for f in info if f != factor]
        return unit_rows, ("marginal effect: all runs, pooled over " + ", ".join(others)) if others else "all runs"
    others = [f for f in info if f != factor and info[f]["design"] == "one-at-a-time"]
    if not others:
        return unit_rows, "all runs"
    keep = unit_rows["factors"].map(lambda d: all(_same(d.get(o), info[o]["default"]) for o in others))
    at = ", ".join(f"{o}={_fmt(info[o]['default'])}" for o in others)
    return unit_rows[keep], f"one-at-a-time: the other parameters at their defaults ({at})"


def _same(a, b) -> bool:
    return json.dumps(a, sort_keys=True, default=repr) == json.dumps(b, sort_keys=True, default=repr)


def _level_name(factor: str, v) -> str:
    return f"{factor}={_fmt(v)}"


def _pairing_for(runs: pd.DataFrame, rows: pd.DataFrame, factor: str) -> Pairing:
    """Paired only when one problem with a shared proxy-noise field is searched by every level, one run per level and
    seed label (an algorithm factor); otherwise unpaired (different problems, or pooled runs per seed label)."""
    if factor.startswith(PROBLEM_PREFIX) or rows["problem"].nunique() != 1:
        return Pairing(False, UNPAIRED_WHY)
    pr = problem_pairing(runs, rows["problem"].iloc[0])
    if not pr.paired:
        return pr
    counts = rows.groupby([rows["factors"].map(lambda d: _fmt(d.get(factor))), "seed"]).size()
    if (counts > 1).any():
        return Pairing(False, "pooled over other factors: several runs per level and seed label, so the shared "
                              "proxy-noise field is not used as a block (unpaired tests, conservative)")
    return pr


def factor_tests(runs: pd.DataFrame, sweeps: dict, metric: str = "test_acc", alpha: float = 0.05,
                 sense: str | None = None, seed: int = 0) -> dict[str, pd.DataFrame]:
    """All per-factor results of a result folder's sweeps: ``response`` (per unit, factor and level), ``tests``
    (per level vs the reference) and ``trend`` (per unit and factor). Empty frames when nothing was swept."""
    sense = metric_sense(metric, sense)
    tab = sweep_table(runs, sweeps, metric)
    resp, tests, trend = [], [], []
    if tab.empty:
        return {"response": pd.DataFrame(), "tests": pd.DataFrame(), "trend": pd.DataFrame(), "table": tab}
    for unit, u in tab.groupby("unit", sort=False):
        info = factor_info(sweeps, u)
        for f, fi in info.items():
            rows, scope = _slice(u, f, info)
            lv = [x for x in fi["levels"] if (rows["factors"].map(lambda d, x=x: _same(d.get(f), x))).any()]
            if len(lv) < 2:
                continue
            ref = fi["default"] if any(_same(fi["default"], x) for x in lv) else lv[0]
            ref_why = "the default" if any(_same(fi["default"], x) for x in lv) else \
                f"the first level (the default {_fmt(fi['default'])} is not swept)"
            lab = rows["factors"].map(lambda d: _level_name(f, d.get(f)))
            for x in lv:
                vals = rows.loc[lab == _level_name(f, x), "value"]
                resp.append({"unit": unit, "factor": f, "level": _fmt(x),
                             "level_value": x if fi["numeric"] and x is not None else np.nan,
                             "reference": _same(x, ref), **describe(vals, seed=seed)})
            pair = _pairing_for(runs, rows, f)
            vals = pd.DataFrame({"algorithm": lab.values, "problem": unit, "seed": rows["seed"].values,
                                 "value": rows["value"].values})
            c = compare_to_baseline(vals, _level_name(f, ref), alpha, sense, {unit: pair}, seed)
            ref_vals = vals.loc[vals["algorithm"] == _level_name(f, ref), "value"].to_numpy(float)
            for r in c.itertuples(index=False):
                x = vals.loc[vals["algorithm"] == r.algorithm, "value"].to_numpy(float)
                hl = float(np.median(x[:, None] - ref_vals[None, :])) if x.size and ref_vals.size else np.nan
                tests.append({"unit": unit, "factor": f, "level": r.algorithm.split("=", 1)[1],
                              "reference": _fmt(ref), "reference_is": ref_why, "scope": scope, "test": r.test,
                              "p_value": r.p_value, "p_holm": r.p_holm, "a12": r.a12, "a12_magnitude": r.a12_magnitude,
                              "shift": r.shift if np.isfinite(r.shift) else hl, "direction": r.direction, "reachable": r.reachable,
                              "paired": r.paired, "why": r.why, "omnibus": r.omnibus, "omnibus_p": r.omnibus_p,
                              "omnibus_why": r.omnibus_why})
            trend.append({"unit": unit, "factor": f, "scope": scope, "levels": len(lv),
                          **_trend(rows, f, lv, fi["numeric"], sense, alpha, seed)})
    return {"response": pd.DataFrame(resp), "tests": pd.DataFrame(tests), "trend": pd.DataFrame(trend),
            "table": tab}


def _trend(rows, f, levels, numeric, sense, alpha, seed) -> dict:
    groups = [rows.loc[rows["factors"].map(lambda d, x=x: _same(d.get(f), x)), "value"].to_numpy(float)
              for x in levels]
    kw = kruskal({_fmt(x): g for x, g in zip(levels, groups)}, seed)
    n = sum(g.size for g in groups)
    eps2 = kw.statistic / (n - 1) if kw.name != "none" and n > 1 else np.nan
    out = {"kruskal_h": kw.statistic, "kruskal_p": kw.p_value, "epsilon2": eps2,
           "jt_test": "none", "jt_p": np.nan, "jt_z": np.nan, "jt_direction": "", "spearman_rho": np.nan,
           "spearman_p": np.nan, "trend_why": ""}
    dropped = ""
    if numeric and any(x is None for x in levels):  # a 'null' level (e.g. the exact proxy) has no place on the axis
        keep = [i for i, x in enumerate(levels) if x is not None]
        levels, groups = [levels[i] for i in keep], [groups[i] for i in keep]
        dropped = "; the null level is left out of the trend test"
    if not numeric or len(levels) < 3:
        out["trend_why"] = ("no trend test: levels are not ordered numbers" if not numeric else
                            "no trend test: fewer than 3 numeric levels")
        return out
    jt = jonckheere(groups, seed)
    out.update(jt_test=jt.name, jt_p=jt.p_value, jt_z=jt.extra.get("z", np.nan), trend_why=jt.note + dropped)
    if jt.name != "none" and jt.p_value < alpha:
        out["jt_direction"] = (f"{better_word(jt.sign, sense)} with larger {f}" if jt.sign else "")
    elif jt.name != "none":
        out["jt_direction"] = "n.s."
    lvl = np.concatenate([np.full(g.size, float(x)) for x, g in zip(levels, groups)])
    out["spearman_rho"], out["spearman_p"] = spearman_trend(lvl, np.concatenate(groups))
    return out


# ------------------------------------------------------------------------------------------------ importance
def importance(tab: pd.DataFrame, sweeps: dict) -> pd.DataFrame:
    """Per unit: the share of the metric's variance over the sweep that each factor (and each two-factor
    interaction of a cartesian sweep) explains, ranked; see the module docstring for the method."""
    rows = []
    if tab is None or tab.empty:
        return pd.DataFrame()
    for unit, u in tab.groupby("unit", sort=False):
        info = factor_info(sweeps, u)
        varied = [f for f in info if u["factors"].map(lambda d, f=f: _fmt(d.get(f))).nunique() > 1]
        if not varied:
            continue
        y = u["value"].to_numpy(float)
        if np.all(y == y[0]):
            rows += [{"unit": unit, "effect": f, "eta2": np.nan, "method": "all values identical"} for f in varied]
            continue
        cart = [f for f in varied if info[f]["design"] != "one-at-a-time"]
        if len(cart) == len(varied):
            rows += _anova(unit, u, varied)
        else:
            for f in varied:
                s, _ = _slice(u, f, info)
                rows += _anova(unit, s, [f], note="one-way on its one-at-a-time slice (not additive across "
                                                  "factors)")
    out = pd.DataFrame(rows)
    if len(out):
        eff = out["effect"] != RESIDUAL
        out["rank"] = np.nan
        out.loc[eff, "rank"] = out[eff].groupby("unit")["eta2"].rank(ascending=False, method="min",
                                                                        na_option="bottom")
        out = out.sort_values(["unit", "rank"], kind="stable", na_position="last").reset_index(drop=True)
    return out


def _anova(unit, u, factors, note="") -> list[dict]:
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    df = pd.DataFrame({f"f{i}": u["factors"].map(lambda d, f=f: _fmt(d.get(f))).values
                       for i, f in enumerate(factors)})
    df["y"] = u["value"].to_numpy(float)
    df = df[np.isfinite(df["y"])]
    names = {f"f{i}": f for i, f in enumerate(factors)}
    terms = [f"C({k})" for k in names]
    inter = [f"C({a}):C({b})" for i, a in enumerate(names) for b in list(names)[i + 1:]]
    full = len(df) > len(df.groupby(list(names)).size()) and inter  # replicates: interactions are estimable
    formula = "y ~ " + " + ".join(terms + (inter if full else []))
    model = smf.ols(formula, data=df).fit()
    table = anova_lm(model, typ=2)
    total = float(((df["y"] - df["y"].mean()) ** 2).sum())
    method = ("two-way" if len(factors) == 2 else f"{len(factors)}-way" if len(factors) > 2 else "one-way") + \
        " ANOVA, type-II sums of squares, eta2 = SS_effect / SS_total" + (" (with two-factor interactions)"
                                                                          if full else "") + \
        (f"; {note}" if note else "")
    out = []
    from scipy import stats

    for term, r in table.iterrows():
        if term == "Residual":
            name = RESIDUAL
        else:
            parts = [names[p[2:-1]] for p in term.split(":")]
            name = " x ".join(parts)
        eps2 = np.nan
        if term != "Residual" and ":" not in term:
            g = [grp["y"].to_numpy(float) for _, grp in df.groupby(term[2:-1])]
            if len(g) > 1 and not np.all(df["y"] == df["y"].iloc[0]):
                eps2 = float(stats.kruskal(*g).statistic / (len(df) - 1))
        out.append({"unit": unit, "effect": name, "eta2": float(r["sum_sq"]) / total if total > 0 else np.nan,
                    "df": float(r["df"]), "F": float(r.get("F", np.nan)), "p_anova": float(r.get("PR(>F)", np.nan)),
                    "epsilon2_kruskal": eps2, "method": method})
    return out


def interaction_grid(tab: pd.DataFrame, unit: str, fa: str, fb: str) -> pd.DataFrame:
    """Mean of the metric per (level of ``fa``, level of ``fb``) in one unit (rows ``fa``, columns ``fb``)."""
    u = tab[tab["unit"] == unit]
    d = pd.DataFrame({fa: u["factors"].map(lambda x: x.get(fa)), fb: u["factors"].map(lambda x: x.get(fb)),
                      "value": u["value"]})
    g = d.assign(**{fa: d[fa].map(_fmt), fb: d[fb].map(_fmt)}).groupby([fa, fb], sort=False)["value"].mean()
    return g.unstack(fb)


__all__ = ["fmt_value", "factor_info", "factor_tests", "importance", "interaction_grid", "jonckheere", "jonckheere_normal",
           "jonckheere_statistic", "spearman_trend", "sweep_table"]
