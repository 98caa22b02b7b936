"""Build the report of a result folder: tables, statistics, PNG plots and the IOHanalyzer export."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import stats
from .._io import claim_dir, read_parquet
from ..errors import ConfigError
from . import plots
from .ioh import export_ioh
from .tables import comparison_table, detail_table, frame_table, heading, image, paragraph, render

def _embed_images(body: str, folder: Path) -> str:
    """Replace ``<img src="x.png">`` by a base64 ``data:`` URI of ``folder/x.png`` (the PNG stays beside it)."""
    import base64
    import html

    def data_uri(m: re.Match) -> str:
        p = folder / html.unescape(m.group(1))
        if p.suffix != ".png" or not p.is_file() or p.resolve().parent != folder.resolve():
            return m.group(0)
        return f'<img src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode("ascii")}"'

    return re.sub(r'<img src="([^"]+)"', data_uri, body)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _img(rel: str, alt: str, fmt: str) -> str:
    return image(rel, alt, fmt)  # HTML: escaped (tables.html_text is the one HTML text path)


def _h(text: str, level: int, fmt: str) -> str:
    return heading(text, level, fmt)


def _p(text: str, fmt: str) -> str:
    return paragraph(text, fmt)


def make_report(folder, fmt: str = "md", baseline: str | None = None, metric: str = "test_acc",
                out=None, alpha: float = 0.05, seed: int = 0, sense: str | None = None) -> Path:
    """Write ``report.<fmt>``, PNGs and ``ioh.csv`` under ``out`` (default ``folder/report``); return the report.

    ``sense``: ``max`` or ``min`` for ``metric`` (default: decided from its name by
    :func:`nasbench_eval.stats.metric_sense`, the one rule used for bold, ranks, ▲/▼ and the CD diagram)."""
    if fmt not in ("md", "html"):
        raise ConfigError(f"unknown format {fmt!r}; allowed: md, html")
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"{folder} is not a folder; give a result folder written by `nasbench-eval run`")
    if not (folder / "manifest.json").is_file() and stats.find_betavae(folder) is None:
        from ..runner import load_results

        load_results(folder)  # raises the store's own, clear error before anything is written
    out = claim_dir(Path(out) if out else folder / "report", "report", _legacy_report)  # never a user's folder
    parts: list[str] = []
    bv = stats.find_betavae(folder)
    if (folder / "manifest.json").exists() and not _is_betavae_manifest(folder):
        parts += _experiment_sections(folder, out, fmt, baseline, metric, alpha, seed, sense)
    elif bv is None:
        from ..runner import load_results

        load_results(folder)  # raises the store's own, clear error
    if bv is not None:
        parts += _betavae_section(bv, out, fmt, seed)
    body = "".join(parts)
    if fmt == "html":
        body = _embed_images(body, out)  # one self-contained file: the PNGs as data URIs
        body = ("<!doctype html>\n<html><head><meta charset='utf-8'><title>nasbench-eval report</title>"
                "<style>body{font-family:sans-serif;max-width:1100px;margin:auto} table{border-collapse:collapse;"
                "font-size:13px} td,th{border:1px solid #ccc;padding:3px 6px}</style></head><body>\n"
                + body + "</body></html>\n")
    path = out / f"report.{fmt}"
    path.write_text(body)
    return path


def _legacy_report(path: Path) -> bool:
    """A report folder written before the ownership marker: ``report/`` inside a result or study folder (beside its
    manifest.json), holding report.md/.html plus only files a report writes."""
    names = [p for p in path.iterdir()]
    return (path.name == "report" and (path.parent / "manifest.json").is_file()
            and any(p.name in ("report.md", "report.html") for p in names)
            and all(p.is_file() and p.suffix in (".md", ".html", ".png", ".csv") for p in names))


def _is_betavae_manifest(folder: Path) -> bool:
    try:
        return json.loads((folder / "manifest.json").read_text()).get("study") == "betavae"
    except (OSError, ValueError):
        return False


def _experiment_sections(folder, out, fmt, baseline, metric, alpha, seed, sense=None) -> list[str]:
    from ..runner import load_results

    res = load_results(folder)
    m, runs, ev = res.manifest, res.runs, res.evaluations
    algos = list(dict.fromkeys(runs["algorithm"]))
    if baseline is None:
        baseline = algos[0]
    if baseline not in algos:
        raise ConfigError(f"unknown baseline {baseline!r}; allowed: {', '.join(algos)}")
    values = stats.final_values(runs, metric)
    sense = stats.metric_sense(metric, sense)
    pairings = stats.pairing(runs)
    summ = stats.summarize(values, seed=seed)
    cmp = stats.compare_to_baseline(values, baseline, alpha, sense, pairings, seed)
    try:
        inc = stats.answer_vs_incumbent(runs, ev, metric)
    except ConfigError:  # metric not in the evaluations table (e.g. an indicator): no anytime curve of it
        inc = None
    summ.to_csv(out / "summary.csv", index=False)
    cmp.to_csv(out / "tests_vs_baseline.csv", index=False)
    s = [_h(f"Experiment {m.get('name', '')}", 1, fmt)]
    s.append(_p(f"spec hash <code>{m['spec_hash'][:16]}</code> · nasbench-eval {m.get('package_version')} · "
                f"benchmark data sha256 <code>{str(m.get('data_sha256'))[:16]}</code> · git "
                f"<code>{str(m.get('git_commit'))[:12]}</code> · created {m.get('created')} · "
                f"{m['n_cells']} runs ({len(algos)} algorithms x {runs['problem'].nunique()} problems x "
                f"{runs['seed'].nunique()} seeds), budget {m['spec']['budget']}", fmt).replace(
                    "<code>", "`" if fmt == "md" else "<code>").replace("</code>", "`" if fmt == "md" else "</code>"))
    s.append(_h(f"{metric} of the chosen architecture", 2, fmt))
    s.append(_p(_tests_text(cmp, baseline, metric, sense, alpha, pairings), fmt))
    s.append(comparison_table(summ, cmp, baseline, sense, fmt))
    for p in dict.fromkeys(summ["problem"]):
        s.append(_h(p, 3, fmt))
        s.append(_p(_omnibus_text(cmp, p), fmt))
        s.append(detail_table(summ, cmp, p, fmt, incumbent=inc))
    s += _ranking_section(values, out, fmt, alpha, sense, pairings)
    from .ablation import ablation_sections

    s += ablation_sections(runs, m["spec"].get("sweeps"), out, fmt, metric, alpha, seed, sense)
    s += _curve_sections(ev, out, fmt, metric, inc)
    s += _mo_sections(res, out, fmt, seed)
    export_ioh(ev, out / "ioh.csv", runs)
    s.append(_h("IOHanalyzer export", 2, fmt))
    s.append(_p("`ioh.csv`: best-so-far search fitness per improvement (columns algorithm, function, dimension, run, "
                "evaluations, fitness, test_acc); load with IOHanalyzer::read_pure_csv('ioh.csv', 'evaluations', "
                "'fitness', 'function', 'algorithm', 'dimension', 'run', maximization = TRUE).", fmt))
    return s


def _tests_text(cmp, baseline, metric, sense, alpha, pairings) -> str:
    """The paragraph under the comparison table: what ▲/▼ mean, which tests ran and why, and where no test could."""
    best = "largest" if sense == "max" else "smallest"
    paired = [p for p, d in pairings.items() if d.paired]
    txt = (f"mean ± std (ddof=1) over seeds; {metric} is {'maximised' if sense == 'max' else 'minimised'}: best "
           f"({best}) mean in bold; ▲/▼: significantly better/worse than the baseline {baseline} at "
           f"alpha = {alpha:g}, "
           "the direction being the sign of the effect the test measures. Runs are unpaired (every run has its own "
           "random stream; equal seed labels share nothing): two-sided Mann-Whitney U test per algorithm vs the "
           "baseline; with 3 or more algorithms on a problem these run only after a Kruskal-Wallis test across "
           "all of them rejects. Holm family: the comparisons against the baseline within one problem.")
    if paired:
        txt += (f" Paired design on {', '.join(paired)} (a shared proxy-noise field per seed label): Wilcoxon "
                "signed-rank, after a Friedman test over seed blocks.")
    if len(cmp):
        ran = cmp[cmp["test"] != "none"]
        cannot = sorted(set(ran.loc[~ran["reachable"].astype(bool), "problem"]))
        if cannot:
            txt += (" On " + ", ".join(cannot) + " no comparison can reach significance with this many runs "
                    "(smallest possible p, times the Holm family size, is >= alpha): unmarked cells there mean "
                    "'too few runs', not 'no difference'.")
    return txt


def _omnibus_text(cmp, problem) -> str:
    if cmp.empty or "problem" not in cmp.columns:  # one algorithm: nothing to compare
        return ""
    c = cmp[cmp["problem"] == problem]
    if not len(c):
        return ""
    r = c.iloc[0]
    if not r["omnibus"]:
        return f"Omnibus test: none ({r['omnibus_why']})."
    p = r["omnibus_p"]
    return (f"Omnibus test: {r['omnibus']}, p = {p:.2g} ({r['omnibus_why']})." if np.isfinite(p)
            else f"Omnibus test: {r['omnibus']} ({r['omnibus_why']}).")


def _ranking_section(values, out, fmt, alpha, sense="max", pairings=None) -> list[str]:
    if values["algorithm"].nunique() < 2:
        return []
    fn = stats.friedman_nemenyi(values, alpha, sense=sense, pairings=pairings)
    s = [_h("Ranking: Friedman + Nemenyi (Demsar 2006)", 2, fmt)]
    fr = fn.friedman
    if fn.blocks == "none":
        return s + [_p(f"No ranking test: {fr.note}.", fmt)]
    head = (f"{fr.name}: statistic {fr.statistic:.4g}, p = {fr.p_value:.2g}, n = {fr.n} blocks. {fr.note}."
            if fr.name != "none" else f"No Friedman test: {fr.note}.")
    order = "lowest" if sense == "min" else "highest"
    tail = (f" Rank 1 = best ({order} value of a {'minimised' if sense == 'min' else 'maximised'} metric); ties share "
            "the average rank.")
    if fn.rejected:
        tail += (f" Friedman rejects at alpha={alpha:g}: Nemenyi post-hoc, critical difference CD = {fn.cd:.3f}; "
                 "algorithms joined by a bar in the diagram do not differ significantly.")
    else:
        tail += (" Friedman does not reject, so no post-hoc test is run: the mean ranks below are descriptive and "
                 "the diagram joins all algorithms in one group.")
    s.append(_p(head + tail, fmt))
    s.append(frame_table(fn.mean_ranks.rename("mean rank").reset_index(), fmt, 3))
    if fn.rejected:
        s.append(_p("Nemenyi p-values (family: all pairs of algorithms over the blocks):", fmt))
        pn = fn.p_nemenyi.map(lambda x: f"{x:.2g}" if np.isfinite(x) else "n/a")
        s.append(frame_table(pn.reset_index().rename(columns={"index": "algorithm"}), fmt, 4))
    plots.cd_diagram(fn.mean_ranks, fn.cd if fn.rejected else np.inf, out / "cd_diagram.png",
                     f"CD diagram ({fn.blocks} blocks, n = {fn.n_blocks}; rank 1 = best)"
                     + ("" if fn.rejected else ": Friedman n.s., one group"), show_cd=fn.rejected)
    s.append(_img("cd_diagram.png", "critical difference diagram", fmt))
    return s


def _curve_sections(ev, out, fmt, metric, inc=None) -> list[str]:
    s = [_h("Anytime performance", 2, fmt)]
    try:
        cm = stats.curves.value_column(ev, metric)
        shown = metric
    except ConfigError:
        cm, shown = "fitness", "search fitness"
    cm = metric if cm.startswith("report_") or cm == metric else "fitness"
    s.append(_p(f"{shown} of the incumbent (best feasible search fitness so far), mean ± SE over seeds.", fmt))
    if inc is not None and inc["differs"].any():
        d = inc[inc["differs"]].groupby(["algorithm", "problem"], sort=False).size()
        s.append(_p("The curves end at the best-so-far incumbent; the tables above use each algorithm's own answer, "
                    "which differs from it in: " + "; ".join(f"{a} on {p} ({k} runs)" for (a, p), k in d.items())
                    + " (column 'incumbent at end' of the per-problem tables). An algorithm may answer something "
                    "else than its best evaluated architecture (e.g. a decoded distribution mean, a vote, a pick "
                    "from its final population).", fmt))
    elif inc is not None:
        s.append(_p("In every run the algorithm's answer equals its final incumbent, so each curve ends at the "
                    "tables' value.", fmt))
    for x, label in (("eval", "evaluations"), ("cum_cost", "cumulative evaluation cost")):
        c = stats.anytime(ev, cm, x=x)
        c.to_csv(out / f"anytime_{x}.csv", index=False)
        plots.convergence(c, x, shown, out / f"convergence_{x}.png", label)
        s.append(_img(f"convergence_{x}.png", f"convergence vs {label}", fmt))
    hits = stats.evals_to_target(ev)
    if len(hits):
        e = stats.ecdf(hits)
        plots.ecdf_plot(e, out / "ecdf.png")
        s.append(_p("ECDF of evaluations to reach targets (targets: quartiles and 90% quantile of the runs' final "
                    "best search fitness per problem).", fmt))
        s.append(_img("ecdf.png", "ECDF of evaluations to target", fmt))
    return s


def _mo_sections(res, out, fmt, seed) -> list[str]:
    ind = stats.indicator_summary(res.runs, seed=seed)
    if not len(ind):
        return []
    s = [_h("Hardware-aware quality indicators", 2, fmt)]
    s.append(_p("hv/hv_norm/igd/igd_plus (bi-objective runs only): chosen front vs the true front over connected "
                "archs (a disconnected cell, ~10 % accuracy, sets no nadir), normalised by that front's ideal/nadir, "
                "HV reference 1.1; test_*: same in test accuracy vs cost; mean_gap: optimum test acc - pick test acc "
                "per judged threshold (points; the optimum = best proxy with cost <= T, costs compared tie-safely); "
                "feasible_fraction: thresholds with a feasible pick. mean ± std (ddof=1).", fmt))
    tab = ind[["indicator", "problem", "algorithm", "n", "mean", "std", "median", "ci_low", "ci_high"]]
    s.append(frame_table(tab, fmt, 4))
    truth = res.truth_fronts if res.truth_fronts is not None else pd.DataFrame(columns=["problem"])
    ths = res.truth_thresholds if res.truth_thresholds is not None else pd.DataFrame(columns=["problem"])
    notes = [f"{r['problem']}: {r['note']}" for _, r in ths.iterrows() if r.get("note")]
    if notes:
        s.append(_p("Judged thresholds: " + "; ".join(notes) + ".", fmt))
    mo = res.runs[res.runs["n_obj"] >= 2]
    for p in dict.fromkeys(mo["problem"]):
        objs = json.loads(mo.loc[mo["problem"] == p, "objectives"].iloc[0])
        acc_m, cost_m = objs[0].split(" ", 1)[1], objs[1].split(" ", 1)[1]
        ch = res.chosen[res.chosen["problem"] == p]
        tp = truth[truth["problem"] == p]
        true = test_true = None
        if len(tp):  # the band front (connected archs): the front the indicators are normalised over
            for space in ("search", "test"):
                f = tp[(tp["space"] == space) & tp["band"]]
                xy = np.c_[f["cost"].to_numpy(float), f["value"].to_numpy(float)] if len(f) else None
                true, test_true = (xy, test_true) if space == "search" else (true, xy)
        else:
            s.append(_p(f"(no true front stored for {p}: the folder was merged before truth tables existed; rerun "
                        "`nasbench-eval run SPEC --out DIR` to re-merge)", fmt))
        for space, ycol, tf in (("search", acc_m, true), ("test", "report_test_acc", test_true)):
            if ycol not in ch.columns:
                continue
            fronts = {a: g[[cost_m, ycol]].to_numpy(float) for a, g in ch.groupby("algorithm", sort=False)}
            name = f"pareto_{_safe(p)}_{space}.png"
            plots.pareto(fronts, tf, cost_m, ycol, f"{p}: {space} space", out / name)
            s.append(_img(name, f"Pareto fronts {p} {space}", fmt))
    return s


def _betavae_section(path: Path, out: Path, fmt: str, seed: int) -> list[str]:
    df = read_parquet(path)
    summ = stats.betavae_summary(df, seed=seed)
    s = [_h("Beta-VAE study: test accuracy vs sparsity per beta", 2, fmt)]
    if not len(summ):
        return s + [_p("(no test accuracy rows in results.parquet)", fmt)]
    summ.to_csv(out / "betavae_summary.csv", index=False)
    s.append(_p("mean over seeds, std (ddof=1), 95% bootstrap CI of the mean (scipy, seeded).", fmt))
    s.append(frame_table(summ, fmt, 4))
    plots.betavae_plot(summ, out / "betavae_accuracy.png")
    s.append(_img("betavae_accuracy.png", "Beta-VAE accuracy vs sparsity", fmt))
    return s


__all__ = ["make_report", "render"]
