"""SupernetEvaluator, the resumable generation driver and the `supernet` CLI on tiny digits configs."""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasbench_eval.evaluators.supernet import SupernetEvaluator  # noqa: E402
from nasbench_eval.search import Algorithm  # noqa: E402
from nasbench_eval.spaces import get_space  # noqa: E402
from nasbench_eval.live.data import digits_splits  # noqa: E402
from nasbench_eval.supernet.driver import run_supernet_search, supernet_problem  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def data():
    d = digits_splits(seed=0, size=8)
    d["valid"] = (d["valid"][0][:96], d["valid"][1][:96])
    return d


class AlphaRandomSearch(Algorithm):
    """Stand-in for EvNAS-like algorithms: samples alpha ~ U[0,1) and decodes it with space.decode_alpha."""

    name = "alpha-random"
    spaces = ("nb201", "darts")

    def __init__(self, batch_size: int = 3):
        self.batch_size = batch_size

    def ask(self):
        return self.space.decode_alpha(self.rng.random((self.batch_size, self.space.n_edges, self.space.n_ops)))


def problem(space, data, seed=0, **kw):
    kw.setdefault("max_batches", 2)
    return supernet_problem(space, data, np.random.default_rng(seed), C=4, cells=1 if space == "nb201" else 3,
                            epochs=3, batch_size=32, valid_batch_size=64, device="cpu", **kw)


@pytest.mark.parametrize("space", ["nb201", "darts"])
def test_evaluator_accuracy_cost_and_af_cache(space, data):
    p = problem(space, data, train_on_evaluate=False)
    ev = p.evaluator
    assert isinstance(ev, SupernetEvaluator) and ev.arch_shape == get_space(space).arch_shape
    archs = get_space(space).random(np.random.default_rng(0), 2)
    archs = np.concatenate([archs, archs[:1]])
    r = ev.evaluate(archs)
    acc = r.values["supernet_valid_acc"]
    assert ((acc >= 0) & (acc <= 100)).all() and np.isclose(acc * 96 / 100, np.round(acc * 96 / 100)).all()
    assert (r.cost[:2] > 0).all() and r.cached.tolist() == [False, False, True] and acc[2] == acc[0]
    assert ev.evaluate(archs[:1]).cached.all()  # frozen supernet: AF table hit
    ev.pretrain(1, "C")
    assert not ev.evaluate(archs[:1]).cached.any()  # weights changed: the table no longer applies


def test_train_on_evaluate_mode_a_and_bn_train(data):
    p = problem("nb201", data, bn_mode="train")
    sp = p.space
    archs = sp.random(np.random.default_rng(1), 2)
    v0 = p.evaluator.trainer.version
    r = p.evaluate(archs)
    assert p.evaluator.trainer.version == v0 + 2 and p.evaluator.log[-1]["mode"] == "A"
    assert (r.cost > 0).all() and not r.cached.any()


def test_hard_flag_and_bn_mode_reach_the_supernet(data):
    p = problem("nb201", data, train_on_evaluate=False, hard=True, bn_mode="train")
    net = p.evaluator.trainer.net
    net.eval()
    seen, forward = [], net.forward
    net.forward = lambda x, alpha, hard=False: seen.append((hard, net.training)) or forward(x, alpha, hard)
    p.evaluate(p.space.random(np.random.default_rng(2), 1))
    assert seen and all(s == (True, True) for s in seen)
    assert not net.training  # restored after scoring


def test_restrict_pevonas_stage_inherits_weights(data):
    p = problem("nb201", data, train_on_evaluate=False)
    old_stem = p.evaluator.trainer.net.stem[0].weight.detach().clone()
    mask = np.zeros((6, 5), bool)
    mask[:, [1, 3]] = True
    p.evaluator.restrict(mask, inherit=True, epochs=0)
    net = p.evaluator.trainer.net
    assert torch.equal(net.stem[0].weight, old_stem)
    assert all(m.op_ids == [1, 3] for c in net.cells if hasattr(c, "edges") for m in c.edges)
    r = p.evaluate(np.array([[1, 3, 1, 3, 1, 3]]))
    assert 0 <= r.values["supernet_valid_acc"][0] <= 100


def test_driver_runs_and_resumes_identically(data, tmp_path):
    full = run_supernet_search(AlphaRandomSearch(), problem("nb201", data), np.random.default_rng(7), 3)
    assert full.generations == 3 and len(full.chosen_strings) == 1
    assert 0 <= full.chosen_fitness[0] <= 100
    ck = tmp_path / "ck"
    part = run_supernet_search(AlphaRandomSearch(), problem("nb201", data), np.random.default_rng(7), 2,
                               checkpoint_dir=ck)
    assert part.generations == 2 and (ck / "run.npz").exists()
    assert json.loads((ck / "trainer-000002" / "meta.json").read_text())["extra"]["batches"] == 2
    resumed = run_supernet_search(AlphaRandomSearch(), problem("nb201", data, seed=99), np.random.default_rng(7), 3,
                                  checkpoint_dir=ck)
    assert resumed.resumed_from == 2 and resumed.generations == 3
    for a, b in zip(full.history, resumed.history):
        assert a["archs"] == b["archs"] and a["values"] == b["values"]
    with pytest.raises(ValueError, match="different params"):
        run_supernet_search(AlphaRandomSearch(batch_size=2), problem("nb201", data), np.random.default_rng(7), 3,
                            checkpoint_dir=ck)


def test_cli_search_and_train_final(tmp_path, capsys):
    from nasbench_eval.cli import main
    from nasbench_eval.search import register

    register(AlphaRandomSearch)
    rc = main(["supernet", "search", "--space", "darts", "--algorithm", "alpha-random", "--param", "batch_size=2",
               "--generations", "1", "-C", "4", "--cells", "3", "--image-size", "8", "--batch-size", "32",
               "--max-batches", "1", "--device", "cpu", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["chosen"][0]["genotype"].startswith("Genotype(normal=[")
    geno = out["chosen"][0]["genotype"]
    rc = main(["supernet", "train-final", geno, "--epochs", "1", "-C", "4", "--layers", "3", "--image-size", "8",
               "--batch-size", "32", "--max-batches", "2", "--cutout", "4", "--device", "cpu", "--json",
               "--save", str(tmp_path / "final")])
    res = json.loads(capsys.readouterr().out)
    assert rc == 0 and 0 <= res["test_acc"] <= 100 and res["params_M"] > 0
    state = torch.load(tmp_path / "final" / "weights.pt", weights_only=True)
    assert any(k.startswith("aux.") for k in state)
    assert main(["supernet", "train-final", "Genotype(normal=[])", "--epochs", "1"]) == 2
