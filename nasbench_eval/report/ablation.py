"""The ablation section of a report: for every swept setting, the response of the metric, its tests and effect
sizes, interaction heatmaps of two swept settings, and a ranking of which settings matter most.

The statistics come from :mod:`nasbench_eval.stats.ablation` (the package's own Mann-Whitney / Kruskal-Wallis /
Holm, the one metric-sense rule); this module only lays them out and draws the plots.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..stats import ablation as ab
from ..stats.direction import metric_sense
from .tables import frame_table, heading, image, paragraph, render


def _h(text, level, fmt):
    return heading(text, level, fmt)  # HTML: escaped (tables.html_text is the one HTML text path)


def _p(text, fmt):
    return paragraph(text, fmt)


def _img(rel, alt, fmt):
    return image(rel, alt, fmt, md_end="\n\n")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _g(x, digits=2) -> str:
    return "-" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _pv(x) -> str:
    return "-" if x is None or not np.isfinite(x) else f"{x:.2g}"


def ablation_sections(runs: pd.DataFrame, sweeps: dict | None, out: Path, fmt: str = "md", metric: str = "test_acc",
                      alpha: float = 0.05, seed: int = 0, sense: str | None = None) -> list[str]:
    """Markdown/HTML parts of the ablation section (empty when the spec swept nothing); writes ``ablation_*.csv``
    and the PNGs into ``out``."""
    if not sweeps:
        return []
    sense = metric_sense(metric, sense)
    res = ab.factor_tests(runs, sweeps, metric, alpha, sense, seed)
    if res["response"].empty:
        return []
    imp = ab.importance(res["table"], sweeps)
    for k in ("response", "tests", "trend"):
        res[k].to_csv(out / f"ablation_{k}.csv", index=False)
    imp.to_csv(out / "ablation_importance.csv", index=False)
    s = [_h(f"Ablation: how {metric} responds to each swept setting", 2, fmt)]
    s.append(_p(_method_text(metric, sense, alpha), fmt))
    if len(imp):
        s.append(_h("Which settings matter most", 3, fmt))
        s.append(_p("Share of the variance of the metric over the sweep that each setting explains (eta-squared; "
                    "method per row), ranked within each unit; epsilon2: rank-based effect size of the "
                    "Kruskal-Wallis H, H / (n - 1). The residual is the run-to-run variance at fixed settings.", fmt))
        t = imp[["unit", "rank", "effect", "eta2", "epsilon2_kruskal", "p_anova"]].copy()
        t["rank"] = t["rank"].map(lambda r: "-" if not np.isfinite(r) else str(int(r)))
        t["p_anova"] = t["p_anova"].map(_pv)
        s.append(frame_table(t, fmt, 3))
        methods = imp.drop_duplicates("unit")[["unit", "method"]]
        s.append(_p("Method: " + "; ".join(f"{u}: {m}" for u, m in methods.itertuples(index=False)) +
                    ". p_anova: the F test of that linear model (normal-theory, descriptive next to the rank "
                    "tests below).", fmt))
    for unit in dict.fromkeys(res["response"]["unit"]):
        s += _unit_sections(unit, res, sweeps, out, fmt, metric, sense, alpha)
    return s


def _method_text(metric, sense, alpha) -> str:
    return (f"{metric} is {'maximised' if sense == 'max' else 'minimised'}. Per unit (one swept algorithm on one "
            "problem, or one algorithm on a swept problem) and setting: mean with a 95 % bootstrap CI per level; "
            "Kruskal-Wallis across the levels (the runs are independent: every cell has its own random stream); "
            "for ordered numeric levels also the Jonckheere-Terpstra trend test and Spearman's rho; each level "
            "against the reference level (the default when it was swept) with a two-sided Mann-Whitney U test, "
            "Holm over the levels of that setting, only after the Kruskal-Wallis test rejects "
            f"(alpha = {alpha:g}; with two levels the single comparison runs directly). A12: probability that a "
            "run at the level beats one at the reference (oriented: > 0.5 is better); HL shift: Hodges-Lehmann "
            "estimate of level minus reference, in the metric's units. In a cartesian sweep a setting's effect is "
            "its marginal effect (all runs, pooled over the other settings); in a one-at-a-time sweep it is tested "
            "with the other settings at their defaults. Where a shared proxy-noise field pairs the runs by seed label, "
            "the paired tests of the report are used (Friedman, Wilcoxon).")


def _unit_sections(unit, res, sweeps, out, fmt, metric, sense, alpha) -> list[str]:
    resp = res["response"][res["response"]["unit"] == unit]
    tests = res["tests"][res["tests"]["unit"] == unit]
    trend = res["trend"][res["trend"]["unit"] == unit]
    s = [_h(f"Ablation: {unit}", 3, fmt)]
    png = f"ablation_{_safe(unit)}.png"
    response_plot(resp, out / png, unit, metric)
    s.append(_img(png, f"response of {metric}: {unit}", fmt))
    for f in dict.fromkeys(resp["factor"]):
        r, t = resp[resp["factor"] == f], tests[tests["factor"] == f]
        tr = trend[trend["factor"] == f].iloc[0]
        s.append(_p(f"**{f}** ({tr['scope']}). " + _trend_text(tr, t, alpha), fmt))
        s.append(_level_table(r, t, fmt))
    tab = res["table"][res["table"]["unit"] == unit]
    info = ab.factor_info(sweeps, tab)
    cart = [f for f in info if info[f]["design"] != "one-at-a-time" and
            tab["factors"].map(lambda d, f=f: ab.fmt_value(d.get(f))).nunique() > 1]
    for i, fa in enumerate(cart):
        for fb in cart[i + 1:]:
            grid = ab.interaction_grid(tab, unit, fa, fb)
            name = f"ablation_{_safe(unit)}_{_safe(fa)}_x_{_safe(fb)}.png"
            heatmap(grid, out / name, f"{unit}: mean {metric}", fa, fb, sense)
            s.append(_img(name, f"interaction {fa} x {fb}", fmt))
    return s


def _trend_text(tr, t, alpha) -> str:
    parts = []
    if t.iloc[0]["omnibus"]:
        parts.append(f"Kruskal-Wallis p = {_pv(t.iloc[0]['omnibus_p'])}, epsilon2 = {_g(tr['epsilon2'], 3)}.")
    else:
        parts.append("Two levels: the Mann-Whitney U test below is the test.")
    if tr["jt_test"] != "none":
        d = tr["jt_direction"]
        parts.append(f"Jonckheere-Terpstra trend: z = {_g(tr['jt_z'])}, p = {_pv(tr['jt_p'])}"
                     + (f" ({d})" if d and d != "n.s." else " (no monotone trend at alpha)") +
                     f"; Spearman rho = {_g(tr['spearman_rho'])}, p = {_pv(tr['spearman_p'])}.")
    elif tr["trend_why"]:
        parts.append(tr["trend_why"].capitalize() + ".")
    skipped = t[t["test"] == "none"]
    if len(skipped):
        parts.append("Pairwise: " + skipped.iloc[0]["why"] + ".")
    cannot = t[(t["test"] != "none") & ~t["reachable"].astype(bool)]
    if len(cannot):
        parts.append("Some comparisons cannot reach significance with this many runs (unmarked = too few runs, "
                     "not no difference).")
    ref = t.iloc[0]
    parts.append(f"Reference level: {ref['reference']} ({ref['reference_is']}).")
    return " ".join(parts)


def _level_table(r: pd.DataFrame, t: pd.DataFrame, fmt: str) -> str:
    rows = []
    by = {x.level: x for x in t.itertuples(index=False)}
    for x in r.itertuples(index=False):
        c = by.get(x.level)
        mark = ""
        if c is not None and c.direction in ("better", "worse"):
            mark = " ▲" if c.direction == "better" else " ▼"
        rows.append([x.level + (" (ref)" if x.reference else ""), str(int(x.n)),
                     f"{_g(x.mean)} [{_g(x.ci_low)}, {_g(x.ci_high)}]{mark}", _g(x.median),
                     c.test if c is not None else "", _pv(c.p_value) if c is not None else "",
                     _pv(c.p_holm) if c is not None else "", _g(c.a12) if c is not None else "",
                     _g(c.shift) if c is not None else ""])
    return render(["level", "n", "mean [95% CI]", "median", "test vs ref", "p", "p (Holm)", "A12", "HL shift"],
                  rows, fmt)


# ------------------------------------------------------------------------------------------------ plots
def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def response_plot(resp: pd.DataFrame, path: Path, title: str, metric: str) -> Path:
    """One panel per swept setting: mean and 95 % CI of the metric against the level (numeric axis when the
    levels are numbers, log-scaled when they span more than a factor 10), the reference level in red."""
    plt = _plt()
    factors = list(dict.fromkeys(resp["factor"]))
    fig, axes = plt.subplots(1, len(factors), figsize=(4.6 * len(factors), 3.6), squeeze=False)
    for ax, f in zip(axes[0], factors):
        r = resp[resp["factor"] == f]
        num = r["level_value"].notna().all()
        x = r["level_value"].to_numpy(float) if num else np.arange(len(r))
        y = r["mean"].to_numpy(float)
        err = np.vstack([y - r["ci_low"].to_numpy(float), r["ci_high"].to_numpy(float) - y])
        ax.errorbar(x, y, yerr=np.where(np.isfinite(err), err, 0), fmt="o-", capsize=3, color="C0")
        ref = r["reference"].to_numpy(bool)
        ax.plot(x[ref], y[ref], "o", color="C3", ms=9, label="reference")
        if num and x.min() > 0 and x.max() / x.min() > 10:
            ax.set_xscale("log")
        if num:
            ax.set_xticks(x, r["level"])
        else:
            ax.set_xticks(x, r["level"], rotation=20)
        ax.set_xlabel(f)
        ax.set_ylabel(f"{metric} (mean, 95% CI)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def heatmap(grid: pd.DataFrame, path: Path, title: str, fa: str, fb: str, sense: str) -> Path:
    """Mean metric per pair of levels of two swept settings (brighter = better)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(1.1 * grid.shape[1] + 2.6, 0.6 * grid.shape[0] + 1.8))
    z = grid.to_numpy(float)
    im = ax.imshow(z, cmap="viridis" if sense == "max" else "viridis_r", aspect="auto")
    ax.set_xticks(range(grid.shape[1]), list(grid.columns))
    ax.set_yticks(range(grid.shape[0]), list(grid.index))
    ax.set_xlabel(fb)
    ax.set_ylabel(fa)
    lo, hi = np.nanmin(z), np.nanmax(z)
    for i in range(z.shape[0]):
        for j in range(z.shape[1]):
            if np.isfinite(z[i, j]):
                low = (z[i, j] - lo) / (hi - lo + 1e-12) < 0.5
                ax.text(j, i, f"{z[i, j]:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if low == (sense == "max") else "black")
    fig.colorbar(im, ax=ax, shrink=0.8)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
