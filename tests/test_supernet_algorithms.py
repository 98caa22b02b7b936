"""The registered search algorithms drive a live supernet with the same code as on the tabular path."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasbench_eval.search import get_algorithm  # noqa: E402
from nasbench_eval.live.data import digits_splits  # noqa: E402
from nasbench_eval.supernet.driver import run_supernet_search, supernet_problem  # noqa: E402


@pytest.fixture(scope="module")
def data():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    d = digits_splits(seed=0, size=8)
    d["valid"] = (d["valid"][0][:64], d["valid"][1][:64])
    yield d
    torch.set_num_threads(n)


def _problem(space, data, **kw):
    return supernet_problem(space, data, np.random.default_rng(1), C=4, cells=1 if space == "nb201" else 3, epochs=2,
                            batch_size=32, valid_batch_size=64, device="cpu", max_batches=1, **kw)


@pytest.mark.parametrize("space, name", [("darts", "evnas"), ("nb201", "nevonas")])
def test_evnas_and_nevonas_run_on_a_supernet(space, name, data):
    params = {"population_size": 4}
    if name == "evnas":
        params["tournament_size"] = 2
    algo = get_algorithm(name).from_params(params)
    out = run_supernet_search(algo, _problem(space, data), np.random.default_rng(0), 2)
    assert out.generations == 2 and len(out.chosen_strings) >= 1
    assert 0 <= out.chosen_fitness[0] <= 100


def test_pevonas_stages_restrict_the_supernet_with_inherited_weights(data):
    problem = _problem("nb201", data, train_on_evaluate=False, train_mode="B")
    algo = get_algorithm("pevonas").from_params({"population_size": 4, "tournament_size": 2, "convergence_break": 1,
                                                  "max_generations": 2})
    sizes = []
    old_restrict = problem.evaluator.restrict

    def spy(op_mask, **kw):
        sizes.append(int(np.asarray(op_mask).sum()))
        assert kw["inherit"] is True
        return old_restrict(op_mask, **kw)

    problem.evaluator.restrict = spy
    out = run_supernet_search(algo, problem, np.random.default_rng(0), 8, stage_epochs=0)
    assert sizes == [6 * 3, 6 * 2]  # 5 -> 3 -> 2 ops per edge (progression None, 3, 2)
    ops = problem.space.parse(out.chosen_strings[0])
    mask = np.asarray(problem.evaluator.trainer.net.config()["op_mask"], dtype=bool)
    assert mask[np.arange(6), list(ops)].all()  # the answer only uses ops the last stage kept
