"""The hardware-aware comparison: MO-HDNAS (one run judged at every threshold) vs HW-EvRSNAS (one run per threshold),
with the baselines that say whether either beats chance: plain NSGA-II and random search at the same budgets.

Per device and seed (everything read from the two result stores, judged by :mod:`nasbench_eval.judge`):

* one-run methods (MO-HDNAS, its no-diversity ablation, NSGA-II): the runner's row of the run (per-threshold picks
  from its front: ``mean_gap``, ``feasible_fraction``; front quality ``hv_norm``, ``igd_plus``);
* HW-EvRSNAS, one constrained run per distinct threshold (quantiles that are one physical cost are run once):
  evaluations summed, gap and feasibility averaged over the thresholds. Its answers are single architectures: no
  HV is reported for them (nine picks are not a front);
* random search at HW-EvRSNAS's budget (``random xN``): per threshold, the answer of a random search after
  ``RANDOM_PER_THRESHOLD`` evaluations (the mean number of distinct evaluations of one HW-EvRSNAS run at its default
  settings, 230-240 on these devices), i.e. the best proxy with cost <= T among the first evaluations of the random
  run on that threshold's problem (random search samples independently of the scores, so a prefix of its run *is*
  a run with the smaller budget);
* random search at MO-HDNAS's budget (``random (one run)``): the first random run's 1,000 evaluated archs per device
  and seed judged as a front, at every threshold and by HV, exactly like the one-run methods.

HV is normalised over the true front of the *connected* architectures (:data:`nasbench_eval.judge.BAND_RULE`).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..judge import BAND_RULE, cost_le, front_indicators, pick_per_threshold

RANDOM_PER_THRESHOLD = 240
COLS = ["device", "algorithm", "seed", "evaluations", "runs_per_answer", "hv_norm", "igd_plus", "mean_gap",
        "feasible_fraction"]


def _info(info: str) -> dict:
    return json.loads(info)


def _one_run_rows(res) -> pd.DataFrame:
    r = res.runs.copy()
    r["device"] = r["problem_info"].map(lambda s: _info(s).get("device", "?"))
    r["runs_per_answer"] = 1
    return r[COLS]


def _per_threshold_rows(res) -> pd.DataFrame:
    r = res.runs[res.runs["algorithm"] != "random"].copy()
    info = r["problem_info"].map(_info)
    r["device"] = info.map(lambda d: d.get("device", "?"))
    r["threshold"] = info.map(lambda d: d.get("threshold"))
    r = r.drop_duplicates(["device", "algorithm", "seed", "threshold"])  # merged thresholds: judged once
    if not len(r):
        return pd.DataFrame(columns=COLS)
    g = r.groupby(["device", "algorithm", "seed"], sort=False).agg(
        evaluations=("evaluations", "sum"), runs_per_answer=("evaluations", "size"),
        mean_gap=("mean_gap", "mean"), feasible_fraction=("feasible_fraction", "mean")).reset_index()
    g["algorithm"] = g["algorithm"] + " x" + g["runs_per_answer"].astype(str)
    g["hv_norm"] = np.nan
    g["igd_plus"] = np.nan
    return g[COLS]


def _random_one_run_rows(res, algorithm: str = "random") -> pd.DataFrame:
    """Random search judged as one run: the evaluated set of its first per-threshold run per device and seed."""
    runs = res.runs[res.runs["algorithm"] == algorithm]
    if not len(runs) or res.truth_thresholds is None or not len(res.truth_thresholds):
        return pd.DataFrame(columns=COLS)
    info = runs["problem_info"].map(_info)
    runs = runs.assign(device=info.map(lambda d: d.get("device", "?")),
                       cost_metric=info.map(lambda d: d.get("cost_metric")))
    dev_problems = runs.groupby("device")["problem"].agg(lambda s: list(dict.fromkeys(s)))
    rows = []
    for dev, probs in dev_problems.items():
        th = res.truth_thresholds[res.truth_thresholds["problem"].isin(probs)]
        th = th.drop_duplicates("threshold").sort_values("threshold")
        T, opt = th["threshold"].to_numpy(float), th["opt_test_acc"].to_numpy(float)
        fr = res.truth_fronts
        band = fr[(fr["problem"] == probs[0]) & (fr["space"] == "search") & fr["band"]]
        true_F = np.c_[-band["value"].to_numpy(float), band["cost"].to_numpy(float)]
        for _, run in runs[runs["device"] == dev].sort_values("cell").drop_duplicates("seed").iterrows():
            ev = res.evaluations[res.evaluations["cell"] == run["cell"]]
            proxy, cost = ev["valid_acc"].to_numpy(float), ev[run["cost_metric"]].to_numpy(float)
            test = ev["report_test_acc"].to_numpy(float)
            pick = pick_per_threshold(proxy, cost, T, "max")
            feas = np.array([p >= 0 and bool(cost_le(cost[p], t)) for p, t in zip(pick, T)])
            gaps = [o - test[p] for p, o, f in zip(pick, opt, feas) if f and np.isfinite(o)]
            ind = front_indicators(np.c_[-proxy, cost], true_F, true_F.min(axis=0), true_F.max(axis=0))
            rows.append({"device": dev, "algorithm": f"{algorithm} (one run)", "seed": run["seed"],
                         "evaluations": run["evaluations"], "runs_per_answer": 1, "hv_norm": ind["hv_norm"],
                         "igd_plus": ind["igd_plus"], "mean_gap": np.mean(gaps) if gaps else np.nan,
                         "feasible_fraction": feas.mean()})
    return pd.DataFrame(rows, columns=COLS)


def _random_prefix_rows(res, n: int = RANDOM_PER_THRESHOLD, algorithm: str = "random") -> pd.DataFrame:
    """Random search with ``n`` evaluations per threshold: the answer of each random run's first ``n`` evaluations."""
    runs = res.runs[res.runs["algorithm"] == algorithm]
    th = res.truth_thresholds
    if not len(runs) or th is None or not len(th):
        return pd.DataFrame(columns=COLS)
    info = runs["problem_info"].map(_info)
    runs = runs.assign(device=info.map(lambda d: d.get("device", "?")),
                       threshold=info.map(lambda d: d.get("threshold")),
                       cost_metric=info.map(lambda d: d.get("cost_metric")))
    runs = runs.drop_duplicates(["device", "seed", "threshold"])  # merged thresholds: judged once
    opt = dict(zip(th["problem"], th["opt_test_acc"]))
    ev = res.evaluations[res.evaluations["cell"].isin(runs["cell"]) & (res.evaluations["eval"] <= n)]
    by_cell = dict(tuple(ev.groupby("cell", sort=False)))
    rows = []
    for _, run in runs.iterrows():
        e = by_cell.get(run["cell"])
        T = float(run["threshold"])
        (k,) = pick_per_threshold(e["valid_acc"].to_numpy(float), e[run["cost_metric"]].to_numpy(float), [T], "max")
        ok = k >= 0 and np.isfinite(opt.get(run["problem"], np.nan))
        rows.append({"device": run["device"], "seed": run["seed"], "evaluations": len(e),
                     "gap": opt[run["problem"]] - e["report_test_acc"].to_numpy(float)[k] if ok else np.nan,
                     "feasible": float(k >= 0)})
    g = pd.DataFrame(rows).groupby(["device", "seed"], sort=False).agg(
        evaluations=("evaluations", "sum"), runs_per_answer=("evaluations", "size"), mean_gap=("gap", "mean"),
        feasible_fraction=("feasible", "mean")).reset_index()
    g["algorithm"] = f"{algorithm} x" + g["runs_per_answer"].astype(str) + f" ({n} evaluations per run)"
    g["hv_norm"] = np.nan
    g["igd_plus"] = np.nan
    return g[COLS]


def hw_table(results: dict) -> pd.DataFrame:
    parts = []
    if "mo" in results:
        parts.append(_one_run_rows(results["mo"]))
    if "evrs" in results:
        parts.append(_per_threshold_rows(results["evrs"]))
        parts.append(_random_prefix_rows(results["evrs"]))
        parts.append(_random_one_run_rows(results["evrs"]))
    df = pd.concat([p for p in parts if len(p)], ignore_index=True)
    df[COLS[3:]] = df[COLS[3:]].astype(float)
    df["runs_per_answer"] = df["runs_per_answer"].astype(int)
    agg = df.groupby(["device", "algorithm"], sort=False).agg(
        seeds=("seed", "nunique"), runs=("runs_per_answer", "first"), evaluations=("evaluations", "mean"),
        evaluations_std=("evaluations", "std"), hv_norm=("hv_norm", "mean"), hv_norm_std=("hv_norm", "std"),
        igd_plus=("igd_plus", "mean"), mean_gap=("mean_gap", "mean"), mean_gap_std=("mean_gap", "std"),
        feasible=("feasible_fraction", "mean")).reset_index()
    return agg.sort_values(["device"], kind="stable").reset_index(drop=True)


def _threshold_notes(results: dict) -> list[str]:
    notes = []
    for res in results.values():
        th = res.truth_thresholds
        if th is None or not len(th):
            continue
        for n in dict.fromkeys(th.loc[th["note"].astype(bool), "note"]):
            notes.append(n)
    return list(dict.fromkeys(notes))


def hw_sections(results: dict, data: dict, out: Path) -> list[str]:
    t = hw_table(results)
    t.to_csv(out / "hw_comparison.csv", index=False)
    lines = ["## Per device: evaluations, front quality and per-threshold quality (mean ± std over seeds)\n\n",
             f"Normalised HV and IGD+: {BAND_RULE}. Reported only for methods whose one run returns a front; a method "
             "that answers one architecture per threshold is judged by gap and feasibility only. Gap = test "
             "accuracy of the constrained optimum (best proxy with cost <= T over the whole space, costs compared "
             "tie-safely) minus the pick's, over feasible picks (points).\n\n",
             "| device | method | runs per answer | evaluations | normalised HV | IGD+ | mean gap (points) | "
             "feasible picks |\n", "|---|---|---:|---:|---:|---:|---:|---:|\n"]
    for _, r in t.iterrows():
        hv = f"{r.hv_norm:.3f} ± {r.hv_norm_std:.3f}" if np.isfinite(r.hv_norm) else "-"
        igd = f"{r.igd_plus:.4f}" if np.isfinite(r.igd_plus) else "-"
        gap = f"{r.mean_gap:+.2f} ± {r.mean_gap_std:.2f}" if np.isfinite(r.mean_gap) else "-"
        lines.append(f"| {r.device} | {r.algorithm} | {r.runs} | {r.evaluations:.0f} ± {r.evaluations_std:.0f} | "
                     f"{hv} | {igd} | {gap} | {100 * r.feasible:.0f} % |\n")
    notes = _threshold_notes(results)
    if notes:
        lines.append("\nThresholds: " + "; ".join(notes) + ".\n")
    mo = t[t.algorithm == "mo-hdnas"].set_index("device").evaluations
    ev = t[t.algorithm.str.startswith("hw-evrsnas")].set_index("device").evaluations
    ratio = (ev / mo).dropna()
    claim = data.get("reported_claim", {})
    lines.append("\nEvaluation ratio HW-EvRSNAS (one run per threshold) / MO-HDNAS (one run): "
                 + ", ".join(f"{d} {v:.1f}x" for d, v in ratio.items())
                 + f". Reported (GPU-hours, CIFAR-100 / FPGA, RMI proxy): {claim.get('hw_evrsnas_gpu_hours')} / "
                 f"{claim.get('mo_hdnas_gpu_hours')} = {claim.get('ratio')}x. The papers' ratio also includes "
                 "HW-EvRSNAS's unpublished population and generation counts, so only the direction is comparable. "
                 f"Baselines: random search and NSGA-II at the same budgets (random x n with {RANDOM_PER_THRESHOLD} "
                 "evaluations per run: about the evaluations of one HW-EvRSNAS run, so the totals match; random (one "
                 "run, 1,000 evaluations) and NSGA-II: the budget of one MO-HDNAS run).\n\n")
    return lines
