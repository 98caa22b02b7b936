"""The NB201 / HW-NAS-Bench compatibility facades: the originals' keys, the numbers `nasbench-eval query` prints,
clear refusals for what the store does not hold, and the example scripts run as a user would run them."""
from __future__ import annotations

import json
import math
import re
import runpy
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from nasbench_eval.cli import main as cli_main
from nasbench_eval.compat.hw_nas_bench_api import HWNASBenchAPI
from nasbench_eval.compat.nas_201_api import NASBench201API
from nasbench_eval.errors import ConfigError
from nasbench_eval.tables.store import BenchmarkStore

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
QUERY_DATASETS = ("cifar10", "cifar100", "ImageNet16-120")


@pytest.fixture(scope="module")
def api(store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return NASBench201API("NAS-Bench-201-v1_1-096897.pth", verbose=False, store=store)


@pytest.fixture(scope="module")
def hw(store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return HWNASBenchAPI("HW-NAS-Bench-v1_0.pickle", search_space="nasbench201", store=store)


def query_json(capsys, index, dataset) -> dict:
    capsys.readouterr()
    assert cli_main(["query", str(index), "--dataset", dataset, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["metrics"]


def run_example(name, capsys) -> str:
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    return capsys.readouterr().out


# ------------------------------------------------------------------------------------------------ NB201
def test_keys_per_dataset_are_the_originals(api):
    base = ["train-loss", "train-accuracy", "train-per-time", "train-all-time"]

    def keys(*sets):
        return base + [f"{s}-{k}" for s in sets for k in ("loss", "accuracy", "per-time", "all-time")]

    assert list(api.get_more_info(0, "cifar10-valid")) == keys("valid", "test")
    assert list(api.get_more_info(0, "cifar10")) == keys("test")
    for ds in ("cifar100", "ImageNet16-120"):
        assert list(api.get_more_info(0, ds)) == keys("valid", "test", "valtest")
    assert set(api.get_cost_info(0, "cifar10")) == {"flops", "params", "latency", "T-train@epoch", "T-train@total",
                                                    "T-ori-test@epoch", "T-ori-test@total"}


@pytest.mark.parametrize("index", [0, 1, 6111, 15624])
def test_numbers_equal_query(api, capsys, index):
    for ds in QUERY_DATASETS:
        q = query_json(capsys, index, ds)
        info = api.get_more_info(index, "cifar10-valid" if ds == "cifar10" else ds)
        assert round(info["valid-accuracy"], 6) == q["valid_acc"]
        assert round(info["train-accuracy"], 6) == q["train_acc"]
        test = api.get_more_info(index, ds)["test-accuracy"]  # cifar10: the train+valid setting's ori-test
        assert round(test, 6) == q["test_acc"]
        cost = api.get_cost_info(index, ds)
        assert (round(cost["flops"], 6), round(cost["params"], 6)) == (q["flops_M"], q["params_M"])


def test_what_the_store_lacks_is_nan_or_none_never_made_up(api):
    info = api.get_more_info(6111, "cifar100")
    assert math.isnan(info["valtest-accuracy"]) and math.isnan(info["train-loss"])
    assert info["train-all-time"] is None and info["test-per-time"] is None
    assert math.isnan(api.get_more_info(6111, "cifar10")["train-accuracy"])  # train+valid setting: not bundled
    assert api.get_cost_info(6111, "cifar10")["latency"] is None and api.get_latency(6111, "cifar10") is None


def test_index_and_arch_round_trip_like_the_original(api):
    assert len(api) == 15625 and api[6111] == api.arch(6111)
    assert api.query_index_by_arch(api.arch(6111)) == 6111 == api.query_index_by_arch(6111)
    assert api.query_index_by_arch("|not_an_op~0|+|none~0|none~1|+|none~0|none~1|none~2|") == -1

    class Genotype:
        def tostr(self):
            return api.arch(42)

    assert api.query_index_by_arch(Genotype()) == 42
    by_str, by_idx = api.get_more_info(api.arch(42), "cifar100"), api.get_more_info(42, "cifar100")
    assert by_str["test-accuracy"] == by_idx["test-accuracy"] and list(by_str) == list(by_idx)
    assert sum(1 for _ in api) == 15625  # iteration through __getitem__, as with the original's list
    assert api.get_net_config(6111, "ImageNet16-120") == {"name": "infer.tiny", "C": 16, "N": 5,
                                                          "arch_str": api.arch(6111), "num_classes": 120}


def test_find_best_matches_a_brute_force_scan(api, store):
    idx, acc = api.find_best("cifar10", "valid")
    col = store.column("cifar10-valid/valid_acc_200ep/nb201-v1_1")
    assert (idx, acc) == (int(np.argmax(col)), float(col.max())) == (6111, pytest.approx(91.6067, abs=1e-4))
    idx, acc = api.find_best("cifar100", "x-test", FLOP_max=50.0)
    flops = store.column("cifar100/flops_M/analytic")
    test = np.where(flops <= 50.0, store.column("cifar100/test_acc_200ep/nb201-v1_1"), -np.inf)
    assert idx == int(np.argmax(test)) and flops[idx] <= 50.0
    assert api.find_best("cifar10", "valid", Param_max=0.0) == (-1, None)


@pytest.mark.parametrize("call, message", [
    (lambda a: a.get_more_info(1, "cifar10-valid", hp="12"), r"hp='12' \(12-epoch schedule\) is not covered"),
    (lambda a: a.get_more_info(1, "cifar10-valid", is_random=True), r"is_random=True .* mean over seeds only"),
    (lambda a: a.get_more_info(1, "cifar10-valid", is_random=777), r"is_random=777"),
    (lambda a: a.get_more_info(1, "cifar10-valid", iepoch=11), r"iepoch=11 is not covered: .* final epoch"),
    (lambda a: a.get_more_info(1, "cifar10-valid", hp="90"), r"hp must be '200' or '12'"),
    (lambda a: a.get_more_info(15625, "cifar10"), r"index must be in \[0, 15624\]; got 15625"),
    (lambda a: a.get_more_info("|bad~0|", "cifar10"), r"is not an NB201 architecture"),
    (lambda a: a.get_net_param(1, "cifar10", None), r"get_net_param is not provided .* weights"),
    (lambda a: a.simulate_train_eval(1, "cifar10"), r"12-epoch training times"),
    (lambda a: a.random(), r"global RNG"),
])
def test_refusals_name_what_is_missing_and_why(api, call, message):
    with pytest.raises(ConfigError, match=message):
        call(api)


def test_unknown_dataset_lists_the_nb201_settings(api):
    with pytest.raises(ValueError, match="unknown NB201 dataset 'cifar-10'; allowed: cifar10-valid, cifar10"):
        api.get_more_info(1, "cifar-10")


def test_imported_12_epoch_columns_are_served_and_official_sources_win(store):
    """After `data import nb201 ... --trust-pickle` the store has 12-epoch columns: hp='12' then works."""
    extra = {"cifar10-valid/train_acc_12ep/nb201-v1_1": np.full(15625, 50.0),
             "cifar10-valid/valid_acc_12ep/nb201-v1_1": np.arange(15625, dtype=float) / 1000,
             "cifar10-valid/test_acc_12ep/nb201-v1_1": np.full(15625, 52.0),
             "cifar10-valid/train_time_12ep_s/nb201-v1_1": np.full(15625, 120.0),
             "cifar10/train_acc_200ep/nats-tss": np.full(15625, 99.0)}
    meta = dict(store.meta, columns=list(store.columns) + list(extra))
    meta["column_meta"] = dict(store.meta["column_meta"], **{c: {} for c in extra})
    values = np.vstack([store.all_values(), np.stack(list(extra.values()))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api = NASBench201API(verbose=False, store=BenchmarkStore(values, meta))
    info = api.get_more_info(6111, "cifar10-valid", hp="12")
    assert info["valid-accuracy"] == 6.111 and info["train-all-time"] == 120.0 and info["train-per-time"] == 10.0
    assert api.avaliable_hps == ["200", "12"]
    assert api.get_more_info(6111, "cifar10")["train-accuracy"] == 99.0
    with pytest.raises(ConfigError, match="hp='12'"):
        api.get_more_info(6111, "cifar100", hp="12")


def test_verbose_prints_like_the_original(store, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        NASBench201API(verbose=True, store=store).arch(3)
    assert "Call the arch function with index=3" in capsys.readouterr().out


def test_the_ignored_file_is_warned_about_once(store):
    from nasbench_eval.compat import _common

    _common._warned.discard("nb201-api")
    with pytest.warns(UserWarning, match="ignores the benchmark file 'a.pth'.*hp='12', is_random=True"):
        NASBench201API("a.pth", verbose=False, store=store)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        NASBench201API("a.pth", verbose=False, store=store)


# ------------------------------------------------------------------------------------------------ HW-NAS-Bench
# HW-NAS-Bench's own example.ipynb (GATECH-EIC/HW-NAS-Bench @ 393bb8a0) prints these for query_by_index(i, 'cifar10')
HW_NOTEBOOK = {
    1: {"edgegpu_latency": 6.547689437866211, "edgegpu_energy": 29.997147878011067, "raspi4_latency": 54.77739761998237,
        "edgetpu_latency": 1.4389883610001561, "pixel3_latency": 17.2381, "eyeriss_latency": 7.577780000000003,
        "eyeriss_energy": 1.5644240284999997, "eyeriss_arithmetic_intensity": 20.86006697108513,
        "fpga_latency": 5.31536, "fpga_energy": 37.20752, "average_hw_metric": 625714165.8534921},
    2: {"edgegpu_latency": 6.509256362915039, "edgegpu_energy": 29.40231099128723, "raspi4_latency": 50.40940375998616,
        "edgetpu_latency": 2.0300670009992245, "pixel3_latency": 15.723, "eyeriss_latency": 10.526900000000001,
        "eyeriss_energy": 2.0846801885, "fpga_latency": 5.28656, "fpga_energy": 37.00592,
        "average_hw_metric": 1322070143.9215944},
}


@pytest.mark.parametrize("index", sorted(HW_NOTEBOOK))
def test_hw_values_equal_the_original_notebook(hw, index):
    got = hw.query_by_index(index, "cifar10")
    assert list(got)[:10] == ["edgegpu_latency", "edgegpu_energy", "raspi4_latency", "edgetpu_latency",
                              "pixel3_latency", "eyeriss_latency", "eyeriss_energy", "eyeriss_arithmetic_intensity",
                              "fpga_latency", "fpga_energy"] and list(got)[10] == "average_hw_metric"
    for k, v in HW_NOTEBOOK[index].items():
        assert got[k] == pytest.approx(v, rel=1e-12), k
    assert all(type(v) is float for v in got.values())


@pytest.mark.parametrize("index", [0, 6, 1, 6111, 15624])
def test_hw_numbers_equal_query(hw, capsys, index):
    q = query_json(capsys, index, "cifar10")
    got = hw.query_by_index(index, "cifar10")
    units = {"latency": "ms", "energy": "mJ", "arithmetic_intensity": "ratio"}
    for k, v in got.items():
        if k == "average_hw_metric":
            continue
        dev, m = k.split("_", 1)
        qv = q[f"{dev}_{m}_{units[m]}"]
        if qv is None:
            assert math.isnan(v) or (k == "edgetpu_latency" and v == -1.0), k
        else:
            assert round(v, 6) == qv, k


def test_edgetpu_minus_one_as_the_original_reports_it(hw, store):
    got = hw.query_by_index(6, "cifar10")
    assert got["edgetpu_latency"] == -1.0 and got["average_hw_metric"] < 0  # the original's product, sign and all
    present = np.isfinite(store.column("cifar10/edgegpu_latency_ms/hw-nas-bench"))
    failed = present & np.isnan(store.column("cifar10/edgetpu_latency_ms/hw-nas-bench"))
    assert int(failed.sum()) == 3768  # HW-NAS-Bench's -1 rows among the bundled 12,554 records
    assert math.isnan(hw.query_by_index(0, "cifar10")["edgetpu_latency"])  # not in the bundled subset: NaN
    assert math.isnan(hw.query_by_index(0, "cifar10")["average_hw_metric"])


@pytest.mark.parametrize("dataset", ["cifar100", "ImageNet16-120"])
def test_hw_other_inputs_are_refused_not_substituted(hw, dataset):
    with pytest.raises(ConfigError, match=rf"'{dataset}' input are not in this store .* not substituted.*"
                                          r"data import hwnasbench"):
        hw.query_by_index(1, dataset)
    assert hw.get_net_config(1, dataset)["num_classes"] == {"cifar100": 100, "ImageNet16-120": 120}[dataset]


def test_hw_bad_input(store):
    with pytest.raises(ConfigError, match="search_space must be 'nasbench201'.*FBNet"):
        HWNASBenchAPI("x.pickle", search_space="fbnet", store=store)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hw = HWNASBenchAPI("x.pickle", store=store)
    with pytest.raises(ConfigError, match=r"arch_index must be in \[0, 15624\]; got -1"):
        hw.query_by_index(-1, "cifar10")
    with pytest.raises(ValueError, match="unknown HW-NAS-Bench dataset 'ImageNet'"):
        hw.query_by_index(1, "ImageNet")


# ------------------------------------------------------------------------------------------------ the example scripts
LINE = re.compile(r"^\s*(\d+) (\S+)\s+train=(\S+) valid=(\S+) test=(\S+) flops=(\S+) params=(\S+)$")


def test_nb201_example_prints_the_numbers_query_prints(capsys):
    out = run_example("compat_nb201.py", capsys)
    rows = [LINE.match(line).groups() for line in out.splitlines() if LINE.match(line)]
    assert len(rows) == 12
    for index, setting, train, valid, test, flops, params in rows:
        ds = "cifar10" if setting == "cifar10-valid" else setting
        q = query_json(capsys, index, ds)
        if setting == "cifar10-valid":
            assert float(valid) == pytest.approx(q["valid_acc"], abs=5e-5)
            assert float(train) == pytest.approx(q["train_acc"], abs=5e-5)
        elif setting == "cifar10":
            assert float(test) == pytest.approx(q["test_acc"], abs=5e-5) and valid == train == "nan"
        else:
            for name, got in (("train_acc", train), ("valid_acc", valid), ("test_acc", test)):
                assert float(got) == pytest.approx(q[name], abs=5e-5), name
        assert float(flops) == pytest.approx(q["flops_M"], abs=5e-5)
        assert float(params) == pytest.approx(q["params_M"], abs=5e-5)
    assert "best by valid on cifar10: #6111" in out


def test_hwnasbench_example_prints_the_numbers_query_prints(capsys):
    out = run_example("compat_hwnasbench.py", capsys)
    blocks = re.split(r"The HW_metrics \(type: dict\) for No\.(\d+) @ cifar10 under NAS-Bench-201:\n", out)[1:]
    assert [int(b) for b in blocks[::2]] == [1, 2, 6, 6111]
    for index, body in zip(blocks[::2], blocks[1::2]):
        printed = dict(re.findall(r"^  (\w+): (\S+)$", body, re.M))
        q = query_json(capsys, index, "cifar10")
        assert float(printed["fpga_latency"]) == pytest.approx(q["fpga_latency_ms"], abs=5e-5)
        assert float(printed["raspi4_latency"]) == pytest.approx(q["raspi4_latency_ms"], abs=5e-5)
        edgegpu = q["edgegpu_energy_mJ"]
        assert printed["edgegpu_energy"] == "nan" if edgegpu is None else \
            float(printed["edgegpu_energy"]) == pytest.approx(edgegpu, abs=5e-5)
    assert "  edgetpu_latency: -1.0000" in out


def test_a_script_runs_in_milliseconds_without_the_original_package_or_torch():
    code = ("import sys, time, warnings; warnings.simplefilter('ignore'); t = time.perf_counter()\n"
            "from nasbench_eval.compat.nas_201_api import NASBench201API\n"
            "from nasbench_eval.compat.hw_nas_bench_api import HWNASBenchAPI\n"
            "api, hw = NASBench201API('x.pth', verbose=False), HWNASBenchAPI('y.pickle')\n"
            "for i in range(0, 15625, 16): api.get_more_info(i, 'cifar100'); hw.query_by_index(i, 'cifar10')\n"
            # peak RSS of this process's own address space (VmHWM; ru_maxrss would inherit pytest's from the fork)
            "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]\n"
            "print(time.perf_counter() - t, hwm, 'torch' in sys.modules, 'nas_201_api' in sys.modules)")
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    seconds, maxrss_kb, torch_loaded, original_loaded = r.stdout.split()
    assert torch_loaded == original_loaded == "False"
    assert float(seconds) < 5.0  # ~1,000 queries of each API; about 0.2 s on a quiet machine
    assert int(maxrss_kb) < 1_000_000  # well under 1 GB (the original NB201 API needs tens of GB)
    assert time.perf_counter() - t0 < 30


def test_docs_show_the_example_scripts_verbatim():
    doc = (EXAMPLES.parent / "docs" / "compat.md").read_text()
    shown = dict(re.findall(r"`(examples/compat_[^`]+)`:\n\n```python\n(.*?)```\n", doc, flags=re.S))
    assert set(shown) == {"examples/compat_nb201.py", "examples/compat_hwnasbench.py"}
    for path, text in shown.items():
        assert (EXAMPLES.parent / path).read_text() == text, f"docs/compat.md shows an outdated {path}"
