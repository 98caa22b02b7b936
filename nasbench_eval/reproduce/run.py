"""``reproduce``: run a reproduction's spec with the runner, then write reproduced-vs-reported tables and plots."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .catalogue import load_reproduction
from .compare import NOT_COMPARABLE, comparison_table, verdict_rule


def reproduce(name: str, out, quick: bool = False, backend: str = "joblib", jobs: int = 2,
              progress: bool = True) -> dict:
    from ..report import make_report
    from ..runner import load_results, parse_spec, run_experiment

    data = load_reproduction(name, quick)
    out = Path(out)
    sections = [f"# Reproduction: {data.get('title', name)}\n\n", f"Paper(s): {data.get('paper', '-')}.\n\n"]
    results, total = {}, {"cells": 0, "ran": 0, "skipped": 0, "seconds": 0.0}
    for key, raw in data["specs"].items():
        spec = parse_spec(raw)
        where = out / key if key else out
        s = run_experiment(spec, where, backend=backend, jobs=jobs, progress=progress)
        results[key] = load_results(where)
        for k in total:
            total[k] += s[k]
        sections.append(f"Spec `{spec.name}`{' (--quick)' if quick else ''}: {len(spec.algorithms)} algorithms x "
                        f"{len(spec.problems)} problems x {len(spec.seeds)} seeds, budget {spec.budget}, root seed "
                        f"{spec.root_seed}; {s['cells']} runs ({s['ran']} run now, {s['skipped']} resumed) in "
                        f"{s['seconds']:.1f} s.\n\n")
    summary = total
    res = results.get("") or next(iter(results.values()))
    if data.get("notes"):
        sections.append("**Protocol differences** (read before comparing numbers):\n\n" +
                        "".join(f"- {n}\n" for n in data["notes"]) + "\n")
    table = None
    if data.get("kind") == "proxy-noise":
        from .noise import noise_sections

        sections += noise_sections(res, data, out)
    elif data.get("reported_data"):
        table = comparison_table(res.runs, data["reported_data"], data.get("compare", {}),
                                 data.get("metrics", ["test"]))
        sections += _comparison_sections(table, data, out)
    elif data.get("kind") == "ablation":
        from .ablations import ablation_sections

        sections += ablation_sections(results, data, out)
    elif data.get("kind") == "hw":
        from .hw import hw_sections

        sections += hw_sections(results, data, out)
    for key in results:
        where = out / key if key else out
        report = make_report(where, "md", baseline=data.get("baseline"), metric="test_acc")
        sections.append(f"\nFull statistics{' of ' + key if key else ''} (significance tests, critical-difference "
                        f"diagram, anytime curves): [{report.relative_to(out)}]({report.relative_to(out)})\n")
    path = out / "reproduction.md"
    path.write_text("".join(sections))
    if table is not None:
        table.to_csv(out / "reproduction.csv", index=False)
    return {"report": path, "table": table, **summary}


def _fmt(m, s) -> str:
    if not np.isfinite(m):
        return "-"
    return f"{m:.2f} ± {s:.2f}" if np.isfinite(s) else f"{m:.2f}"


def _verdict_cell(r) -> str:
    if np.isfinite(r.p_holm):
        return f"{r.verdict} (p={r.p_holm:.2g})"
    return r.verdict


def _comparison_sections(table: pd.DataFrame, data: dict, out: Path) -> list[str]:
    rep = data["reported_data"]
    parts = []
    for metric in data.get("metrics", ["test"]):
        t = table[table.metric == metric]
        if t.empty:
            continue
        datasets = list(dict.fromkeys(t.dataset))
        parts.append(f"## {metric} accuracy: reproduced vs reported (mean ± std, std ddof=1 for ours)\n\n")
        head = "| algorithm | " + " | ".join(f"{d} ours | {d} paper | Δ | verdict" for d in datasets) + " |\n"
        parts.append(head + "|---" * (1 + 4 * len(datasets)) + "|\n")
        for algo, g in t.groupby("algorithm", sort=False):
            cells = []
            for d in datasets:
                r = g[g.dataset == d]
                if r.empty:
                    cells += ["-"] * 4
                    continue
                r = r.iloc[0]
                cells += [_fmt(r["mean"], r["std"]), _fmt(r.reported_mean, r.reported_std),
                          f"{r['diff']:+.2f}" if np.isfinite(r["diff"]) else "-", _verdict_cell(r)]
            parts.append(f"| {algo} | " + " | ".join(cells) + " |\n")
        opt = rep.get("optimal", {})
        parts.append("| optimum (table max) | " + " | ".join(
            f"- | {opt.get(d, {}).get(metric, float('nan')):.2f} | | " for d in datasets) + " |\n\n")
    counts = table.verdict.value_counts().to_dict()
    parts.append("Verdicts: " + ", ".join(f"{k}: {v}" for k, v in counts.items()) + ". " + verdict_rule(table, rep)
                 + "\n\n")
    nc = table[table.verdict == NOT_COMPARABLE].drop_duplicates("reported_row")
    if len(nc):
        parts.append("Protocol of the paper's rows that are not comparable with this run:\n\n" + "".join(
            f"- `{r.reported_row}` (ours: {r.algorithm}): {r.protocol}\n" for r in nc.itertuples()) + "\n")
    parts.append("Reported numbers: " + rep.get("source", "") + ".\n\n")
    spec = data.get("spec") or next(iter((data.get("specs") or {None: {}}).values()), {}) or {}
    png = _plot(table, out, rep.get("optimal"), spec.get("budget"))
    if png:
        parts.append(f"![reproduced vs reported]({png.name})\n\n")
    return parts


def _budget_text(budget) -> str:
    if isinstance(budget, dict):
        parts = [f"{budget['evaluations']} evaluations" if budget.get("evaluations") else "",
                 f"cost {budget['cost']:g}" if budget.get("cost") else ""]
        return ", ".join(p for p in parts if p) + " per run" if any(parts) else "budget as in the spec"
    return f"{budget} evaluations per run" if budget is not None else "budget as in the spec"


def _plot(table: pd.DataFrame, out: Path, optimal: dict | None = None, budget=None):
    """Test accuracy, ours vs reported: points = means, bars = ±1 std (ours ddof=1; the paper's as printed). The
    axis spans the means (and the table optimum), never past 100 %: one wide std cannot squash the others (a bar cut
    at the edge goes on). The title states n and the budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = table[table.metric == "test"]
    if t.empty:
        return None
    datasets = list(dict.fromkeys(t.dataset))
    fig, axes = plt.subplots(1, len(datasets), figsize=(5 * len(datasets), 0.45 * t.algorithm.nunique() + 1.6),
                             squeeze=False)
    n_ours = sorted({int(n) for n in t["n"] if np.isfinite(n)})
    n_rep = sorted({int(n) for n in t["reported_n"] if np.isfinite(n)})
    for ax, d in zip(axes[0], datasets):
        g = t[t.dataset == d].reset_index(drop=True)
        y = np.arange(len(g))
        ax.errorbar(g["mean"], y + 0.12, xerr=g["std"], fmt="o", color="C0", capsize=2,
                    label="reproduced (tabular): mean ± 1 std")
        ax.errorbar(g.reported_mean, y - 0.12, xerr=g.reported_std, fmt="s", color="C3", capsize=2,
                    label="reported: mean ± 1 std")
        ax.set_yticks(y, g.algorithm)
        opt = (optimal or {}).get(d, {}).get("test")
        if opt is not None:
            ax.axvline(opt, color="0.4", ls="--", lw=1, label="table optimum")
        means = np.concatenate([g["mean"].to_numpy(float), g.reported_mean.to_numpy(float)])
        means = means[np.isfinite(means)]
        if means.size:
            stds = np.concatenate([g["std"].to_numpy(float), g.reported_std.to_numpy(float)])
            typical = float(np.nanmedian(stds)) if np.isfinite(stds).any() else 0.5
            lo = float(means.min()) - max(1.0, 2 * typical)
            hi = min(100.0, max(float(means.max()), opt if opt is not None else -np.inf) + max(0.5, typical))
            ax.set_xlim(max(0.0, lo), hi)
        ax.set_title(f"{d}: test accuracy (%)")
        ax.grid(axis="x", alpha=0.3)
        ax.invert_yaxis()
    axes[0][0].legend(loc="lower left", fontsize=8)
    fig.suptitle(f"bars: ±1 std (ours ddof=1); ours n = {'/'.join(map(str, n_ours)) or '?'} runs per cell, "
                 f"{_budget_text(budget)}; paper n = {'/'.join(map(str, n_rep)) or 'not stated'}; "
                 "axis clipped to the means (≤ 100 %)", fontsize=9)
    fig.tight_layout()
    path = out / "reproduced_vs_reported.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
