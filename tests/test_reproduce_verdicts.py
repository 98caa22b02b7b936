"""Reproduction verdicts follow one test-based rule: TOST equivalence (Holm over the tested rows), rows of another
protocol are 'not comparable' and never 'reproduced'; cross-checked against statsmodels on raw samples."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nasbench_eval.reproduce.compare import (NOT_COMPARABLE, NOT_SHOWN, REPRODUCED, UNTESTED, comparison_table,
                                             verdict_rule)


def _runs(samples: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = [{"algorithm": a, "problem": "nb201-cifar10", "dataset": "cifar10", "seed": s, "chosen_report_test_acc": v}
            for a, x in samples.items() for s, v in enumerate(x)]
    return pd.DataFrame(rows)


@pytest.fixture
def case():
    rng = np.random.default_rng(0)
    ours = {"same": rng.normal(94.0, 0.2, 30), "few": rng.normal(94.0, 0.2, 30), "supernet": rng.normal(94.0, 0.2, 30),
            "nostat": rng.normal(94.0, 0.2, 30), "far": rng.normal(94.3, 0.2, 30)}
    paper = {"same": rng.normal(94.02, 0.3, 200), "few": rng.normal(93.9, 0.5, 3), "far": rng.normal(93.0, 0.3, 50)}
    rows = {k: {"cifar10": {"test": [float(v.mean()), float(v.std(ddof=1))]}} for k, v in paper.items()}
    rows["supernet"] = {"cifar10": {"test": [94.0, 0.2]}}  # same numbers, other protocol
    rows["nostat"] = {"cifar10": {"test": [94.0, 0.2]}}
    rep = {"rows": rows, "n_runs": {k: len(v) for k, v in paper.items()} | {"supernet": 3},
           "protocol_differs": {"supernet": "weight-sharing supernet fitness"}, "equivalence_margin": 0.5}
    return ours, paper, rep


def test_verdicts_follow_tost_with_holm_and_protocol(case):
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.weightstats import ttost_ind

    ours, paper, rep = case
    t = comparison_table(_runs(ours), rep, {k: k for k in ours}).set_index("algorithm")
    assert t.at["supernet", "verdict"] == NOT_COMPARABLE and np.isnan(t.at["supernet", "p_value"])
    assert t.at["supernet", "protocol"] == "weight-sharing supernet fitness"
    assert t.at["nostat", "verdict"] == UNTESTED
    tested = ["same", "few", "far"]
    raw = [ttost_ind(ours[k], paper[k], -0.5, 0.5, usevar="unequal")[0] for k in tested]
    assert t.loc[tested, "p_value"].to_numpy() == pytest.approx(raw)
    assert t.loc[tested, "p_holm"].to_numpy() == pytest.approx(multipletests(raw, method="holm")[1])
    assert t.at["same", "verdict"] == REPRODUCED and t.at["same", "p_holm"] < 0.05
    # inside the paper's mean ± std, but 3 paper runs cannot show equivalence: not "within", not "reproduced"
    assert abs(t.at["few", "diff"]) < t.at["few", "reported_std"] and t.at["few", "verdict"] == NOT_SHOWN
    assert t.at["far", "verdict"] == NOT_SHOWN and t.at["far", "diff"] > 1
    for _, r in t.iterrows():  # no verdict contradicts its own test
        assert (r["verdict"] == REPRODUCED) == (np.isfinite(r["p_holm"]) and r["p_holm"] < 0.05)
    assert t["why"].str.len().gt(0).all() and "Holm over the 3 tested rows" in t.at["same", "why"]
    rule = verdict_rule(t.reset_index(), rep)
    assert "Holm-corrected over the 3 tested rows" in rule and "0.5 accuracy points" in rule


def test_rendered_verdicts_have_two_significant_digits(case, tmp_path):
    from nasbench_eval.reproduce.run import _comparison_sections

    ours, _, rep = case
    t = comparison_table(_runs(ours), rep, {k: k for k in ours})
    rep = {**rep, "source": "test"}
    text = "".join(_comparison_sections(t, {"reported_data": rep, "metrics": ["test"]}, tmp_path))
    assert "within" not in text and "not comparable: protocol differs |" in text
    p = t.set_index("algorithm").at["same", "p_holm"]
    assert f"reproduced (p={p:.2g})" in text
    assert "- `supernet` (ours: supernet): weight-sharing supernet fitness" in text


def test_catalogue_rows_of_another_protocol_are_never_tested():
    from nasbench_eval.reproduce import load_reproduction

    rep = load_reproduction("nb201")["reported_data"]
    assert {"evnas", "pevonas", "nevonas", "cmanas-h12", "rea", "random", "rminas"} <= set(rep["protocol_differs"])
    assert "shared/" not in rep["source"] and "§" not in rep["source"]


def test_catalogue_refuses_a_misspelt_protocol_row(monkeypatch):
    from nasbench_eval.errors import ConfigError
    from nasbench_eval.reproduce import catalogue

    data = {"reported": "reported_x.yaml", "compare": {"a": "a"}}
    with pytest.raises(ConfigError, match=r"'protocol_differs' names rows \['evnass'\]"):
        catalogue._check_reported("x", data, {"rows": {"a": {}}, "protocol_differs": {"evnass": "supernet"}})
    with pytest.raises(ConfigError, match="equivalence_margin"):
        catalogue._check_reported("x", data, {"rows": {"a": {}}, "equivalence_margin": -1})
