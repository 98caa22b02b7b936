"""The CLI as a user runs it: subprocesses, exit codes, one-line errors (never a traceback)."""
import json
import subprocess
import sys

import numpy as np
import pytest

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "nasbench_eval", *args], capture_output=True, text=True, env=env)


def test_query_issue_example(store):
    r = cli("query", BEST, "--dataset", "cifar10", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["index"] == 6111
    assert round(out["metrics"]["valid_acc"], 2) == 91.61 and round(out["metrics"]["test_acc"], 2) == 94.37
    assert out["metrics"]["fpga_latency_ms"] == pytest.approx(6.67856)
    assert "edgegpu_latency_ms" in out["missing"]  # not in the bundled HW-NAS-Bench subset: missing, not made up
    assert out["sources"]["test_acc"] == "cifar10/test_acc_200ep/nats-tss"


@pytest.mark.parametrize("args, msg", [
    (("query", "|nor_conv_3x3~0|+|bogus~0|nor_conv_3x3~1|"), "3 nodes"),
    (("query", "6111", "--dataset", "cifar11"), "unknown dataset 'cifar11'; allowed: cifar10"),
    (("query", "6111", "--device", "tpu"), "unknown device 'tpu'"),
    (("query", "20000"), "out of range"),
    (("search", "nope"), "unknown algorithm 'nope'; allowed:"),
    (("search", "rea", "--param", "population_size=abc"), "'population_size' of algorithm 'rea' must be an int"),
    (("search", "rea", "--param", "typo=1"), "unknown parameter"),
])
def test_errors_are_one_clear_line(store, args, msg):
    r = cli(*args)
    assert r.returncode != 0
    assert msg in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_missing_store_is_a_clear_error(tmp_path):
    import os

    env = {**os.environ, "NASBENCH_EVAL_STORE": str(tmp_path / "nostore"), "NASBENCH_EVAL_DATA": str(tmp_path)}
    r = cli("query", "6111", env=env)
    assert r.returncode != 0 and "data build" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("dataset", ["cifar10", "cifar100", "ImageNet16-120"])
def test_search_json(store, dataset):
    r = cli("search", "rea", "--dataset", dataset, "--seed", "1", "--budget", "100", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["algorithm"] == "rea" and out["dataset"] == dataset and out["seed"] == 1
    assert out["evaluations"] == 100
    c = out["result"][0]
    assert {"arch", "index", "metrics"} <= set(c) and {"valid_acc", "test_acc"} <= set(c["metrics"])


def test_algorithms_lists_defaults():
    r = cli("algorithms", "--json")
    rows = {x["name"]: x for x in json.loads(r.stdout)}
    assert rows["rea"]["defaults"] == {"population_size": "10", "sample_size": "3"}


def test_data_info(store):
    r = cli("data", "info", "--json")
    cols = {c["column"]: c for c in json.loads(r.stdout)["columns"]}
    assert cols["cifar10/edgetpu_latency_ms/hw-nas-bench"]["coverage"] == 8786


def test_tabular_path_never_imports_torch(store):
    code = ("import sys; from nasbench_eval.cli import main; "
            "main(['query', '6111', '--json']); main(['search', 'evnas', '--budget', '50', '--json']); "
            "main(['search', 'mo-hdnas', '--device', 'fpga', '--budget', '50', '--json']); "
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().endswith("NO-TORCH")


def test_query_marks_derived_values_in_json_and_text(store):
    """fpga energy is 7 W x latency (derived) for archs HW-NAS-Bench did not measure; the flag column says which."""
    flag = store.column("cifar10/fpga_energy_mJ_is_derived/hw-nas-bench")
    derived, measured = int(np.flatnonzero(flag == 1)[0]), int(np.flatnonzero(flag == 0)[0])
    r = cli("query", str(derived), str(measured), "--device", "fpga", "--json")
    assert r.returncode == 0, r.stderr
    d, m = json.loads(r.stdout)
    assert set(d["derived"]) == {"fpga_energy_mJ"} and "7 W" in d["derived"]["fpga_energy_mJ"]["rule"]
    assert d["derived"]["fpga_energy_mJ"]["flag_column"] == "cifar10/fpga_energy_mJ_is_derived/hw-nas-bench"
    assert d["metrics"]["fpga_energy_mJ"] == pytest.approx(7 * d["metrics"]["fpga_latency_ms"], rel=1e-6)
    assert m["derived"] == {} and m["metrics"]["fpga_energy_mJ"] is not None
    text = cli("query", str(derived), str(measured), "--device", "fpga").stdout
    first, second = text.split(f"#{measured} ")
    assert "(derived)  <- cifar10/fpga_energy_mJ/hw-nas-bench" in first and "not measured for this arch" in first
    assert "derived" not in second
