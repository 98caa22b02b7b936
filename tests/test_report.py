"""Report: tables, plots and the IOHanalyzer export; its p-values match scipy / scikit-posthocs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as ss

from nasbench_eval.cli import main
from nasbench_eval.errors import ConfigError
from nasbench_eval.report import ioh_frame, make_report
from nasbench_eval.runner import load_results, parse_spec, run_experiment


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "r"
    s = parse_spec({"name": "rep", "root_seed": 5, "seeds": 6, "budget": {"evaluations": 60},
                    "algorithms": ["random", "rea", {"name": "nsga2", "params": {"population_size": 10}}],
                    "problems": [{"type": "nb201", "dataset": "cifar10"}, {"type": "nb201", "dataset": "cifar100"}]})
    run_experiment(s, out, progress=False)
    return out


def test_report_markdown_tables_plots_and_pvalues(store):
    path = make_report(store, baseline="random", metric="test_acc")
    text = path.read_text()
    assert "| problem | random (baseline) | rea | nsga2 |" in text and "**" in text
    for png in ("convergence_eval.png", "convergence_cum_cost.png", "cd_diagram.png", "ecdf.png"):
        f = path.parent / png
        assert f.stat().st_size > 5000 and f.read_bytes()[:4] == b"\x89PNG"
    runs = load_results(store).runs
    t = pd.read_csv(path.parent / "tests_vs_baseline.csv")
    assert {"test", "why", "omnibus", "omnibus_p", "family", "direction", "reachable"} <= set(t.columns)
    for p, g in runs.groupby("problem"):
        r = g.pivot(index="seed", columns="algorithm", values="chosen_report_test_acc")
        rows = t[t["problem"] == p]
        kw = ss.kruskal(*[r[a] for a in ("random", "rea", "nsga2")]).pvalue  # 6 runs per group: chi-square
        assert rows["omnibus_p"].iloc[0] == pytest.approx(kw)
        for _, row in rows[rows["test"] != "none"].iterrows():  # unpaired: independent runs
            assert row["test"] == "mann-whitney-u"
            assert row["p_value"] == pytest.approx(ss.mannwhitneyu(r[row["algorithm"]], r["random"]).pvalue, abs=0.02)
        assert rows["why"].str.len().gt(0).all()
    # two problems as blocks, three algorithms: Friedman's smallest exact p is 1/6, said in the text
    assert "Rank 1 = best (highest value of a maximised metric)" in text
    assert "cannot reach significance: with 2 blocks the smallest exact p is 0.17" in text
    assert "Holm family" in text and "Mann-Whitney U" in text


def test_report_on_a_minimised_metric_ranks_lowest_first(store):
    path = make_report(store, baseline="random", metric="params_M", out=store / "rep_params")
    text = path.read_text()
    assert "params_M is minimised: best (smallest) mean in bold" in text
    assert "Rank 1 = best (lowest value of a minimised metric)" in text
    runs = load_results(store).runs
    means = runs.groupby("algorithm")["chosen_report_params_M"].mean()
    table = text.split("| mean rank |")[1].split("\n\n")[0]
    first = table.splitlines()[2].split("|")[1].strip()
    per_problem = runs.pivot_table(index="problem", columns="algorithm", values="chosen_report_params_M")
    assert first == per_problem.rank(axis=1).mean().idxmin()
    assert means.notna().all()
    with pytest.raises(ConfigError, match="sense"):
        make_report(store, metric="seed_index", out=store / "rep_bad")


def test_report_html_and_cli(store, capsys):
    assert main(["report", str(store), "--format", "html", "--baseline", "rea", "--metric", "valid_acc"]) == 0
    text = (store / "report" / "report.html").read_text()
    assert text.startswith("<!doctype html>") and "<table>" in text and "<b>" in text
    with pytest.raises(ConfigError, match="allowed: random, rea, nsga2"):
        make_report(store, baseline="reaa")


def test_ioh_export_layout(store):
    ev = load_results(store).evaluations
    df = ioh_frame(ev)
    assert list(df.columns) == ["algorithm", "function", "dimension", "run", "evaluations", "fitness", "test_acc"]
    for _, g in df.groupby(["algorithm", "function", "run"]):
        assert np.all(np.diff(g["fitness"]) >= 0) and np.all(np.diff(g["evaluations"]) > 0)
        assert g["evaluations"].iloc[-1] == 60
    best = ev.groupby(["algorithm", "problem", "seed"])["fitness"].max()
    last = df.groupby(["algorithm", "function", "run"])["fitness"].last()
    assert np.allclose(np.sort(best.to_numpy()), np.sort(last.to_numpy()))


def test_report_on_betavae_folder(tmp_path):
    rows = [{"study": "betavae", "dataset": "digits", "beta": b, "seed": s, "sparsity": sp, "method": "magnitude",
             "metric": "accuracy", "value": 0.9 - sp / 3 + 0.01 * s - 0.02 * b, "source": "test"}
            for b in (1.0, 4.0) for s in range(3) for sp in (0.0, 0.5, 0.9)]
    pd.DataFrame(rows).to_parquet(tmp_path / "results.parquet")
    path = make_report(tmp_path)
    assert "Beta-VAE" in path.read_text() and (path.parent / "betavae_accuracy.png").exists()


def test_html_text_renders_markdown_emphasis_but_keeps_user_strings_escaped():
    from nasbench_eval.report.tables import html_text

    out = html_text("**rea[population_size=<x>]** uses `a<x>` and <b>ours</b>; <img src=x onerror=alert(1)>")
    assert out.startswith("<b>rea[population_size=&lt;x&gt;]</b>")
    assert "<code>a&lt;x&gt;</code>" in out and "<b>ours</b>" in out
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert "**" not in out and "`" not in out
