"""Report of a Beta-VAE sweep, read only from ``results.parquet``: ``report.md`` and two PNG plots.

Accuracy is the test-split accuracy (``metric='accuracy', source='test'``), summarised per (beta, sparsity) as the
mean over seeds with a 95 % percentile bootstrap confidence interval of the mean (``scipy.stats.bootstrap``,
9,999 resamples, fixed ``numpy.random.default_rng(0)``). With few seeds (3) the percentile interval is close to the
range of the seeds and is optimistic; with one seed no interval is given.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

LATENT_METRICS = ("mean_abs_offdiag_corr", "gaussian_total_correlation", "active_units_var", "active_units_kl")


def mean_ci(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Return (mean, low, high) with a percentile bootstrap CI of the mean; (mean, nan, nan) below 2 values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(v.mean())
    if len(v) < 2:
        return m, float("nan"), float("nan")
    if np.all(v == v[0]):
        return m, m, m
    from scipy.stats import bootstrap
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = bootstrap((v,), np.mean, confidence_level=confidence, n_resamples=9999, method="percentile",
                        rng=np.random.default_rng(0))
    return m, float(res.confidence_interval.low), float(res.confidence_interval.high)


def summarise(df: pd.DataFrame, metric: str = "accuracy", source: str = "test") -> pd.DataFrame:
    """One row per (beta, sparsity): n seeds, mean, ci_low, ci_high of ``metric`` from ``source``."""
    sel = df[(df.metric == metric) & (df.source == source)]
    rows = []
    for (beta, sp), g in sel.groupby(["beta", "sparsity"], sort=True):
        m, lo, hi = mean_ci(g["value"].to_numpy())
        rows.append({"beta": beta, "sparsity": sp, "n": int(g["seed"].nunique()), "mean": m, "ci_low": lo,
                     "ci_high": hi})
    return pd.DataFrame(rows, columns=["beta", "sparsity", "n", "mean", "ci_low", "ci_high"])


def _pct(m, lo, hi) -> str:
    if np.isnan(m):
        return "n/a"
    if np.isnan(lo):
        return f"{100 * m:.1f}"
    return f"{100 * m:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"


def _grid_table(summary: pd.DataFrame, fmt, extra_rows=()) -> list[str]:
    sps = sorted(summary.sparsity.unique())
    lines = ["| beta | " + " | ".join(f"s={s:g}" for s in sps) + " |", "|---" * (len(sps) + 1) + "|"]
    for beta, g in summary.groupby("beta", sort=True):
        by = {r.sparsity: r for r in g.itertuples()}
        cells = [fmt(by[s]) if s in by else "" for s in sps]
        lines.append(f"| {beta:g} | " + " | ".join(cells) + " |")
    return lines + list(extra_rows)


def plot(summary: pd.DataFrame, path: Path, ylabel: str, title: str, scale: float = 100.0) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for i, (beta, g) in enumerate(summary.groupby("beta", sort=True)):
        g = g.sort_values("sparsity")
        color = f"C{i}"
        ax.plot(g.sparsity, scale * g["mean"], marker="o", color=color, label=f"beta={beta:g} (n={g.n.max()})")
        ok = g.ci_low.notna()
        ax.fill_between(g.sparsity[ok], scale * g.ci_low[ok], scale * g.ci_high[ok], color=color, alpha=0.2,
                        linewidth=0)
    ax.set_xlabel("requested sparsity of encoder + classifier weights")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    tmp = path.with_name("." + path.name + ".tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(path)


def write_report(out) -> str:
    """Write ``report.md``, ``accuracy_vs_sparsity.png`` and ``latent_corr_vs_sparsity.png``; return the text."""
    from ..._io import atomic_write_bytes, read_parquet

    out = Path(out)
    df = read_parquet(out / "results.parquet")
    if df.empty:
        text = "# Beta-VAE pruning sweep\n\nNo finished cells yet.\n"
        atomic_write_bytes(out / "report.md", text.encode())
        return text
    dataset = ", ".join(sorted(df.dataset.unique()))
    method = ", ".join(sorted(df.method.unique()))
    acc = summarise(df, "accuracy", "test")
    ach = df[(df.metric == "achieved_sparsity")].groupby("sparsity")["value"].mean()
    lines = [f"# Beta-VAE pruning sweep ({dataset}, {method} pruning)", "",
             "After Shneider et al., arXiv 2307.09994. Numbers come from `results.parquet` in this folder.", "",
             "## Test accuracy (%), mean over seeds [95% bootstrap CI]", "",
             *_grid_table(acc, lambda r: _pct(r.mean, r.ci_low, r.ci_high),
                          ["| achieved sparsity | " + " | ".join(f"{ach.get(s, np.nan):.3f}"
                                                                  for s in sorted(acc.sparsity.unique())) + " |"]),
             "", f"Seeds per cell: {int(acc.n.min())}-{int(acc.n.max())}. Test split only; epochs were selected on "
             "the validation split. Percentile bootstrap CIs over few seeds are optimistic.", "",
             "## Latent measures on the test split (mean over seeds)", ""]
    for metric in LATENT_METRICS:
        s = summarise(df, metric, "test")
        digits = 1 if metric.startswith("active_units") else 3
        lines += [f"`{metric}`", "",
                  *_grid_table(s, lambda r: "n/a" if np.isnan(r.mean) else f"{r.mean:.{digits}f}"), ""]
    lines += ["See docs/betavae.md for definitions. `active_units_kl` is not meaningful for beta = 0 (untrained "
              "logvar head).", "", "![accuracy vs sparsity](accuracy_vs_sparsity.png)", "",
              "![latent correlation vs sparsity](latent_corr_vs_sparsity.png)", ""]
    plot(acc, out / "accuracy_vs_sparsity.png", "test accuracy (%)",
         f"{dataset}: test accuracy vs sparsity ({method} pruning)\nmean over seeds, band = 95% bootstrap CI")
    plot(summarise(df, "mean_abs_offdiag_corr", "test"), out / "latent_corr_vs_sparsity.png",
         "mean |corr| between active latent dims",
         f"{dataset}: latent correlation vs sparsity ({method} pruning)\nmean over seeds, band = 95% bootstrap CI", 1.0)
    text = "\n".join(lines)
    atomic_write_bytes(out / "report.md", text.encode())
    return text
