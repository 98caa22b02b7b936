"""Speed options (mixed precision, channels-last, compile, pinned transfers) change how the live path runs, not
what it decides: the RMI score and the supernet's fitness agree with the float32 run within stated tolerances.

Tolerances (CPU, tiny settings: C 4, N 1, batch 32, 4 steps; the loss lies in about [0, 3]; the CUDA half is
measured by benchmarks/gpu_check.py: docs/gpu.md). Measured differences to float32 in brackets:
* channels-last (float32, other kernels): RMI loss within 1e-3 [1.1e-4], ranking of 4 archs unchanged; supernet
  top-1 within 1 percentage point [0.67: 3 of 449 near-tied predictions of a barely trained supernet].
* fp16 autocast (+ gradient scaler): RMI loss within 0.03 [0.008], ranking unchanged.
* bf16 autocast (8-bit mantissa): RMI loss within 0.03 [0.012]; with channels-last within 0.25 [0.10, and the
  ranking of two archs 0.03 apart swapped] -- one reason why ``auto`` picks none of them. Supernet
  top-1 within 3 percentage points.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nasbench_eval.errors import ConfigError  # noqa: E402
from nasbench_eval.live.cka import centred_gram  # noqa: E402
from nasbench_eval.live.data import digits_splits  # noqa: E402
from nasbench_eval.live.models import build_model  # noqa: E402
from nasbench_eval.live.rmi import RMIScorer, RMISettings  # noqa: E402
from nasbench_eval.live.speed import EXACT, SpeedOptions, resolve  # noqa: E402
from nasbench_eval.spaces import nb201  # noqa: E402

TINY = RMISettings(C=4, N=1, batch_size=32, steps=4)
ARCHS = ["|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
         "|none~0|+|skip_connect~0|none~1|+|none~0|none~1|avg_pool_3x3~2|",
         "|nor_conv_1x1~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|",
         "|avg_pool_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|nor_conv_1x1~0|skip_connect~1|avg_pool_3x3~2|"]


@pytest.fixture(scope="module")
def batch():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    d = digits_splits(seed=0, size=16)
    yield d
    torch.set_num_threads(n)


def scores(batch, **speed):
    x, y = batch["train"][0][:32], batch["train"][1][:32]
    teacher = build_model("resnet20", 10, seed=0)
    s = RMISettings(**{**TINY.as_dict(), **speed})
    sc = RMIScorer(teacher, x, y, 10, s, "cpu")
    return np.array([sc.score(nb201.parse_arch(a)) for a in ARCHS])


def test_rmi_score_with_speed_flags_matches_float32(batch):
    ref = scores(batch)
    assert np.all(np.isfinite(ref)) and len(set(np.round(ref, 4))) == len(ARCHS)
    for speed, tol, same_ranking in (({"channels_last": True}, 1e-3, True), ({"amp": "fp16"}, 0.03, True),
                                     ({"amp": "bf16"}, 0.03, False), ({"amp": "bf16", "channels_last": True}, 0.25, False)):
        s = scores(batch, **speed)
        assert np.abs(s - ref).max() < tol, speed
        if same_ranking:  # the decision a search takes from the scores
            assert list(np.argsort(s)) == list(np.argsort(ref)), speed


def test_the_cka_gram_stays_float64_under_autocast():
    f = torch.randn(8, 3, 4, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        g = centred_gram(f.to(torch.bfloat16))
        plain = f.reshape(8, -1) @ f.reshape(8, -1).T  # what autocast does to an ordinary float32 matmul
    assert g.dtype == torch.float64 and plain.dtype == torch.bfloat16


def test_speed_settings_enter_the_rmi_cache_key_and_are_validated():
    assert RMISettings(amp="bf16").as_dict() != RMISettings().as_dict()
    with pytest.raises(ConfigError, match="amp must be one of off, bf16, fp16; got 'half'"):
        RMISettings(amp="half")
    with pytest.raises(ConfigError, match="channels_last must be true or false"):
        SpeedOptions(channels_last="yes")


def test_defaults_are_exact_on_every_device():
    assert resolve("cpu") == EXACT and resolve("cpu", "bf16").amp == "bf16"
    assert resolve("cpu", channels_last=True).channels_last and not resolve("cpu").pin_memory
    # on CUDA too: bf16 / channels-last / pinning were slower for training and moved RMI scores (module docstring)
    assert resolve("cuda") == EXACT and resolve("cuda", workload="rmi") == EXACT
    assert resolve("cuda", "bf16", channels_last=True, pin_memory=True) == SpeedOptions("bf16", True, False, True)
    with pytest.raises(ConfigError, match="workload must be one of train, rmi"):
        resolve("cpu", workload="eval")


def _fitness(batch, speed):
    from nasbench_eval.spaces import get_space
    from nasbench_eval.supernet.driver import make_supernet
    from nasbench_eval.supernet.mixed import reset_parameters
    from nasbench_eval.supernet.training import SupernetTrainer, top1_accuracy

    sp = get_space("nb201")
    rng = np.random.default_rng(0)
    net = reset_parameters(make_supernet("nb201", C=4, cells=1), rng)
    tr = SupernetTrainer(net, batch["train"], rng, batch_size=64, max_batches=4, device="cpu", **speed.as_dict())
    hats = sp.alpha_hat(sp.random(np.random.default_rng(1), 4))
    tr.train_epoch("A", hats)
    x, y = batch["valid"]
    return np.array([top1_accuracy(tr.net, x, y, h, batch_size=256) for h in hats])


def test_supernet_fitness_with_speed_flags_matches_float32(batch):
    ref = _fitness(batch, EXACT)
    cl = _fitness(batch, SpeedOptions(channels_last=True))
    assert np.abs(cl - ref).max() <= 1.0  # measured 0.67 (3 of 449 near-tied predictions of an untrained net)
    bf = _fitness(batch, SpeedOptions(amp="bf16"))
    assert np.abs(bf - ref).max() <= 3.0


def test_final_training_runs_with_amp_and_channels_last(batch):
    from nasbench_eval.spaces import darts as D
    from nasbench_eval.supernet.final import train_final

    arch = D.DartsSpace().random(np.random.default_rng(0), 1)[0]
    out = {}
    for name, sp in (("exact", EXACT), ("fast", SpeedOptions(amp="bf16", channels_last=True))):
        out[name] = train_final(arch, batch["train"], batch["test"], np.random.default_rng(0), C=4, layers=3,
                                epochs=1, batch_size=32, max_batches=2, cutout=4, device="cpu", speed=sp)
    assert abs(out["fast"]["history"][0]["loss"] - out["exact"]["history"][0]["loss"]) < 0.1
    assert next(out["fast"]["net"].parameters()).dtype == torch.float32  # autocast never casts the weights
