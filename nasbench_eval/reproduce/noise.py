"""Proxy-quality sweep: how the tabular result degrades as the fitness becomes a noisier proxy of the truth.

The supernet-based rows of the papers (EvNAS, pEvoNAS, NEvoNAS, CMANAS weight-sharing) cannot be reproduced on the
tabular path: their fitness is a weight-sharing supernet's accuracy, whose rank correlation with stand-alone
accuracy is far from 1. The :class:`~nasbench_eval.evaluators.noise.ProxyNoiseEvaluator` replaces the validation
accuracy by a copy with a chosen Kendall tau to the truth (a different noise field per seed), so the reproduced
test accuracy can be shown as a function of proxy quality next to the published numbers.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd


def _tau(problem_info: str) -> float:
    info = json.loads(problem_info)
    tau = info.get("proxy_noise_tau")
    return 1.0 if tau is None else float(tau)


def noise_table(runs: pd.DataFrame) -> pd.DataFrame:
    from ..stats.summary import metric_column

    col = metric_column(runs, "test_acc")
    df = runs[["algorithm", "dataset", "seed", col]].rename(columns={col: "test_acc"}).copy()
    df["tau"] = runs["problem_info"].map(_tau)
    g = df.groupby(["algorithm", "dataset", "tau"], sort=True)["test_acc"]
    return g.agg(n="count", mean="mean", std=lambda x: float(np.std(x, ddof=1))).reset_index()


def noise_sections(res, data: dict, out: Path) -> list[str]:
    t = noise_table(res.runs)
    rep = data.get("reported_data", {}).get("rows", {})
    compare = data.get("compare", {})
    parts = ["## Test accuracy vs proxy quality (Kendall tau of the fitness with the true validation accuracy)\n\n"]
    taus = sorted(t.tau.unique())
    for ds, gd in t.groupby("dataset", sort=False):
        parts.append(f"### {ds}\n\n| algorithm | " + " | ".join(f"tau={x:g}" for x in taus) +
                     " | paper |\n" + "|---" * (len(taus) + 2) + "|\n")
        for algo, g in gd.groupby("algorithm", sort=False):
            cells = []
            for x in taus:
                r = g[g.tau == x]
                cells.append(f"{r['mean'].iloc[0]:.2f} ± {r['std'].iloc[0]:.2f}" if len(r) else "-")
            paper = rep.get(compare.get(algo, ""), {}).get(ds, {}).get("test")
            cells.append(f"{paper[0]:.2f} ± {paper[1]:.2f}" if paper else "-")
            parts.append(f"| {algo} | " + " | ".join(cells) + " |\n")
        parts.append("\n")
    png = _plot(t, rep, compare, out)
    parts.append(f"![test accuracy vs proxy quality]({png.name})\n\nReading: where a paper's supernet number "
                 "meets our curve gives the proxy quality (tau) that would explain it on the tabular path. "
                 "tau = 1 is the exact tabular fitness.\n\n")
    t.to_csv(out / "proxy_noise.csv", index=False)
    return parts


def _plot(t: pd.DataFrame, rep: dict, compare: dict, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(dict.fromkeys(t.dataset))
    fig, axes = plt.subplots(1, len(datasets), figsize=(5.5 * len(datasets), 4), squeeze=False)
    for ax, ds in zip(axes[0], datasets):
        for i, (algo, g) in enumerate(t[t.dataset == ds].groupby("algorithm", sort=False)):
            c = f"C{i}"
            se = g["std"] / np.sqrt(g["n"])
            ax.plot(g.tau, g["mean"], "o-", color=c, label=algo)
            ax.fill_between(g.tau, g["mean"] - se, g["mean"] + se, color=c, alpha=0.2)
            paper = rep.get(compare.get(algo, ""), {}).get(ds, {}).get("test")
            if paper:
                ax.axhline(paper[0], color=c, ls=":", lw=1.2)
        ax.set_xlabel("Kendall tau of the search fitness with the true validation accuracy")
        ax.set_ylabel("test accuracy (%) of the chosen arch")
        ax.set_title(f"{ds} (dotted: the paper's number)")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    path = out / "proxy_noise.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
