"""Supernets (DARTS, NB201): shapes, fast == reference mixed op, hard vs soft, training modes, inheritance, checkpoints."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasbench_eval.spaces import get_space  # noqa: E402
from nasbench_eval.supernet import (  # noqa: E402
    DartsSupernet,
    NB201Supernet,
    SupernetTrainer,
    batch_alpha,
    inherit_weights,
    load_checkpoint,
    save_checkpoint,
)
from nasbench_eval.supernet.final import DartsEvalNetwork, drop_path  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny nets: threads only add overhead on a shared 2-core box
    yield
    torch.set_num_threads(n)


def tiny(space, **kw):
    if space == "darts":
        return DartsSupernet(C=4, layers=3, **kw)
    return NB201Supernet(C=4, N=1, **kw)


def fixed_batch(n=16, size=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, size, size, generator=g), torch.randint(0, 10, (n,), generator=g)


@pytest.mark.parametrize("space", ["darts", "nb201"])
def test_forward_shapes_reference_equality_and_hard(space):
    torch.manual_seed(0)  # test-only: module init
    net, sp = tiny(space), get_space(space)
    x, _ = fixed_batch()
    hat = sp.alpha_hat(sp.random(np.random.default_rng(0), 1))[0]
    net.eval()
    with torch.no_grad():
        soft = net(x, hat)
        net.use_reference = True
        ref = net(x, hat)
        net.use_reference = False
        hard = net(x, hat, hard=True)
        cont = net(x, np.random.default_rng(1).random((sp.n_edges, sp.n_ops)))
    assert soft.shape == hard.shape == cont.shape == (16, 10)
    assert torch.allclose(soft, ref, atol=1e-6)
    assert not torch.allclose(soft, hard, atol=1e-3)
    assert torch.isfinite(cont).all()


def test_darts_reductions_and_stem():
    net = DartsSupernet(C=4, layers=8)
    assert [c.reduction for c in net.cells] == [False, False, True, False, False, True, False, False]
    assert net.stem[0].out_channels == 12
    with pytest.raises(ValueError, match="alpha must have shape"):
        net(torch.zeros(2, 3, 8, 8), np.zeros((6, 5)))


def test_hard_mode_runs_only_chosen_op():
    net = tiny("nb201")
    calls = []
    for name, m in net.named_modules():
        if name.endswith("ops.nor_conv_3x3.conv"):
            m.register_forward_hook(lambda *a: calls.append(1))
    sp = get_space("nb201")
    x, _ = fixed_batch()
    with torch.no_grad():
        net(x, sp.alpha_hat(np.array([1, 1, 1, 1, 1, 1])), hard=True)
        assert calls == []
        net(x, sp.alpha_hat(np.array([1, 1, 1, 1, 1, 1])))
        assert len(calls) == 18  # 3 stages x 1 cell x 6 edges


@pytest.mark.parametrize("space", ["darts", "nb201"])
def test_training_steps_reduce_loss_on_a_fixed_batch(space):
    torch.manual_seed(0)
    net, sp = tiny(space), get_space(space)
    x, y = fixed_batch(8 if space == "darts" else 32)
    tr = SupernetTrainer(net, (x, y), np.random.default_rng(0), epochs=1)
    hat = sp.alpha_hat(sp.random(np.random.default_rng(0), 1))[0]
    steps = 8 if space == "darts" else 15
    losses = [tr.step(x, y, hat) for _ in range(steps)]
    assert losses[-1] < 0.7 * losses[0]
    assert tr.version == steps


def test_mode_alpha_generation():
    rng = np.random.default_rng(0)
    pop = np.random.default_rng(1).random((3, 6, 5))
    for b in range(7):
        assert np.array_equal(batch_alpha("A", b, rng, (6, 5), pop), pop[b % 3])
    b1, b2 = batch_alpha("B", 0, rng, (6, 5)), batch_alpha("B", 1, rng, (6, 5))
    assert b1.shape == (6, 5) and (0 <= b1).all() and (b1 < 1).all() and not np.array_equal(b1, b2)
    c = batch_alpha("C", 0, rng, (28, 8))
    assert c.shape == (28, 8) and (c >= 0).all() and c.max() < 1e-3 and c.max() > 0
    with pytest.raises(ValueError, match="allowed: A, B, C"):
        batch_alpha("D", 0, rng, (6, 5))
    with pytest.raises(ValueError, match="needs the population"):
        batch_alpha("A", 0, rng, (6, 5))


def test_trainer_mode_a_round_robin_uses_population_order():
    sp = get_space("nb201")
    x, y = fixed_batch(40)
    tr = SupernetTrainer(tiny("nb201"), (x, y), np.random.default_rng(0), batch_size=8)
    seen = []
    tr.step = lambda xb, yb, alpha: seen.append(alpha) or 0.0
    archs = sp.random(np.random.default_rng(3), 3)
    tr.train_epoch("A", sp.alpha_hat(archs))
    assert len(seen) == 5
    for b, a in enumerate(seen):
        assert np.array_equal(a, sp.alpha_hat(archs[b % 3]))


def test_op_mask_softmax_and_weight_inheritance():
    rng = np.random.default_rng(0)
    torch.manual_seed(1)
    old = tiny("darts")
    mask = np.zeros((28, 8), bool)
    for e in range(28):
        mask[e, rng.choice(8, 2, replace=False)] = True
    torch.manual_seed(2)
    new = tiny("darts", op_mask=mask)
    rows, _ = new.edge_weights(rng.random((28, 8)))
    w = torch.stack(rows).numpy()
    assert np.allclose(w[~mask], 0) and np.allclose(w.sum(1), 1)
    copied = inherit_weights(new, old)
    old_sd, new_sd = old.state_dict(), new.state_dict()
    assert set(copied) == set(new_sd)
    for k, v in new_sd.items():
        assert torch.equal(v, old_sd[k]), k
    cell = new.cells[0]
    for e, m in enumerate(cell.edges):
        assert m.op_ids == sorted(np.flatnonzero(mask[e]).tolist())
    assert sum(v.numel() for v in new_sd.values()) < sum(v.numel() for v in old_sd.values())
    with pytest.raises(ValueError, match="not a subset"):
        inherit_weights(tiny("darts"), new)


def test_checkpoint_round_trip_and_identical_continuation(tmp_path):
    x, y = fixed_batch(24)
    torch.manual_seed(0)
    tr = SupernetTrainer(tiny("nb201", track_running_stats=False), (x, y), np.random.default_rng(5),
                         batch_size=8, epochs=4)
    tr.train_epoch("B")
    save_checkpoint(tmp_path, tr, extra={"note": "x"})
    tr2, meta = load_checkpoint(tmp_path, (x, y), device="cpu")
    assert meta["extra"] == {"note": "x"} and meta["epoch"] == 1
    for k, v in tr.net.state_dict().items():
        assert torch.equal(v, tr2.net.state_dict()[k])
    assert tr2.scheduler.last_epoch == tr.scheduler.last_epoch
    assert tr2.net.config() == tr.net.config()
    r1, r2 = tr.train_epoch("B"), tr2.train_epoch("B")
    assert r1["loss"] == r2["loss"]
    for k, v in tr.net.state_dict().items():
        assert torch.equal(v, tr2.net.state_dict()[k])


def test_eval_network_aux_head_and_drop_path():
    sp = get_space("darts")
    arch = sp.random(np.random.default_rng(0), 1)[0]
    net = DartsEvalNetwork(arch, C=4, layers=5, num_classes=10)
    net.drop_path_prob, net.generator = 0.2, torch.Generator().manual_seed(0)
    x, _ = fixed_batch(4, size=32)
    logits, aux = net(x)
    assert logits.shape == aux.shape == (4, 10)
    net.eval()
    assert net(x)[1] is None
    g = torch.Generator().manual_seed(0)
    out = drop_path(torch.ones(1000, 1, 1, 1), 0.2, g)
    assert set(out.unique().tolist()) == {0.0, 1.25} and abs((out == 0).float().mean() - 0.2) < 0.05
