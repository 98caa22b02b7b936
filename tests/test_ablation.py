"""Sweeps in specs (expansion, labels, stored values, resume) and the ablation statistics (trend test, importance)."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from nasbench_eval.errors import ConfigError
from nasbench_eval.runner import parse_spec
from nasbench_eval.stats import ablation as ab


def _spec(algorithms, problems=None, **kw):
    d = {"root_seed": 5, "seeds": 2, "budget": {"evaluations": 30}, "algorithms": algorithms,
         "problems": problems or [{"type": "nb201", "dataset": "cifar10"}]}
    d.update(kw)
    return d


# ------------------------------------------------------------------------------------------------ expansion
def test_cartesian_expansion_labels_params_and_order():
    s = parse_spec(_spec(["random", {"name": "rea", "sweep": {"population_size": [5, 20], "sample_size": [2, 4]}}]))
    labels = [a["label"] for a in s.algorithms]
    assert labels == ["random", "rea[population_size=5,sample_size=2]", "rea[population_size=5,sample_size=4]",
                      "rea[population_size=20,sample_size=2]", "rea[population_size=20,sample_size=4]"]
    assert s.algorithms[3]["params"] == {"population_size": 20, "sample_size": 2}
    assert s.n_cells == 5 * 1 * 2
    meta = s.sweeps["algorithms"]["rea[population_size=20,sample_size=2]"]
    assert meta["of"] == "rea" and meta["values"] == {"population_size": 20, "sample_size": 2}
    assert meta["defaults"] == {"population_size": 10, "sample_size": 3}  # REA's constructor defaults
    assert "random" not in s.sweeps["algorithms"]
    cells = s.cells()
    assert cells[0].sweep is None  # random: not swept
    c = cells[2]  # first cell of the first rea setting
    assert c.algorithm["label"] == "rea[population_size=5,sample_size=2]"
    assert c.sweep["sweep_population_size"] == 5.0 and c.sweep["sweep_sample_size"] == 2.0
    assert json.loads(c.sweep["sweep"]) == {"algorithm": {"population_size": 5, "sample_size": 2}, "problem": {}}


def test_one_at_a_time_varies_one_parameter_around_the_defaults():
    s = parse_spec(_spec([{"name": "rea", "label": "r", "design": "one-at-a-time",
                           "sweep": {"population_size": [5, 10, 20], "sample_size": [2, 3]}}]))
    assert [a["label"] for a in s.algorithms] == [
        "r[population_size=5,sample_size=3]", "r[population_size=10,sample_size=3]",
        "r[population_size=20,sample_size=3]", "r[population_size=10,sample_size=2]"]  # the default setting once


def test_fixed_params_are_the_one_at_a_time_defaults():
    s = parse_spec(_spec([{"name": "rea", "design": "one-at-a-time", "params": {"sample_size": 5},
                           "sweep": {"population_size": [5, 20]}}]))
    assert [a["params"] for a in s.algorithms] == [{"population_size": 5, "sample_size": 5},
                                                   {"population_size": 20, "sample_size": 5}]


def test_problem_sweep_labels_and_values():
    s = parse_spec(_spec(["random"], [{"type": "hw", "device": "fpga", "sweep": {"quantile": [0.1, 0.3]}},
                                      {"type": "nb201", "dataset": "cifar100",
                                       "sweep": {"proxy_noise_tau": [0.4, None]}},
                                      {"type": "nb201", "dataset": "ImageNet16-120", "label": "in16",
                                       "sweep": {"fitness": ["valid", "train"]}}]))
    assert [p["label"] for p in s.problems] == [
        "hw-cifar10-fpga-latency-q0.1", "hw-cifar10-fpga-latency-q0.3", "nb201-cifar100-tau0.4", "nb201-cifar100",
        "in16[fitness=valid]", "in16[fitness=train]"]
    assert s.problems[1]["quantile"] == 0.3 and s.problems[1]["kind"] == "constrained"
    assert "proxy_noise_tau" not in s.problems[3]  # null = the exact proxy
    m = s.sweeps["problems"]["hw-cifar10-fpga-latency-q0.3"]
    assert m["of"] == "hw-cifar10-fpga-latency" and m["values"] == {"quantile": 0.3}
    cols = [c.sweep for c in s.cells() if c.problem["label"] == "nb201-cifar100"][0]
    assert np.isnan(cols["sweep_problem_proxy_noise_tau"])  # numeric column: null -> NaN
    text = [c.sweep for c in s.cells() if c.problem["label"] == "in16[fitness=train]"][0]
    assert text["sweep_problem_fitness"] == "train"


def test_unswept_spec_keeps_its_hash_shape():
    s = parse_spec(_spec(["random", {"name": "rea", "params": {"population_size": 5}}]))
    assert s.sweeps is None and "sweeps" not in s.to_dict()
    assert all(c.sweep is None for c in s.cells())


@pytest.mark.parametrize("entry, match", [
    ({"name": "rea", "sweep": {"pop": [1, 2]}}, "unknown parameter.*'pop'.*allowed: population_size"),
    ({"name": "rea", "sweep": {"population_size": [5, 5]}}, "more than once"),
    ({"name": "rea", "sweep": {"population_size": []}}, "non-empty list"),
    ({"name": "rea", "sweep": {"population_size": 5}}, "non-empty list"),
    ({"name": "rea", "sweep": {"population_size": [5]}, "design": "latin"}, "design must be one of"),
    ({"name": "rea", "design": "one-at-a-time"}, "needs a 'sweep'"),
    ({"name": "rea", "params": {"population_size": 5}, "sweep": {"population_size": [5, 6]}}, "both fixed"),
    ({"name": "rea", "sweep": {"population_size": [5, -1]}}, "population_size.*got -1"),
])
def test_bad_algorithm_sweeps_are_refused(entry, match):
    with pytest.raises(ConfigError, match=match):
        parse_spec(_spec([entry]))


def test_bad_problem_sweeps_are_refused():
    with pytest.raises(ConfigError, match="cannot sweep"):
        parse_spec(_spec(["random"], [{"type": "nb201", "sweep": {"type": ["nb201", "hw"]}}]))
    with pytest.raises(ConfigError, match=r"problems\[0\].*quantile"):
        parse_spec(_spec(["random"], [{"type": "hw", "device": "fpga", "sweep": {"quantile": [0.3, 2.0]}}]))


# ------------------------------------------------------------------------------------------------ runs + report
@pytest.fixture(scope="module")
def swept_run(tmp_path_factory):
    from nasbench_eval.runner import load_results, run_experiment

    spec = parse_spec(_spec([{"name": "rea", "sweep": {"population_size": [3, 12], "sample_size": [2, 3]}}],
                            [{"type": "nb201", "dataset": "cifar10"}, {"type": "nb201", "dataset": "cifar100"}],
                            seeds=4))
    out = tmp_path_factory.mktemp("abl") / "res"
    first = run_experiment(spec, out, progress=False)
    again = run_experiment(spec, out, progress=False)
    return spec, out, first, again, load_results(out)


def test_swept_runs_store_their_values_and_resume(swept_run):
    spec, out, first, again, res = swept_run
    assert first["ran"] == spec.n_cells == 4 * 2 * 4 and again["ran"] == 0 and again["skipped"] == spec.n_cells
    r = res.runs
    for row in r.itertuples(index=False):
        values = json.loads(row.sweep)["algorithm"]
        assert row.algorithm == f"rea[population_size={values['population_size']},sample_size={values['sample_size']}]"
        assert row.sweep_population_size == values["population_size"]
        assert json.loads(row.params)["population_size"] == values["population_size"]  # resolved params agree
    assert res.manifest["spec"]["sweeps"]["algorithms"].keys() == {a["label"] for a in spec.algorithms}


def test_swept_cells_are_bit_identical_to_explicit_entries(swept_run, tmp_path):
    """A sweep is only a way of writing entries: the same entries written by hand give the same numbers."""
    from nasbench_eval.runner import load_results, run_experiment

    spec, _, _, _, res = swept_run
    explicit = parse_spec(_spec([{"name": "rea", "params": a["params"], "label": a["label"]}
                                 for a in spec.algorithms],
                                [{"type": "nb201", "dataset": "cifar10"}, {"type": "nb201", "dataset": "cifar100"}],
                                seeds=4))
    run_experiment(explicit, tmp_path / "x", progress=False)
    ex = load_results(tmp_path / "x").runs
    cols = ["algorithm", "problem", "seed", "chosen_key", "chosen_report_test_acc", "best_fitness"]
    pd.testing.assert_frame_equal(res.runs[cols].reset_index(drop=True), ex[cols].reset_index(drop=True))


def test_report_has_the_ablation_section(swept_run):
    from nasbench_eval.report import make_report

    _, out, _, _, _ = swept_run
    rep = make_report(out, "md")
    text = rep.read_text()
    assert "## Ablation: how test_acc responds" in text and "### Which settings matter most" in text
    assert "### Ablation: rea on nb201-cifar10" in text and "### Ablation: rea on nb201-cifar100" in text
    folder = rep.parent
    assert (folder / "ablation_rea_on_nb201-cifar10.png").exists()
    assert (folder / "ablation_rea_on_nb201-cifar10_population_size_x_sample_size.png").exists()
    imp = pd.read_csv(folder / "ablation_importance.csv")
    u = imp[imp["unit"] == "rea on nb201-cifar10"]
    assert set(u["effect"]) == {"population_size", "sample_size", "population_size x sample_size",
                                ab.RESIDUAL}
    assert u["eta2"].sum() == pytest.approx(1.0, abs=1e-9)  # balanced 2x2 design: type-II SS add up
    tests = pd.read_csv(folder / "ablation_tests.csv")
    assert (tests["reference"].astype(str) == "3").all()
    ref = tests.drop_duplicates("factor").set_index("factor")["reference_is"]
    assert ref["sample_size"] == "the default"  # REA's default sample size 3 is a level
    assert ref["population_size"].startswith("the first level")  # its default 10 is not


# ------------------------------------------------------------------------------------------------ statistics
def test_jonckheere_statistic_is_the_sum_of_mann_whitney_counts():
    rng = np.random.default_rng(1)
    groups = [np.round(rng.normal(m, 1, n), 1) for m, n in ((0, 6), (0.5, 7), (1, 5))]  # with ties
    u = sum(sps.mannwhitneyu(groups[j], groups[i]).statistic for i, j in itertools.combinations(range(3), 2))
    assert ab.jonckheere_statistic(groups) == pytest.approx(u)


def _exact_jt_p(groups):
    """Exact two-sided p by enumerating every assignment of the pooled values to groups of these sizes."""
    allv = np.concatenate(groups)
    sizes = [len(g) for g in groups]
    n = len(allv)
    _, mean, _, _ = ab.jonckheere_normal(groups)
    obs = abs(ab.jonckheere_statistic(groups) - mean)
    hits = total = 0
    for first in itertools.combinations(range(n), sizes[0]):
        rest = [i for i in range(n) if i not in first]
        for second in itertools.combinations(rest, sizes[1]):
            third = [i for i in rest if i not in second]
            gs = [allv[list(first)], allv[list(second)], allv[third]]
            total += 1
            hits += abs(ab.jonckheere_statistic(gs) - mean) >= obs - 1e-9
    return hits / total


def test_jonckheere_permutation_p_matches_exact_enumeration():
    groups = [np.array([1.0, 2.5, 3.1]), np.array([2.0, 4.2, 5.5]), np.array([4.8, 6.0, 7.3])]
    r = ab.jonckheere(groups, seed=0)
    exact = _exact_jt_p(groups)
    assert r.name == "jonckheere-terpstra" and r.sign == 1
    assert r.p_value == pytest.approx(exact, abs=0.01)  # 9,999 resamples: Monte-Carlo error ~0.003


def test_jonckheere_normal_approximation_agrees_with_permutation():
    rng = np.random.default_rng(7)
    groups = [np.round(rng.normal(m, 1.0, 12), 1) for m in (0.0, 0.25, 0.5, 0.75)]
    r = ab.jonckheere(groups)  # >= 5 runs per level: normal approximation
    perm = sps.permutation_test(groups, ab._jt_vectorized, permutation_type="independent", vectorized=True,
                                n_resamples=9999, rng=np.random.default_rng(0)).pvalue
    assert "normal approximation" in r.note
    assert r.p_value == pytest.approx(perm, abs=0.02)
    down = ab.jonckheere(groups[::-1])
    assert down.sign == -1 and down.p_value == pytest.approx(r.p_value)


def test_jonckheere_no_trend_and_degenerate_cases():
    assert ab.jonckheere([np.ones(3), np.ones(4), np.ones(3)]).name == "none"
    assert ab.jonckheere([np.arange(3.0), np.arange(3.0)]).name == "none"  # 2 levels: no trend test


def _table(effects, seeds=8, seed=0):
    """A synthetic sweep table: factor a (3 levels) with effect ``effects[0]`` per step, b (2 levels) with
    ``effects[1]``; noise sd 1."""
    rng = np.random.default_rng(seed)
    rows = []
    for a, b in itertools.product([1, 2, 3], ["x", "y"]):
        for s in range(seeds):
            v = effects[0] * a + effects[1] * (b == "y") + rng.normal()
            rows.append({"unit": "u", "algorithm": f"alg[a={a},b={b}]", "problem": "p", "seed": s, "value": v,
                         "factors": {"a": a, "b": b}})
    return pd.DataFrame(rows)


SWEEPS = {"algorithms": {f"alg[a={a},b={b}]": {"of": "alg", "design": "cartesian", "values": {"a": a, "b": b},
                                               "defaults": {"a": 2, "b": "x"}, "levels": {"a": [1, 2, 3],
                                                                                      "b": ["x", "y"]}}
                         for a, b in itertools.product([1, 2, 3], ["x", "y"])}}


def test_importance_ranks_the_factor_that_matters_and_eta2_is_the_variance_share():
    tab = _table((2.0, 0.0))
    imp = ab.importance(tab, SWEEPS)
    top = imp[imp["rank"] == 1].iloc[0]
    assert top["effect"] == "a" and top["eta2"] > 0.7
    g = tab.assign(a=tab["factors"].map(lambda d: d["a"])).groupby("a")["value"]
    ss_between = (g.size() * (g.mean() - tab["value"].mean()) ** 2).sum()
    ss_total = ((tab["value"] - tab["value"].mean()) ** 2).sum()
    assert top["eta2"] == pytest.approx(ss_between / ss_total)  # balanced: type-II SS of a = one-way SS_between


def test_factor_tests_follow_the_report_rules():
    tab = _table((1.5, 0.0), seeds=10)
    runs = pd.DataFrame({"algorithm": tab["algorithm"], "problem": "p", "seed": tab["seed"],
                         "chosen_report_test_acc": tab["value"]})
    res = ab.factor_tests(runs, SWEEPS, "test_acc")
    t = res["tests"]
    a = t[t["factor"] == "a"]
    assert set(a["level"]) == {"1", "3"} and (a["reference"] == "2").all()  # default a=2 is the reference
    assert (a["omnibus"] == "kruskal-wallis").all() and (a["omnibus_p"] < 0.05).all()
    assert a.set_index("level").loc["3", "direction"] == "better" and a.set_index("level").loc["1", "direction"] \
        == "worse"
    tr = res["trend"].set_index("factor")
    assert tr.loc["a", "jt_test"] == "jonckheere-terpstra" and tr.loc["a", "jt_direction"] == "better with larger a"
    assert tr.loc["b", "jt_test"] == "none"  # two unordered levels
    # latency-like metric: the same numbers are worse when larger (one sense rule)
    runs_min = runs.rename(columns={"chosen_report_test_acc": "chosen_latency"})
    res_min = ab.factor_tests(runs_min, SWEEPS, "latency")
    assert res_min["tests"].set_index(["factor", "level"]).loc[("a", "3"), "direction"] == "worse"


def test_ablate_cli_builds_and_checks_the_spec(capsys):
    from nasbench_eval.cli import main
    from nasbench_eval.cli.ablate import parse_sweep

    assert parse_sweep(["population_size=5,10", "objectives=both,novelty", "af_table=true,false"]) == {
        "population_size": [5, 10], "objectives": ["both", "novelty"], "af_table": [True, False]}
    assert main(["ablate", "rea", "--param", "population_size=5,20", "--dataset", "cifar10,cifar100", "--seeds",
                 "3", "--budget", "20", "--check"]) == 0
    out = capsys.readouterr().out
    assert "2 settings x 2 problems x 3 seeds = 12 runs" in out and "rea[population_size=20]" in out
    assert main(["ablate", "rea", "--param", "population_size=5,,7", "--check"]) == 2
