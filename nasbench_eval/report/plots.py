"""PNG plots of a report: convergence curves, critical-difference diagram, ECDF, Pareto fronts, Beta-VAE."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _grid(n: int, w: float = 5.0, h: float = 3.6):
    plt = _plt()
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(w * cols, h * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return plt, fig, list(axes.flat)


def _colors(algos):
    plt = _plt()
    cmap = plt.get_cmap("tab10")
    return {a: cmap(i % 10) for i, a in enumerate(algos)}


def convergence(curves: pd.DataFrame, x: str, ylabel: str, path: Path, xlabel: str | None = None) -> Path:
    """Mean +- SE of the incumbent's metric per algorithm, one panel per problem."""
    problems = list(dict.fromkeys(curves["problem"]))
    colors = _colors(list(dict.fromkeys(curves["algorithm"])))
    plt, fig, axes = _grid(len(problems))
    for ax, p in zip(axes, problems):
        for a, g in curves[curves["problem"] == p].groupby("algorithm", sort=False):
            ax.plot(g[x], g["mean"], color=colors[a], label=a, lw=1.6)
            se = g["se"].fillna(0)
            ax.fill_between(g[x], g["mean"] - se, g["mean"] + se, color=colors[a], alpha=0.2, lw=0)
        ax.set_title(p, fontsize=10)
        ax.set_xlabel(xlabel or x)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        _zoom(ax, curves[curves["problem"] == p])
    axes[0].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _zoom(ax, df):
    """Start the y axis where the curves have left their first-evaluation values (the interesting part)."""
    m = df["mean"].dropna()
    if len(m) > 10:
        lo, hi = np.quantile(m, 0.05), m.max()
        pad = 0.05 * (hi - lo if hi > lo else 1.0)
        ax.set_ylim(lo - pad, hi + pad)


def ecdf_plot(ecdf: pd.DataFrame, path: Path) -> Path:
    problems = list(dict.fromkeys(ecdf["problem"]))
    colors = _colors(list(dict.fromkeys(ecdf["algorithm"])))
    plt, fig, axes = _grid(len(problems))
    for ax, p in zip(axes, problems):
        for a, g in ecdf[ecdf["problem"] == p].groupby("algorithm", sort=False):
            ax.step(g["eval"], g["fraction"], where="post", color=colors[a], label=a)
        ax.set_ylim(0, 1.02)
        ax.set_title(p, fontsize=10)
        ax.set_xlabel("evaluations")
        ax.set_ylabel("fraction of (run, target) pairs reached")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def cd_diagram(mean_ranks: pd.Series, cd: float, path: Path, title: str = "", show_cd: bool = True) -> Path:
    """Critical-difference diagram (Demsar 2006): average ranks on an axis (1 = best, left; the ranks must already
    follow the metric's sense), a bar of length CD, and thick lines joining groups of algorithms whose ranks differ
    by less than CD (not significantly different). ``cd = inf``, ``show_cd=False``: the omnibus test did not
    reject, so all algorithms form one group and no CD bar is drawn."""
    plt = _plt()
    r = mean_ranks.sort_values()
    names, ranks = list(r.index), r.to_numpy(float)
    k = len(names)
    lo, hi = 1, max(k, int(np.ceil(ranks.max())))
    half = int(np.ceil(k / 2))
    fig, ax = plt.subplots(figsize=(7, 1.3 + 0.35 * half))
    ax.set_xlim(lo - 0.3, hi + 0.3)
    ax.set_ylim(-(half + 0.7), 1.7)
    ax.axis("off")
    ax.hlines(0, lo, hi, color="k", lw=1)
    for t in range(lo, hi + 1):
        ax.vlines(t, 0, 0.15, color="k", lw=1)
        ax.text(t, 0.3, str(t), ha="center", va="bottom", fontsize=9)
    if show_cd and np.isfinite(cd):
        ax.hlines(1.2, lo, lo + cd, color="k", lw=1.5)
        ax.vlines([lo, lo + cd], 1.1, 1.3, color="k", lw=1.5)
        ax.text(lo + cd / 2, 1.35, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=9)
    for i, (n, rk) in enumerate(zip(names, ranks)):
        left = i < half
        y = -(i + 1) if left else -(k - i)
        xe = lo - 0.2 if left else hi + 0.2
        ax.plot([rk, rk, xe], [0, y, y], color="k", lw=0.8)
        ax.text(xe + (-0.05 if left else 0.05), y, f"{n} ({rk:.2f})", ha="right" if left else "left",
                va="center", fontsize=9)
    # cliques: maximal runs of consecutive algorithms whose rank spread is < CD
    cliques, level = [], 0
    for i in range(k):
        j = i
        while j + 1 < k and ranks[j + 1] - ranks[i] < cd:
            j += 1
        if j > i and not any(a <= i and j <= b for a, b in cliques):
            cliques.append((i, j))
    for i, j in cliques:
        y = -0.35 - 0.22 * level
        ax.hlines(y, ranks[i] - 0.03, ranks[j] + 0.03, color="tab:red", lw=3)
        level += 1
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def pareto(fronts: dict[str, np.ndarray], true_front: np.ndarray | None, xlabel: str, ylabel: str, title: str,
           path: Path) -> Path:
    """Fronts per algorithm (all seeds pooled, points) with the true front (line) when known.
    x = device cost (lower is better), y = accuracy (higher is better)."""
    plt = _plt()
    colors = _colors(list(fronts))
    fig, ax = plt.subplots(figsize=(6, 4.2))
    if true_front is not None and len(true_front):
        tf = true_front[np.argsort(true_front[:, 0])]
        ax.step(tf[:, 0], tf[:, 1], where="post", color="k", lw=1.4, label="true front", zorder=3)
    for a, pts in fronts.items():
        if len(pts):
            ax.scatter(pts[:, 0], pts[:, 1], s=14, alpha=0.55, color=colors[a], label=f"{a} (all seeds)")
    pts = np.concatenate([p for p in fronts.values() if len(p)] or [np.zeros((0, 2))])
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if len(pts) > 3:  # zoom on the algorithms' points (degenerate archs, e.g. all-'none', squash the axis)
        lo, hi = np.quantile(pts[:, 1], 0.05), pts[:, 1].max()
        pad = 0.08 * (hi - lo if hi > lo else 1.0)
        ax.set_ylim(lo - pad, hi + pad)
        if (pts[:, 1] < lo - pad).any():
            title += f" (y zoomed: {(pts[:, 1] < lo - pad).sum()} low points not shown)"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def betavae_plot(summary: pd.DataFrame, path: Path, metric: str = "accuracy") -> Path:
    plt = _plt()
    groups = list(summary.groupby(["dataset", "method"], sort=True))
    plt, fig, axes = _grid(max(len(groups), 1))
    for ax, ((ds, m), g) in zip(axes, groups):
        betas = sorted(g["beta"].unique())
        colors = _colors(betas)
        for b in betas:
            s = g[g["beta"] == b].sort_values("sparsity")
            ax.plot(s["sparsity"], s["mean"], marker="o", ms=3, color=colors[b], label=f"beta={b:g}")
            ax.fill_between(s["sparsity"], s["ci_low"], s["ci_high"], color=colors[b], alpha=0.2, lw=0)
        ax.set_title(f"{ds} ({m})", fontsize=10)
        ax.set_xlabel("sparsity")
        ax.set_ylabel(f"{metric} (mean, 95% CI)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
