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
# rea: (9930, 459324) -> (10872, 374821) when its mutation became NB201 R_EA.py's node-then-edge rule (c1dc962).
GOLDEN_VALUES = {"rea": (10872, 374821), "random": (15283, 370752), "nsga2": (2581, 374344)}


@pytest.mark.parametrize("name", ["rea", "random", "nsga2"])
def test_golden_snapshot(name, c10_problem):
    res = run(get_algorithm(name)(), c10_problem, 200, seed=0)
    got = (res.chosen[0]["index"], int(res.trajectory["key"][:50].sum()))
    assert got == GOLDEN_VALUES[name], f"{name} changed behaviour: {got}"



# ---------------------------------------------------------------------------------------------- callbacks, resume
from nasbench_eval.search.callbacks import Callback  # noqa: E402


class _Interrupt(Exception):
    pass


class _CrashAfter(Callback):
    """Simulates a crash (power cut, Ctrl-C) in batch ``k`` (0-based), after its tell, before its checkpoint."""

    def __init__(self, k):
        self.k = k

    def on_batch(self, state):
        if state.batches > self.k:
            raise _Interrupt


def _same_run(a, b):
    assert set(a.trajectory) == set(b.trajectory)
    for k, v in a.trajectory.items():
        assert v.dtype == b.trajectory[k].dtype and np.array_equal(v, b.trajectory[k], equal_nan=True), k
    assert a.chosen == b.chosen and a.evaluations == b.evaluations and a.stopped_by == b.stopped_by
    assert a.total_cost == b.total_cost


@pytest.mark.parametrize("name, budget, k", [("rea", 120, 37), ("nsga2", 230, 3), ("cmanas", 300, 2),
                                             ("random", 95, 4)])
def test_interrupted_and_resumed_run_equals_an_uninterrupted_one(name, budget, k, c10_problem, tmp_path):
    algo = get_algorithm(name)()
    full = run(algo, c10_problem, budget, seed=5)
    with pytest.raises(_Interrupt):
        run(algo, c10_problem, budget, seed=5, callbacks=[_CrashAfter(k)], checkpoint=tmp_path, checkpoint_every=1)
    saved = np.load(tmp_path / "run.npz")
    assert int(saved["batch"].max()) == k - 1  # batches 0..k-1 were saved; batch k is evaluated again
    resumed = run(algo, c10_problem, budget, seed=5, checkpoint=tmp_path)
    _same_run(full, resumed)


class _Counting(Callback):
    def __init__(self):
        self.batches, self.stages, self.results, self.resumed = 0, [], [], []

    def on_batch(self, state):
        self.batches += 1
        assert len(state.history) == state.requests and not state.replaying

    def on_stage(self, state, stage, **info):
        self.stages.append((stage, int(info["op_mask"].sum()), state.replaying))

    def on_resume(self, state, directory):
        self.resumed.append(state.batches)

    def on_end(self, result):
        self.results.append(result)


def test_a_finished_run_resumes_without_evaluating(c10_problem, tmp_path):
    first = run(get_algorithm("rea")(), c10_problem, 60, seed=1, checkpoint=tmp_path, checkpoint_every=25)
    calls = []
    inner = c10_problem.evaluator.evaluate
    c10_problem.evaluator.evaluate = lambda archs: calls.append(len(archs)) or inner(archs)
    try:
        cb = _Counting()
        again = run(get_algorithm("rea")(), c10_problem, 60, seed=1, checkpoint=tmp_path, callbacks=[cb])
    finally:
        del c10_problem.evaluator.evaluate
    assert calls == [] and cb.batches == 0 and cb.resumed == [int(first.trajectory["batch"].max()) + 1]
    _same_run(first, again)
    assert cb.results and cb.results[0] is again


def test_resume_refuses_a_different_run(c10_problem, tmp_path):
    run(get_algorithm("rea")(), c10_problem, 30, seed=1, checkpoint=tmp_path)
    with pytest.raises(ConfigError, match="different seed"):
        run(get_algorithm("rea")(), c10_problem, 30, seed=2, checkpoint=tmp_path)
    with pytest.raises(ConfigError, match="different params"):
        run(get_algorithm("rea")(sample_size=5), c10_problem, 30, seed=1, checkpoint=tmp_path)
    with pytest.raises(ConfigError, match="cannot be continued"):
        run(get_algorithm("rea")(), c10_problem, 29, seed=1, checkpoint=tmp_path)


def test_a_larger_budget_continues_a_finished_run(c10_problem, tmp_path):
    run(get_algorithm("rea")(), c10_problem, 40, seed=2, checkpoint=tmp_path)
    more = run(get_algorithm("rea")(), c10_problem, 90, seed=2, checkpoint=tmp_path)
    _same_run(run(get_algorithm("rea")(), c10_problem, 90, seed=2), more)
    run(get_algorithm("random")(batch_size=7), c10_problem, 20, seed=0, checkpoint=tmp_path / "cut")
    with pytest.raises(ConfigError, match="last batch was cut"):
        run(get_algorithm("random")(batch_size=7), c10_problem, 30, seed=0, checkpoint=tmp_path / "cut")


def test_callbacks_see_batches_and_stages_and_can_stop(c10_problem):
    cb = _Counting()
    res = run(get_algorithm("pevonas")(), c10_problem, 5000, seed=3, callbacks=[cb])
    assert cb.batches == int(res.trajectory["batch"].max()) + 1 and cb.results == [res]
    assert [(s, n) for s, n, _ in cb.stages] == [(0, 30), (1, 18), (2, 12)]  # 5 -> 3 -> 2 ops on 6 edges

    class StopAt(Callback):
        def on_batch(self, state):
            state.stop = state.evaluations >= 25

    res = run(get_algorithm("random")(batch_size=10), c10_problem, 100, seed=0, callbacks=[StopAt()])
    assert res.stopped_by == "callback" and res.evaluations == 30


def test_batch_budget(c10_problem):
    res = run(get_algorithm("random")(batch_size=4), c10_problem, Budget(batches=3), seed=0)
    assert res.stopped_by == "budget" and res.trajectory["batch"].tolist() == [0] * 4 + [1] * 4 + [2] * 4
    with pytest.raises(ConfigError, match="budget batches must be a positive integer"):
        Budget(batches=0)


def test_the_trajectory_is_the_algorithms_history(c10_problem):
    """One record: what the algorithm was told is exactly the result's trajectory (no second archive)."""
    seen = {}

    class Grab(Callback):
        def on_end(self, result):
            seen["ok"] = True

        def on_batch(self, state):
            seen["history"] = state.history

    res = run(get_algorithm("nsga2")(), c10_problem, 120, seed=0, callbacks=[Grab()])
    h = seen["history"]
    assert np.array_equal(h.keys, res.trajectory["key"]) and np.array_equal(h.batch, res.trajectory["batch"])
    assert np.array_equal(h.values["valid_acc"], res.trajectory["valid_acc"], equal_nan=True)
