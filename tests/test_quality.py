"""Search-quality claims the README makes, checked on the real tables (the issue's "done when" numbers)."""
import json
import subprocess
import sys

import numpy as np
import pytest

from nasbench_eval import get_algorithm, run


def test_rea_beats_random_search_on_cifar10_over_30_seeds(c10_problem):
    """Over 30 seeds at 500 evaluations REA's mean test accuracy is >= 94.15 and above random search (about 94.0).

    With NB201's own mutation (``R_EA.py``: a random node, then a random edge into it) REA's mean is 94.19 here (200
    seeds: 94.20, s.e. 0.02); the earlier uniform-edge mutation reached 94.28 (200 seeds: 94.26), which is why an
    earlier version of this claim read ">= 94.2"."""
    rea = [run(get_algorithm("rea")(), c10_problem, 500, seed=s).chosen[0]["metrics"]["test_acc"] for s in range(30)]
    rs = [run(get_algorithm("random")(), c10_problem, 500, seed=s).chosen[0]["metrics"]["test_acc"] for s in range(30)]
    assert np.mean(rea) >= 94.15
    assert 93.8 <= np.mean(rs) < np.mean(rea)


@pytest.mark.slow
def test_mo_hdnas_front_quality_on_fpga_over_30_seeds():
    """Issue 4: cifar10 / fpga latency, <= 1,000 evaluations: mean normalised HV >= 0.97, feasible picks, gap <= 1."""
    from nasbench_eval.judge import judge_run
    from nasbench_eval.problems.hw import hw_problem

    problem = hw_problem("cifar10", "fpga", "latency", kind="bi-objective")
    hv, gaps, feasible = [], [], []
    for s in range(30):
        res = run(get_algorithm("mo-hdnas")(), problem, 1000, seed=s)
        keys = np.array([c["index"] for c in res.chosen])
        j = judge_run(problem, keys)
        hv.append(j["summary"]["hv_norm"])
        for p in j["per_threshold"]:
            feasible.append(p["feasible"])
            if p["gap"] is not None:
                gaps.append(p["gap"])
    assert np.mean(hv) >= 0.97
    assert all(feasible) and np.mean(gaps) <= 1.0


@pytest.mark.slow
def test_reproduce_nb201_quick_end_to_end(tmp_path):
    out = tmp_path / "r"
    r = subprocess.run([sys.executable, "-m", "nasbench_eval", "reproduce", "nb201", "--quick", "--no-progress",
                        "--out", str(out), "--backend", "serial"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = (out / "reproduction.md").read_text()
    assert "reproduced vs reported" in text and "Protocol differences" in text
    import pandas as pd

    t = pd.read_csv(out / "reproduction.csv")
    row = t[(t.algorithm == "rea") & (t.dataset == "cifar10") & (t.metric == "test")].iloc[0]
    assert row.reported_mean == pytest.approx(93.92) and row["mean"] > 93.5
    assert (out / "reproduced_vs_reported.png").stat().st_size > 10_000
    assert json.loads((out / "manifest.json").read_text())["complete"]
