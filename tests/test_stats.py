"""Statistics: checked against scipy, statsmodels, scikit-posthocs and autorank on the same numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as ss

from nasbench_eval import stats


def tidy(matrix: np.ndarray, algos, problem="p") -> pd.DataFrame:
    rows = [{"algorithm": a, "problem": problem, "seed": s, "value": float(matrix[s, j])}
            for j, a in enumerate(algos) for s in range(matrix.shape[0])]
    return pd.DataFrame(rows)


@pytest.fixture
def data():
    rng = np.random.default_rng(42)
    m = rng.normal(0, 1, size=(12, 4)) + np.array([0.0, 0.3, 0.9, 1.4])
    return m, ["a", "b", "c", "d"]


def test_describe_ddof_se_quantiles_and_seeded_ci():
    x = np.array([1.0, 2.0, 4.0, 7.0, 11.0])
    d = stats.describe(x)
    assert d["std"] == pytest.approx(np.std(x, ddof=1)) and d["std_ddof0"] == pytest.approx(np.std(x))
    assert d["se"] == pytest.approx(np.std(x, ddof=1) / np.sqrt(5))
    assert (d["median"], d["q25"], d["q75"]) == (4.0, 2.0, 7.0)
    assert d["ci_low"] < d["mean"] < d["ci_high"] and d["ci_method"] == "BCa"
    assert stats.describe(x) == d  # seeded
    ref = ss.bootstrap((x,), np.mean, n_resamples=9999, method="BCa", rng=np.random.default_rng(0))
    assert (d["ci_low"], d["ci_high"]) == pytest.approx(tuple(ref.confidence_interval))
    same = stats.describe([3.0, 3.0, 3.0])
    assert same["ci_low"] == same["ci_high"] == 3.0 and "degenerate" in same["ci_method"]


def test_wilcoxon_and_holm_match_scipy_and_statsmodels(data):
    from statsmodels.stats.multitest import multipletests

    m, algos = data
    v = tidy(m, algos)
    cmp = stats.compare_to_baseline(v, "a")
    raw = [ss.wilcoxon(m[:, j], m[:, 0]).pvalue for j in (1, 2, 3)]
    assert cmp["p_value"].to_numpy() == pytest.approx(raw)
    assert cmp["p_holm"].to_numpy() == pytest.approx(multipletests(raw, method="holm")[1])
    assert cmp["statistic"].iloc[0] == ss.wilcoxon(m[:, 1], m[:, 0]).statistic
    assert set(cmp["test"]) == {"wilcoxon"} and cmp["note"].str.contains("Holm over 3").all()
    pw = stats.pairwise(v, "p")
    assert len(pw) == 6 and (pw["p_holm"] >= pw["p_value"]).all()


def test_identical_results_record_why_no_test_ran():
    r = stats.wilcoxon([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert r.name == "none" and r.p_value == 1.0 and "zero" in r.note
    assert stats.wilcoxon([], []).n == 0


def test_a12_known_values():
    assert stats.a12([1, 2, 3], [1, 2, 3]) == 0.5
    assert stats.a12([4, 5], [1, 2]) == 1.0 and stats.a12([1, 2], [4, 5]) == 0.0
    assert stats.a12([1, 3], [2]) == 0.5 and stats.a12([2, 2], [2, 1]) == 0.75
    assert stats.a12_magnitude(0.75) == "large" and stats.a12_magnitude(0.52) == "negligible"


def test_friedman_nemenyi_match_scipy_scikit_posthocs_and_autorank(data):
    sp = pytest.importorskip("scikit_posthocs")
    autorank = pytest.importorskip("autorank")
    m, algos = data
    v = tidy(m, algos)
    fn = stats.friedman_nemenyi(v, blocks="problem_seed")
    assert fn.friedman.p_value == pytest.approx(ss.friedmanchisquare(*m.T).pvalue)
    ref = sp.posthoc_nemenyi_friedman(m)
    assert fn.p_nemenyi.to_numpy() == pytest.approx(ref.to_numpy(), abs=1e-10)
    ar = autorank.autorank(pd.DataFrame(m, columns=algos), alpha=0.05, order="descending", force_mode="nonparametric")
    assert fn.cd == pytest.approx(ar.cd, rel=1e-3)  # autorank uses statsmodels' qsturng approximation
    assert fn.mean_ranks[ar.rankdf.index].to_numpy() == pytest.approx(ar.rankdf["meanrank"].to_numpy())
    assert fn.friedman.p_value == pytest.approx(ar.pvalue)
    assert fn.mean_ranks.index[0] == "d"  # best (largest) first
    assert "4 algorithms x 12 blocks" in fn.friedman.note


def test_friedman_blocks_by_problem_mean():
    rng = np.random.default_rng(1)
    parts = [tidy(rng.normal(size=(3, 3)) + [0, 1, 2], ["x", "y", "z"], problem=f"p{i}") for i in range(6)]
    fn = stats.friedman_nemenyi(pd.concat(parts))
    assert fn.blocks == "problem" and fn.n_blocks == 6


def test_anytime_curve_follows_the_feasible_incumbent():
    ev = pd.DataFrame({"cell": 0, "algorithm": "a", "problem": "p", "seed": 0, "eval": [1, 2, 3, 4, 4],
                       "cum_cost": [1.0, 2, 3, 4, 4], "fitness": [1.0, 3.0, 5.0, 2.0, 6.0],
                       "feasible": [True, True, False, True, True], "report_test_acc": [10.0, 30, 50, 20, 60]})
    ev2 = ev.assign(cell=1, seed=1, fitness=[2.0, 1, 1, 1, 1], report_test_acc=[5.0, 1, 1, 1, 1])
    c = stats.anytime(pd.concat([ev, ev2]), "test_acc")
    assert c["mean"].tolist() == [7.5, 17.5, 17.5, 32.5]  # eval 3 is infeasible: incumbent stays
    assert c["se"].iloc[0] == pytest.approx(np.std([10, 5], ddof=1) / np.sqrt(2))
    hits = stats.evals_to_target(ev, {"p": [3.0, 5.5, 9.0]})
    assert hits["evals"].tolist()[:2] == [2.0, 4.0] and np.isnan(hits["evals"].iloc[2])
    e = stats.ecdf(hits, grid=[1, 2, 4])
    assert e["fraction"].tolist() == pytest.approx([0, 1 / 3, 2 / 3])


def test_final_values_metric_errors_list_allowed():
    from nasbench_eval.errors import ConfigError

    runs = pd.DataFrame({"algorithm": ["a"], "problem": ["p"], "seed": [0], "chosen_report_test_acc": [1.0],
                         "chosen_valid_acc": [2.0], "chosen_arch": ["x"]})
    assert stats.final_values(runs, "valid_acc")["value"].tolist() == [2.0]
    with pytest.raises(ConfigError, match="test_acc"):
        stats.final_values(runs, "tset_acc")


def test_betavae_summary():
    rows = [{"study": "betavae", "dataset": "digits", "beta": b, "seed": s, "sparsity": sp, "method": "mag",
             "metric": "accuracy", "value": 0.9 - sp / 2 + 0.01 * s, "source": "test"}
            for b in (1.0, 4.0) for s in range(3) for sp in (0.0, 0.5)]
    out = stats.betavae_summary(pd.DataFrame(rows))
    assert len(out) == 4 and (out["n"] == 3).all()
    assert out["mean"].iloc[0] == pytest.approx(0.91)
