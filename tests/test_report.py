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
    for _, row in t.iterrows():
        r = runs[runs["problem"] == row["problem"]].pivot(index="seed", columns="algorithm",
                                                          values="chosen_report_test_acc")
        assert row["p_value"] == pytest.approx(ss.wilcoxon(r[row["algorithm"]], r["random"]).pvalue)
    sp = pytest.importorskip("scikit_posthocs")
    m = runs.pivot_table(index=["problem", "seed"], columns="algorithm", values="chosen_report_test_acc")
    ref = sp.posthoc_nemenyi_friedman(m[["random", "rea", "nsga2"]].to_numpy())
    p_rea_nsga2 = ref.to_numpy()[1, 2]
    assert f"{p_rea_nsga2:.4f}" in text  # the Nemenyi p-value table of the report


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
