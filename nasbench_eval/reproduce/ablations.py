"""``reproduce ablations``: the seed papers' ablations run as sweeps, each setting tested against the full algorithm,
next to the papers' numbers (direction only: their protocol is a weight-sharing supernet or the DARTS space).

Per ablation (one spec of the reproduction) and dataset/problem: mean ± std (ddof=1) of each metric per setting,
the test of the setting against the full algorithm (:func:`nasbench_eval.stats.compare_to_baseline`: Kruskal-Wallis
first with >= 3 settings, Mann-Whitney U, Holm over the settings), and the paper's number and the sign of its
difference where the paper reports one. "direction reproduced" = our test is significant with the paper's sign;
"not reproduced" = significant with the opposite sign; "no significant difference" otherwise.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import stats


def ablation_table(res, ab: dict, seed: int = 0) -> pd.DataFrame:
    """One row per (metric, problem, setting): ours, the test vs the reference, the paper, the verdict."""
    runs = res.runs
    rep = ab.get("reported") or {}
    rows_rep, claims = rep.get("rows") or {}, rep.get("claim") or {}
    ref = ab.get("reference") or ""
    names = ab.get("names") or {}
    out = []
    for metric in ab.get("metrics", ["test_acc"]):
        values = stats.final_values(runs, metric)
        sense = stats.metric_sense(metric)
        have_ref = ref in set(values["algorithm"])
        cmp = (stats.compare_to_baseline(values, ref, 0.05, sense, stats.pairing(runs), seed) if have_ref
               else pd.DataFrame(columns=["problem", "algorithm"]))
        dataset = runs.drop_duplicates("problem").set_index("problem")["dataset"]
        for (p, a), g in values.groupby(["problem", "algorithm"], sort=False):
            v = g["value"].to_numpy(float)
            refv = values[(values.problem == p) & (values.algorithm == ref)]["value"].to_numpy(float)
            c = cmp[(cmp["problem"] == p) & (cmp["algorithm"] == a)]
            c = c.iloc[0] if len(c) else None
            ds = dataset.get(p, "")
            paper = (rows_rep.get(a) or {}).get(ds) if metric == "test_acc" else None
            paper_ref = (rows_rep.get(ref) or {}).get(ds) if metric == "test_acc" else None
            paper_sign = claims.get(a)
            if paper and paper_ref and a != ref:
                d = paper[0] - paper_ref[0]
                paper_sign = stats.direction.better_word(np.sign(d), sense)
            ours = c["direction"] if c is not None else ""
            if c is not None and c["test"] != "none" and not bool(c["reachable"]):
                ours = "too few runs"
            out.append({"ablation": ab.get("title", ""), "metric": metric, "problem": p, "dataset": ds,
                        "setting": a, "name": names.get(a, a), "reference": a == ref, "n": int(np.isfinite(v).sum()),
                        "mean": float(np.nanmean(v)) if v.size else np.nan,
                        "std": float(np.nanstd(v, ddof=1)) if np.isfinite(v).sum() > 1 else np.nan,
                        "diff": float(np.nanmean(v) - np.nanmean(refv)) if refv.size and a != ref else np.nan,
                        "test": c["test"] if c is not None else "", "p_holm": c["p_holm"] if c is not None else np.nan,
                        "a12": c["a12"] if c is not None else np.nan, "ours": ours,
                        "why": c["why"] if c is not None else "",
                        "paper_mean": paper[0] if paper else np.nan, "paper_std": paper[1] if paper else np.nan,
                        "paper": paper_sign or "", "verdict": _verdict(a == ref, ours, paper_sign)})
    df = pd.DataFrame(out)
    if len(df):  # problems in spec order, settings in spec order within each
        order = {p: i for i, p in enumerate(dict.fromkeys(runs["problem"]))}
        df = df.sort_values(["metric", "problem"], key=lambda c: c.map(order) if c.name == "problem" else
                            c.map({m: i for i, m in enumerate(ab.get("metrics", ["test_acc"]))}),
                            kind="stable").reset_index(drop=True)
    return df


def trend_table(res, metric: str = "test_acc") -> pd.DataFrame:
    """Response and trend per unit of a sweep without a single reference (e.g. proxy quality)."""
    from ..stats.ablation import factor_tests

    r = factor_tests(res.runs, res.manifest["spec"].get("sweeps"), metric)
    if r["response"].empty:
        return pd.DataFrame()
    wide = r["response"].pivot_table(index=["unit", "factor"], columns="level", values="mean", sort=False)
    return wide.reset_index().merge(r["trend"][["unit", "factor", "kruskal_p", "jt_z", "jt_p", "jt_direction",
                                                "spearman_rho", "spearman_p"]], on=["unit", "factor"])


def _verdict(is_ref: bool, ours: str, paper: str | None) -> str:
    if is_ref:
        return "reference"
    if not paper:
        return "no reported effect to compare"
    if ours in ("better", "worse"):
        return "direction reproduced" if ours == paper else "not reproduced (opposite direction)"
    if ours == "too few runs":
        return "untested: too few runs to reach significance"
    return "not reproduced (no significant difference)"


def _f(m, s=np.nan) -> str:
    if not np.isfinite(m):
        return "-"
    return f"{m:.2f} ± {s:.2f}" if np.isfinite(s) else f"{m:.2f}"


def ablation_sections(results: dict, data: dict, out: Path) -> list[str]:
    parts, tables = [], []
    for key, res in results.items():
        ab = (data.get("ablations") or {}).get(key, {})
        t = ablation_table(res, ab)
        tables.append(t.assign(key=key))
        parts.append(f"## {ab.get('title', key)}\n\n")
        rep = ab.get("reported") or {}
        if rep.get("source"):
            parts.append(f"Paper: {rep['source']}. Its protocol: {rep.get('protocol', 'not stated')}.\n\n")
        if not ab.get("reference"):
            tr = trend_table(res, (ab.get("metrics") or ["test_acc"])[0])
            parts.append("No single reference setting: the response (mean per level) and the trend tests "
                         f"(Kruskal-Wallis; Jonckheere-Terpstra over the numeric levels; Spearman); plots in "
                         f"[{key}/report/report.md]({key}/report/report.md).\n\n")
            if len(tr):
                tr.to_csv(out / f"ablation_trend_{key}.csv", index=False)
                from ..report.tables import frame_table

                parts.append(frame_table(tr, "md", 3) + "\n")
            continue
        for metric, tm in t.groupby("metric", sort=False):
            parts.append(f"**{metric}** (mean ± std over seeds; test vs the reference setting, Holm-adjusted p):\n\n")
            parts.append("| problem | setting | n | ours | Δ vs ref | test: p (Holm), A12 | ours | paper | paper says "
                         "| verdict |\n|---|---|---|---|---|---|---|---|---|---|\n")
            for r in tm.itertuples(index=False):
                tst = f"{r.p_holm:.2g}, {r.a12:.2f}" if np.isfinite(r.p_holm) else (r.test or "-")
                parts.append(f"| {r.problem} | {r.name} | {r.n} | {_f(r.mean, r.std)} | "
                             f"{r.diff:+.2f} | {tst} | {r.ours or '-'} | {_f(r.paper_mean, r.paper_std)} | "
                             f"{r.paper or '-'} | {r.verdict} |\n".replace("| nan |", "| - |").replace(
                                 "| +nan |", "| - |"))
            parts.append("\n")
    allt = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    if len(allt):
        allt.to_csv(out / "ablations.csv", index=False)
        counts = allt[~allt["verdict"].isin(["reference", "no reported effect to compare"])]["verdict"] \
            .value_counts().to_dict()
        parts.append("Verdicts (direction of the paper's ablation effect, ours at alpha = 0.05): " +
                     ", ".join(f"{k}: {v}" for k, v in counts.items()) + ". `ablations.csv` has every row.\n\n")
    return parts
