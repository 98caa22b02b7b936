"""The hardware-aware comparison: MO-HDNAS (one run judged at nine thresholds) vs HW-EvRSNAS (nine runs).

Per device and seed, HW-EvRSNAS's nine constrained runs are summed (evaluations) and averaged (gap, feasibility);
MO-HDNAS's single run carries its per-threshold picks in the runs table (``mean_gap``, ``feasible_fraction``,
``hv_norm``), computed by the runner against the exhaustive ground truth.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd


def _device(info: str) -> str:
    return json.loads(info).get("device", "?")


def hw_table(results: dict) -> pd.DataFrame:
    rows = []
    if "mo" in results:
        r = results["mo"].runs.copy()
        r["device"] = r["problem_info"].map(_device)
        r["runs_per_answer"] = 1
        rows.append(r[["device", "algorithm", "seed", "evaluations", "runs_per_answer", "hv_norm", "mean_gap",
                       "feasible_fraction"]])
    if "evrs" in results:
        r = results["evrs"].runs.copy()
        r["device"] = r["problem_info"].map(_device)
        g = r.groupby(["device", "algorithm", "seed"], sort=False).agg(
            evaluations=("evaluations", "sum"), runs_per_answer=("evaluations", "size"),
            mean_gap=("mean_gap", "mean"), feasible_fraction=("feasible_fraction", "mean")).reset_index()
        g["algorithm"] = g["algorithm"] + " x" + g["runs_per_answer"].astype(str)
        g["hv_norm"] = np.nan
        rows.append(g[["device", "algorithm", "seed", "evaluations", "runs_per_answer", "hv_norm", "mean_gap",
                       "feasible_fraction"]])
    df = pd.concat(rows, ignore_index=True)
    agg = df.groupby(["device", "algorithm"], sort=False).agg(
        seeds=("seed", "nunique"), runs=("runs_per_answer", "first"), evaluations=("evaluations", "mean"),
        evaluations_std=("evaluations", "std"), hv_norm=("hv_norm", "mean"), hv_norm_std=("hv_norm", "std"),
        mean_gap=("mean_gap", "mean"), mean_gap_std=("mean_gap", "std"),
        feasible=("feasible_fraction", "mean")).reset_index()
    return agg


def hw_sections(results: dict, data: dict, out: Path) -> list[str]:
    t = hw_table(results)
    t.to_csv(out / "hw_comparison.csv", index=False)
    lines = ["## Per device: evaluations, front quality and per-threshold quality (mean ± std over seeds)\n\n",
             "| device | method | runs per answer | evaluations | normalised HV | mean gap (points) | feasible picks |\n",
             "|---|---|---:|---:|---:|---:|---:|\n"]
    for _, r in t.iterrows():
        hv = f"{r.hv_norm:.3f} ± {r.hv_norm_std:.3f}" if np.isfinite(r.hv_norm) else "-"
        lines.append(f"| {r.device} | {r.algorithm} | {r.runs} | {r.evaluations:.0f} ± {r.evaluations_std:.0f} | "
                     f"{hv} | {r.mean_gap:+.2f} ± {r.mean_gap_std:.2f} | {100 * r.feasible:.0f} % |\n")
    mo = t[t.algorithm == "mo-hdnas"].set_index("device").evaluations
    ev = t[t.algorithm.str.startswith("hw-evrsnas")].set_index("device").evaluations
    ratio = (ev / mo).dropna()
    claim = data.get("reported_claim", {})
    lines.append(f"\nEvaluation ratio HW-EvRSNAS (nine runs) / MO-HDNAS (one run): "
                 + ", ".join(f"{d} {v:.1f}x" for d, v in ratio.items())
                 + f". Reported (GPU-hours, CIFAR-100 / FPGA, RMI proxy): {claim.get('hw_evrsnas_gpu_hours')} / "
                 f"{claim.get('mo_hdnas_gpu_hours')} = {claim.get('ratio')}x. The papers' ratio also includes "
                 "HW-EvRSNAS's unpublished population and generation counts, so only the direction is comparable.\n\n")
    return lines
