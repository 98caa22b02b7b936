"""Statistics: checked against scipy, statsmodels, scikit-posthocs and autorank on the same numbers, including
the direction of a minimised metric, the unpaired default and the cases where no test can reach significance."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats as ss

from nasbench_eval import stats
from nasbench_eval.errors import ConfigError


def tidy(matrix: np.ndarray, algos, problem="p") -> pd.DataFrame:
    rows = [{"algorithm": a, "problem": problem, "seed": s, "value": float(matrix[s, j])}
            for j, a in enumerate(algos) for s in range(matrix.shape[0])]
    return pd.DataFrame(rows)


PAIRED = stats.Pairing(True, "paired by seed (test)")


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


def test_metric_sense_is_one_rule():
    for m in ("latency", "fpga_latency_ms", "total_cost", "loss", "mean_gap", "igd_plus", "test_igd",
              "fpga_energy_mJ", "params_M", "flops_M", "evaluations"):
        assert stats.metric_sense(m) == "min", m
    for m in ("test_acc", "valid_acc", "hv_norm", "test_hv", "best_fitness", "feasible_fraction"):
        assert stats.metric_sense(m) == "max", m
    assert stats.metric_sense("latency", "max") == "max"  # explicit override wins
    with pytest.raises(ConfigError, match="sense"):
        stats.metric_sense("zorglub")
    with pytest.raises(ConfigError, match="'sense'.*got 'up'"):
        stats.metric_sense("test_acc", "up")


def test_mann_whitney_matches_scipy_exact_permutation_and_asymptotic():
    rng = np.random.default_rng(3)
    x, y = rng.normal(1, 1, 6), rng.normal(0, 1, 7)  # no ties: exact
    r = stats.mann_whitney(x, y)
    ref = ss.mannwhitneyu(x, y, method="exact")
    assert (r.name, r.statistic, r.p_value) == ("mann-whitney-u", ref.statistic, pytest.approx(ref.pvalue))
    assert r.min_p == pytest.approx(2 / 1716) and r.sign == np.sign(ref.statistic - 21)
    assert r.shift == pytest.approx(np.median(x[:, None] - y[None, :]))
    xt, yt = np.round(x, 0), np.round(y, 0)  # ties, 1716 splits: exact permutation p
    rt = stats.mann_whitney(xt, yt)
    assert rt.p_value == pytest.approx(ss.mannwhitneyu(xt, yt, method=ss.PermutationMethod(np.inf)).pvalue)
    assert "permutation" in rt.note
    xl, yl = np.round(rng.normal(0.5, 1, 30), 1), np.round(rng.normal(0, 1, 30), 1)  # large with ties
    rl = stats.mann_whitney(xl, yl)
    assert rl.p_value == pytest.approx(ss.mannwhitneyu(xl, yl, method="asymptotic").pvalue)
    assert stats.mann_whitney([2.0, 2.0], [2.0, 2.0]).name == "none"


def test_kruskal_and_tost_match_scipy_and_statsmodels():
    from statsmodels.stats.weightstats import ttost_ind

    rng = np.random.default_rng(5)
    g = {a: rng.normal(mu, 1, 8) for a, mu in (("a", 0), ("b", 0.5), ("c", 1.5))}
    r = stats.kruskal(g)
    assert r.p_value == pytest.approx(ss.kruskal(*g.values()).pvalue) and "chi-square" in r.note
    small = stats.kruskal({k: v[:3] for k, v in g.items()})  # < 5 per group: permutation p, seeded
    assert "permutation" in small.note and small.p_value == stats.kruskal({k: v[:3] for k, v in g.items()}).p_value
    x1, x2 = rng.normal(94.1, 0.3, 30), rng.normal(94.0, 0.4, 5)
    p = stats.tost_from_stats(x1.mean(), x1.std(ddof=1), 30, x2.mean(), x2.std(ddof=1), 5, 0.5)
    assert p == pytest.approx(ttost_ind(x1, x2, -0.5, 0.5, usevar="unequal")[0])
    w = stats.welch_from_stats(x1.mean(), x1.std(ddof=1), 30, x2.mean(), x2.std(ddof=1), 5)
    assert w == pytest.approx(ss.ttest_ind(x1, x2, equal_var=False).pvalue)


def test_compare_to_baseline_unpaired_by_default_matches_scipy_and_holm(data):
    from statsmodels.stats.multitest import multipletests

    m, algos = data
    v = tidy(m, algos)
    cmp = stats.compare_to_baseline(v, "a")
    assert cmp["omnibus"].eq("kruskal-wallis").all()
    assert cmp["omnibus_p"].iloc[0] == pytest.approx(ss.kruskal(*m.T).pvalue) and cmp["omnibus_p"].iloc[0] < 0.05
    raw = [ss.mannwhitneyu(m[:, j], m[:, 0], method="exact").pvalue for j in (1, 2, 3)]
    assert cmp["p_value"].to_numpy() == pytest.approx(raw)
    assert cmp["p_holm"].to_numpy() == pytest.approx(multipletests(raw, method="holm")[1])
    assert set(cmp["test"]) == {"mann-whitney-u"} and not cmp["paired"].any()
    assert cmp["why"].str.contains("Holm over 3 comparisons").all()
    assert cmp["why"].str.startswith("unpaired").all() and cmp["omnibus_why"].str.contains("share nothing").all()
    # the direction is the test's own: sign of U - n m / 2
    for j, (_, row) in zip((1, 2, 3), cmp.iterrows()):
        u = ss.mannwhitneyu(m[:, j], m[:, 0]).statistic
        if row["p_holm"] < 0.05:
            assert row["direction"] == ("better" if u > 72 else "worse")
    assert cmp.set_index("algorithm").at["d", "direction"] == "better"
    pw = stats.pairwise(v, "p")
    assert len(pw) == 6 and (pw["p_holm"] >= pw["p_value"]).all() and "all 6 pairs" in pw["why"].iloc[0]


def test_direction_of_a_minimised_metric_marks_ranks_and_cd():
    rng = np.random.default_rng(7)
    lat = np.c_[rng.normal(10, 0.5, 10), rng.normal(8, 0.5, 10), rng.normal(12, 0.5, 10)]  # ms: b best, c worst
    v = tidy(lat, ["a", "b", "c"])
    cmp = stats.compare_to_baseline(v, "a", sense=stats.metric_sense("latency")).set_index("algorithm")
    assert cmp.at["b", "direction"] == "better" and cmp.at["c", "direction"] == "worse"
    assert cmp.at["b", "shift"] < 0 and cmp.at["b", "a12"] > 0.9  # A12 = P(b's run better than a's)
    from nasbench_eval.report.tables import comparison_table

    summ = stats.summarize(v)
    md = comparison_table(summ, cmp.reset_index(), "a", "min")
    row = md.splitlines()[2]
    assert row.split("|")[3].strip().startswith("**7.78") and "▲" in row.split("|")[3] and "▼" in row.split("|")[4]
    # ranks over problems as blocks: rank 1 = lowest latency; equals scipy rankdata on the problem means
    parts = [tidy(lat + rng.normal(0, 0.3, lat.shape) + i, ["a", "b", "c"], problem=f"p{i}") for i in range(6)]
    vv = pd.concat(parts)
    fn = stats.friedman_nemenyi(vv, sense="min")
    means = vv.pivot_table(index="problem", columns="algorithm", values="value", aggfunc="mean")[["a", "b", "c"]]
    ref = pd.DataFrame(ss.rankdata(means.to_numpy(), axis=1), columns=means.columns).mean()
    assert fn.blocks == "problem" and fn.mean_ranks.index[0] == "b" and fn.mean_ranks["b"] == 1.0
    assert fn.mean_ranks[ref.index].to_numpy() == pytest.approx(ref.to_numpy())
    assert fn.friedman.statistic == pytest.approx(ss.friedmanchisquare(*means.to_numpy().T).statistic)
    assert "permutation" in fn.friedman.note  # 6 blocks: the chi-square approximation is not used
    assert fn.rejected and np.isfinite(fn.p_nemenyi.to_numpy()).all()
    assert stats.friedman_nemenyi(vv, sense="max").mean_ranks.index[0] == "c"


def test_nineteen_better_one_outlier_gets_the_tests_mark():
    """19 of 20 runs better, one catastrophic outlier: the mark follows the test, not the mean or A12."""
    rng = np.random.default_rng(11)
    y = rng.normal(93.0, 0.3, 20)
    x = y + 0.4
    x[np.argmax(y)] = 60.0  # one failed run
    assert x.mean() < y.mean()  # a mean-based (Welch) direction would say "worse"
    v = tidy(np.c_[y, x], ["base", "algo"])
    un = stats.compare_to_baseline(v, "base").iloc[0]
    ref = ss.mannwhitneyu(x, y, method="exact")
    assert un["p_value"] == pytest.approx(ref.pvalue) and un["p_value"] < 0.05
    assert un["direction"] == "better" and un["shift"] > 0 and ref.statistic > 200
    # paired design (shared noise field): Wilcoxon, whose T+ - T- is positive; unpaired A12 of the same numbers
    # says "worse", which is why the direction must never come from an effect size the test does not measure
    x2 = y + 0.01
    x2[np.argmax(y)] = y.max() - 5
    v2 = tidy(np.c_[y, x2], ["base", "algo"])
    pr = stats.compare_to_baseline(v2, "base", pairings={"p": PAIRED}).iloc[0]
    assert pr["test"] == "wilcoxon-signed-rank" and pr["p_value"] == pytest.approx(ss.wilcoxon(x2, y).pvalue)
    assert pr["p_value"] < 0.05 and pr["direction"] == "better"
    assert stats.a12(x2, y) < 0.5


def test_repairing_independent_runs_changes_a_paired_p_but_not_the_unpaired_one():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0.6, 1, 10), rng.normal(0, 1, 10)
    perm = rng.permutation(10)
    v1, v2 = tidy(np.c_[a, b], ["a", "b"]), tidy(np.c_[a, b[perm]], ["a", "b"])
    un1, un2 = stats.compare_to_baseline(v1, "b"), stats.compare_to_baseline(v2, "b")
    assert un1["p_value"].iloc[0] == un2["p_value"].iloc[0]  # no arbitrary matching
    p1 = stats.compare_to_baseline(v1, "b", pairings={"p": PAIRED})["p_value"].iloc[0]
    p2 = stats.compare_to_baseline(v2, "b", pairings={"p": PAIRED})["p_value"].iloc[0]
    assert p1 != p2


def test_post_hoc_only_after_the_omnibus_rejects_and_unreachable_significance_is_said():
    rng = np.random.default_rng(0)
    same = tidy(rng.normal(0, 1, size=(8, 3)), ["a", "b", "c"])
    cmp = stats.compare_to_baseline(same, "a")
    assert cmp["omnibus_p"].iloc[0] >= 0.05 and (cmp["test"] == "none").all()
    assert cmp["why"].str.contains("no post-hoc test: kruskal-wallis omnibus p").all()
    assert (cmp["direction"] == "n.s.").all() and cmp["p_value"].isna().all()
    three = tidy(np.c_[[1.0, 2, 3], [4.0, 5, 6]], ["a", "b"])  # 3 vs 3 runs: smallest p = 2/20 = 0.1
    r = stats.compare_to_baseline(three, "a").iloc[0]
    assert r["p_value"] == pytest.approx(0.1) and not r["reachable"]
    assert "cannot reach significance: smallest possible p = 0.1" in r["why"]
    five = tidy(np.c_[rng.normal(0, 1, (5, 1)), rng.normal(9, 1, (5, 3))], ["a", "b", "c", "d"])
    big = stats.compare_to_baseline(five, "a", alpha=0.01)  # 2/252 x 3 (Holm) >= 0.01
    assert big["omnibus_p"].iloc[0] < 0.01 and not big["reachable"].any()


def test_friedman_nemenyi_match_scipy_scikit_posthocs_and_autorank(data):
    sp = pytest.importorskip("scikit_posthocs")
    autorank = pytest.importorskip("autorank")
    m, algos = data
    v = tidy(m, algos)
    fn = stats.friedman_nemenyi(v, blocks="seed")  # forced: the cross-check needs a 12 x 4 block design
    assert fn.friedman.p_value == pytest.approx(ss.friedmanchisquare(*m.T).pvalue) and fn.rejected
    ref = sp.posthoc_nemenyi_friedman(m)
    assert fn.p_nemenyi.to_numpy() == pytest.approx(ref.to_numpy(), abs=1e-10)
    ar = autorank.autorank(pd.DataFrame(m, columns=algos), alpha=0.05, order="descending", force_mode="nonparametric")
    assert fn.cd == pytest.approx(ar.cd, rel=1e-3)  # autorank uses statsmodels' qsturng approximation
    assert fn.mean_ranks[ar.rankdf.index].to_numpy() == pytest.approx(ar.rankdf["meanrank"].to_numpy())
    assert fn.friedman.p_value == pytest.approx(ar.pvalue)
    assert fn.mean_ranks.index[0] == "d"  # best (largest) first
    assert "4 algorithms x 12 blocks" in fn.friedman.note


def test_friedman_with_few_blocks_is_an_exact_permutation_test():
    import itertools

    m = pd.DataFrame([[1.0, 2.0, 3.0], [1.5, 3.5, 2.5]], columns=list("abc"))
    r = stats.friedman(m, "problem")
    obs = ss.friedmanchisquare(*m.to_numpy().T).statistic
    perms = list(itertools.permutations(range(3)))
    stat = [ss.friedmanchisquare(*np.array([m.to_numpy()[0][list(p)], m.to_numpy()[1][list(q)]]).T).statistic
            for p in perms for q in perms]
    assert r.p_value == pytest.approx(np.mean(np.array(stat) >= obs - 1e-12)) and "all 36" in r.note
    assert r.min_p == pytest.approx(1 / 6)


def test_friedman_blocks_are_problems_never_unpaired_seeds():
    rng = np.random.default_rng(1)
    parts = [tidy(rng.normal(size=(3, 3)) + [0, 1, 2], ["x", "y", "z"], problem=f"p{i}") for i in range(6)]
    fn = stats.friedman_nemenyi(pd.concat(parts))
    assert fn.blocks == "problem" and fn.n_blocks == 6
    one = stats.friedman_nemenyi(parts[0])
    assert one.blocks == "none" and one.friedman.name == "none" and "no blocks" in one.friedman.note
    assert stats.friedman_nemenyi(parts[0], pairings={"p0": PAIRED}).blocks == "seed"
    two = stats.friedman_nemenyi(pd.concat(parts[:2]))  # 2 blocks, 3 algorithms: smallest exact p = 1/6
    assert not two.rejected and "cannot reach significance" in two.friedman.note
    assert np.isnan(two.p_nemenyi.to_numpy()).all()  # no post-hoc without a rejecting omnibus test


def test_pairing_only_where_a_noise_field_is_shared():
    info = lambda s, tau: json.dumps({"proxy_noise_tau": tau, "noise_seed": s} if tau else {})  # noqa: E731
    runs = pd.DataFrame({"algorithm": ["a", "b"] * 4, "problem": ["n"] * 4 + ["t"] * 4,
                         "seed": [0, 0, 1, 1] * 2, "problem_info": [info(s, 0.4) for s in (0, 0, 1, 1)]
                         + [info(s, None) for s in (0, 0, 1, 1)]})
    pr = stats.pairing(runs)
    assert pr["n"].paired and "proxy-noise field" in pr["n"].why
    assert not pr["t"].paired and "share nothing" in pr["t"].why


def test_a12_known_values():
    assert stats.a12([1, 2, 3], [1, 2, 3]) == 0.5
    assert stats.a12([4, 5], [1, 2]) == 1.0 and stats.a12([1, 2], [4, 5]) == 0.0
    assert stats.a12([1, 3], [2]) == 0.5 and stats.a12([2, 2], [2, 1]) == 0.75
    assert stats.a12_magnitude(0.75) == "large" and stats.a12_magnitude(0.52) == "negligible"


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
    runs = pd.DataFrame({"algorithm": "a", "problem": "p", "seed": [0, 1], "chosen_report_test_acc": [60.0, 1.0]})
    d = stats.answer_vs_incumbent(runs, pd.concat([ev, ev2]), "test_acc")
    assert d["incumbent"].tolist() == [60.0, 5.0] and d["differs"].tolist() == [False, True]


def test_final_values_metric_errors_list_allowed():
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
