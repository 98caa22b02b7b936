"""RMI score and RMIEvaluator: determinism, cache, digits demo end to end (tiny settings)."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from nasbench_eval.evaluators.rmi import RMIEvaluator
from nasbench_eval.live.data import fixed_batch, load_digits
from nasbench_eval.live.models import build_model
from nasbench_eval.live.rmi import RMIScorer, RMISettings
from nasbench_eval.spaces import nb201

TINY = RMISettings(C=4, N=1, batch_size=32, steps=4)
ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models gain nothing from threads; on a shared 2-core box OpenMP spinning makes them 10x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.fixture(scope="module")
def teacher():
    return build_model("resnet20", 10, seed=0)


def test_same_seed_same_score_and_seed_matters(digits, teacher):
    x, y = fixed_batch(digits, TINY.batch_size, 0)
    state = torch.random.get_rng_state()
    a = RMIScorer(teacher, x, y, 10, TINY, "cpu").score(nb201.parse_arch(ARCH))
    b = RMIScorer(teacher, x, y, 10, TINY, "cpu").score(nb201.parse_arch(ARCH))
    c = RMIScorer(teacher, x, y, 10, RMISettings(**{**TINY.as_dict(), "seed": 1}), "cpu").score(nb201.parse_arch(ARCH))
    assert torch.equal(torch.random.get_rng_state(), state)  # no global RNG used
    assert a == b and a != c
    assert 0.0 < a < 0.8 * 3 + 0.2 * 10


def test_evaluator_cache_hit_is_free_and_persistent(tmp_path, digits, teacher):
    cache = tmp_path / "rmi.jsonl"
    archs = np.array([nb201.parse_arch(ARCH), [0] * 6, nb201.parse_arch(ARCH)], dtype=np.int64)
    ev = RMIEvaluator(teacher, digits, cache=cache, device="cpu", settings=TINY)
    first = ev.evaluate(archs)
    assert first.cached.tolist() == [False, False, True]  # in-batch duplicate scored once
    assert (first.cost[:2] > 0).all() and first.cost[2] == 0
    assert first.values["rmi_loss"][0] == first.values["rmi_loss"][2]
    assert np.isfinite(first.values["rmi_loss"]).all()
    again = RMIEvaluator(teacher, digits, cache=cache, device="cpu", settings=TINY).evaluate(archs[:2])
    assert again.cached.all() and (again.cost == 0).all()
    assert np.array_equal(again.values["rmi_loss"], first.values["rmi_loss"][:2])
    with open(cache, "a") as fh:
        fh.write('{"key": "torn')  # an interrupted append is skipped
    other = RMIEvaluator(teacher, digits, cache=cache, device="cpu", settings=TINY, steps=3).evaluate(archs[:1])
    assert not other.cached.any()  # other settings -> other key
    assert len(cache.read_text().splitlines()) == 4  # 2 records, the torn line, a record on its own line
    assert RMIEvaluator(teacher, digits, cache=cache, settings=TINY, steps=3).evaluate(archs[:1]).cached.all()


def test_unknown_setting_is_rejected(teacher):
    from nasbench_eval.errors import ConfigError

    with pytest.raises(ConfigError, match="stepz"):
        RMIEvaluator(teacher, "digits", stepz=3)


def test_digits_demo_end_to_end_via_cli(tmp_path):
    import argparse

    from nasbench_eval.cli.rmi import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    ckpt = tmp_path / "ref.pt"
    args = parser.parse_args(["rmi", "train-reference", "--dataset", "digits", "--out", str(ckpt), "--arch",
                              "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
                              "--C", "4", "--N", "1", "--epochs", "1", "--device", "cpu"])
    assert args.func(args) == 0
    meta = json.loads((tmp_path / "ref.pt.json").read_text())
    assert meta["dataset"] == "digits" and 0 <= meta["valid_accuracy"] <= 100 and len(meta["sha256"]) == 64
    blob = torch.load(ckpt, weights_only=True)
    assert set(blob) == {"state_dict", "meta"}
    ev = RMIEvaluator.from_checkpoint(ckpt, cache=tmp_path / "c.jsonl", device="cpu", settings=TINY)
    res = ev.evaluate(np.array([nb201.parse_arch(ARCH)]))
    assert np.isfinite(res.values["rmi_loss"]).all() and ev.data.name == "digits"  # dataset from the metadata
    args = parser.parse_args(["rmi", "score", "--reference", str(ckpt), "--cache", str(tmp_path / "c.jsonl"),
                              "--C", "4", "--N", "1", "--batch-size", "32", "--steps", "4", "--device", "cpu",
                              "--json", ARCH])
    assert args.func(args) == 0


def test_torch_not_imported_by_the_tabular_path():
    code = "import sys, nasbench_eval, nasbench_eval.evaluators, nasbench_eval.cli.rmi; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
