"""The per-evaluation fast paths give exactly what their general forms give (docs/architecture.md, "The
per-evaluation path"): a small-batch path in plain Python must never drift from the array path it shortcuts."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench_eval.errors import InvalidArchError
from nasbench_eval.evaluators.base import Evaluation
from nasbench_eval.search.selection import _clean, deb_best, deb_sort_key
from nasbench_eval.spaces import NB201Space, nb201


def _numpy_best(f, v) -> int:
    f, v = _clean(f, v)
    return int(np.lexsort((-f, v))[0])


def test_deb_best_small_path_equals_the_array_path(rng):
    values = [0.0, -0.0, 1.0, 2.5, -3.0, np.inf, -np.inf, np.nan]
    for _ in range(3000):
        n = int(rng.integers(1, 9))
        f = [float(x) for x in rng.choice(values, n)]
        v = [float(x) for x in rng.choice([0.0, -0.0, 0.5, 2.0, np.inf, np.nan, -1.0], n)]
        assert deb_best(f, v) == _numpy_best(f, v), (f, v)
        # the sort key orders rows exactly as the rule does (min keeps the first of equal best rows)
        assert min(range(n), key=lambda i: deb_sort_key(f[i], v[i])) == _numpy_best(f, v)
    # numpy scalars take the small path too; anything else falls back to the array path
    assert deb_best([np.float64(1.0), np.float64(2.0)], [np.int64(0), np.int64(0)]) == 1
    assert deb_best([[1.0], [2.0]], [0.0, 0.0]) == 1


def test_cost_comparison_of_python_floats_equals_the_array_form(rng):
    from nasbench_eval.problems.costs import cost_eq, constraint_slack

    a = rng.uniform(0, 10, 2000)
    b = np.where(rng.random(2000) < 0.3, a * (1 + rng.choice([1e-16, 3e-13, 1e-11], 2000)), rng.uniform(0, 10, 2000))
    a[::97] = np.nan
    a[1], b[1] = 0.0, 0.0  # equal zeros are the same cost
    a[2], b[2] = 0.0, 1e-300
    arr = cost_eq(a, b)
    slack = constraint_slack(a, 4.8744200000000015)
    for i in range(len(a)):
        assert cost_eq(float(a[i]), float(b[i])) == bool(arr[i])
        s = constraint_slack(float(a[i]), 4.8744200000000015)
        assert np.float64(s).tobytes() == slack[i].tobytes() or (np.isnan(s) and np.isnan(slack[i]))


@pytest.mark.parametrize("device,quantile", [("eyeriss", 0.3), ("edgegpu", 0.5)])
def test_violation_of_one_row_equals_the_batch(store, device, quantile):
    """eyeriss latency has float-rounding copies of its thresholds; edgegpu has NaN (missing) costs."""
    from nasbench_eval.runner.cell import build_problem

    p = build_problem({"type": "hw", "dataset": "cifar10", "device": device, "metric": "latency",
                       "quantile": quantile})
    keys = np.arange(0, nb201.N_ARCHS, 7)
    ev = p.evaluate(nb201.index_to_ops(keys))
    whole = p.violation(ev)
    assert np.isinf(whole).any() == (device == "edgegpu") and (whole == 0).any() and (whole > 0).any()
    one = np.concatenate([p.violation(ev.take(slice(i, i + 1))) for i in range(len(keys))])
    assert one.tobytes() == whole.tobytes()


def test_range_checks_and_validity_of_small_and_large_batches(rng):
    assert nb201.all_in_range(np.array([], dtype=np.int64), 5)
    for n in (1, 2, 3, 40):
        a = rng.integers(-2, 7, size=(n, nb201.N_EDGES))
        want = ((a >= 0) & (a < nb201.N_OPS)).all(axis=1)
        assert np.array_equal(NB201Space.is_valid(a), want)
        assert nb201.all_in_range(a, nb201.N_OPS) == bool(want.all())
    assert not NB201Space.is_valid(np.zeros((1, 5), dtype=np.int64))[0]
    assert not NB201Space.is_valid(np.zeros((1, 0), dtype=np.int64))[0]
    with pytest.raises(Exception, match="out of range"):
        nb201.index_to_ops(np.array([nb201.N_ARCHS]))


def test_evaluation_keys_follow_the_rows(c10_problem, store):
    archs = nb201.index_to_ops(np.array([6111, 0, 15624]))
    ev = c10_problem.evaluate(archs)
    assert ev.keys.tolist() == [6111, 0, 15624] and ev.keys.dtype == np.int64
    assert ev.take(slice(1, 3)).keys.tolist() == [0, 15624]
    assert Evaluation.concat([ev, ev.take(slice(0, 1))]).keys.tolist() == [6111, 0, 15624, 6111]
    plain = Evaluation({"x": [1.0, 2.0]}, [1.0, 1.0])
    assert plain.keys is None and Evaluation.concat([plain, plain]).keys is None
    with pytest.raises(ValueError, match="keys"):
        Evaluation({"x": [1.0]}, [1.0], None, [1, 2])
    # the one-column gather and the 2-D look-up return the same numbers
    col = c10_problem.evaluator.columns["valid_acc"] if "valid_acc" in c10_problem.evaluator.columns else \
        next(iter(c10_problem.evaluator.columns.values()))
    idx = np.array([6111, 0, 15624, 6111])
    assert np.array_equal(store.gather([col], idx)[0], store.lookup([col], idx)[:, 0], equal_nan=True)


def test_history_keys_come_from_the_evaluation_or_the_space(c10_problem):
    from nasbench_eval.search.history import History

    h = History(c10_problem)
    archs = nb201.index_to_ops(np.array([5, 9]))
    ev = c10_problem.evaluate(archs)
    assert h.append(archs, ev) == [5, 9]
    bare = Evaluation(dict(ev.values), ev.cost)  # an evaluator that does not know keys
    assert h.append(archs, bare) == [5, 9]
    assert h.keys.tolist() == [5, 9, 5, 9] and h.row_of(9) == 3


def test_one_row_index_equals_the_array_form_for_every_arch():
    ops = nb201.index_to_ops(np.arange(nb201.N_ARCHS))
    one_by_one = np.concatenate([nb201.ops_to_index(ops[i:i + 1]) for i in range(nb201.N_ARCHS)])
    assert np.array_equal(one_by_one, nb201.ops_to_index(ops)) and np.array_equal(one_by_one, np.arange(nb201.N_ARCHS))
    assert nb201.ops_to_index(ops[7:8].astype(np.int32)).tolist() == [7]
    for bad in ([[0, 1, 2, 3, 4, 5]], [[0, -1, 0, 0, 0, 0]]):  # out of range: the general path's error
        with pytest.raises(InvalidArchError, match="op ids must be in"):
            nb201.ops_to_index(np.array(bad))


def test_store_lookups_skip_the_guard_only_for_columns_it_never_concerns(store):
    from nasbench_eval.tables.store import leakage_guard

    valid = next(c for c in store.columns if "valid_acc" in c)
    test = next(c for c in store.columns if "test_acc" in c)
    assert store.gather([valid], np.array([3]))[0][0] == store.column(valid)[3]
    with leakage_guard():
        store.gather([valid], np.array([3]))  # a search may read validation columns
        with pytest.raises(RuntimeError, match="leakage"):
            store.gather([test], np.array([3]))
    with store.forbid(lambda name: name == valid):  # an extra predicate: every read is checked again
        with pytest.raises(RuntimeError, match="leakage"):
            store.gather([valid], np.array([3]))
    store.gather([valid], np.array([3]))


def test_first_rows_kept_while_appending_equal_the_unique_rule(c10_problem, rng):
    """History keeps the first row of each distinct key as batches are appended (NEvoNAS reads its novelty archive
    every generation): the same rows as np.unique's first indices, sorted, with repeats inside and across batches."""
    from nasbench_eval.search.history import History

    for _ in range(200):
        h = History(c10_problem)
        for _ in range(int(rng.integers(1, 8))):
            keys = rng.integers(0, 30, int(rng.integers(0, 6)))
            archs = c10_problem.space.from_key(keys).reshape(len(keys), 6)
            zeros = np.zeros(len(keys))
            h.append(archs, Evaluation({m: zeros for m in h.metrics}, zeros, zeros.astype(bool)), keys=keys.tolist())
            _, first = np.unique(np.asarray(h.key_list, dtype=np.int64), return_index=True)
            assert np.array_equal(h.first_rows(), np.sort(first))


def test_pairwise_jaccard_equals_the_broadcast_distance(rng):
    """NEvoNAS's novelty takes its distance matrices from one product of one-hot matrices: bit for bit the
    broadcast ``jaccard_distance`` (identical, disjoint and partly equal archs; an empty archive); a space without a
    ``pairwise_distance`` (DARTS) broadcasts its ``distance``."""
    from nasbench_eval.spaces import get_space, pairwise_distance

    for _ in range(300):
        A = rng.integers(0, nb201.N_OPS, (int(rng.integers(1, 25)), nb201.N_EDGES))
        B = np.concatenate([A[: int(rng.integers(0, len(A) + 1))],
                            rng.integers(0, nb201.N_OPS, (int(rng.integers(0, 40)), nb201.N_EDGES))])
        want = np.asarray(nb201.jaccard_distance(A[:, None], B[None, :]), dtype=float).reshape(len(A), len(B))
        got = pairwise_distance(NB201Space(), A, B)
        assert got.shape == want.shape and got.tobytes() == want.tobytes()
    darts = get_space("darts")
    D = darts.random(rng, 5)
    want = np.asarray(darts.distance(D[:, None], D[None, :]), dtype=float).reshape(5, 5)
    assert np.array_equal(pairwise_distance(darts, D, D), want)
