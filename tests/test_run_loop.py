import json
import subprocess
import sys

import numpy as np
import pytest

from nasbench_eval import Budget, get_algorithm, nb201_problem, run
from nasbench_eval.errors import ConfigError
from nasbench_eval.evaluators.cache import CachedEvaluator


def test_evaluation_budget_truncates_the_last_batch(c10_problem):
    res = run(get_algorithm("random")(batch_size=7), c10_problem, 20, seed=0)
    assert res.evaluations == 20 and len(res.trajectory["key"]) == 20
    assert res.stopped_by == "budget"


def test_cost_budget(store):
    p = nb201_problem("cifar10", store=store, cost_per_eval=2.5)
    res = run(get_algorithm("random")(), p, Budget(cost=26.0), seed=0)
    assert res.total_cost <= 26.0 and res.evaluations == 10


def test_cache_hits_do_not_count(store):
    p = nb201_problem("cifar10", store=store)
    p.evaluator = CachedEvaluator(p.evaluator)
    res = run(get_algorithm("rea")(), p, 300, seed=0)
    t = res.trajectory
    assert res.evaluations == 300 and (~t["cached"]).sum() == 300 and len(t["key"]) > 300
    assert len(np.unique(t["key"][~t["cached"]])) == 300


def test_run_does_not_mutate_its_inputs(c10_problem):
    algo = get_algorithm("rea")()
    before = dict(vars(algo))
    run(algo, c10_problem, 30, seed=0)
    assert vars(algo) == before


def test_trajectory_has_reported_test_accuracy_after_search(c10_problem):
    res = run(get_algorithm("rea")(), c10_problem, 50, seed=0)
    t = res.trajectory
    assert {"valid_acc", "report_test_acc", "cum_cost", "eval"} <= set(t)
    best = int(np.argmax(t["valid_acc"]))
    assert res.chosen[0]["index"] == t["key"][best]
    assert res.chosen[0]["metrics"]["test_acc"] == pytest.approx(t["report_test_acc"][best])


def test_bad_budget_and_seed():
    with pytest.raises(ConfigError, match="positive integer"):
        Budget(evaluations=0)
    with pytest.raises(ConfigError):
        Budget()


def test_same_result_in_a_fresh_process(c10_problem):
    res = run(get_algorithm("rea")(), c10_problem, 100, seed=11)
    code = ("import json; from nasbench_eval import run, get_algorithm, nb201_problem; "
            "r = run(get_algorithm('rea')(), nb201_problem('cifar10'), 100, seed=11); "
            "print(json.dumps(r.trajectory['key'].tolist()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == res.trajectory["key"].tolist()


# Golden snapshots: (chosen index, sum of the first 50 proposed indices) at seed 0, 200 evaluations. They change
# only when an algorithm's behaviour changes; update them deliberately, with the reason in the commit message.
GOLDEN_VALUES = {"rea": (9930, 459324), "random": (15283, 370752), "nsga2": (2581, 374344)}


@pytest.mark.parametrize("name", ["rea", "random", "nsga2"])
def test_golden_snapshot(name, c10_problem):
    res = run(get_algorithm(name)(), c10_problem, 200, seed=0)
    got = (res.chosen[0]["index"], int(res.trajectory["key"][:50].sum()))
    assert got == GOLDEN_VALUES[name], f"{name} changed behaviour: {got}"

