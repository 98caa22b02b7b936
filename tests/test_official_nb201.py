"""NB201 / NATS official .pth importer (through the nas-bench-201 API, behind the trust flag).

The .pth files are TEST-ONLY: a minimal structure in the layout ``NASBench201API`` reads, 3 archs, synthetic
numbers from a seeded Generator.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

from nasbench_eval.errors import DataBuildError
from nasbench_eval.spaces import nb201
from nasbench_eval.tables.official import (
    UntrustedPickleError,
    load_nb201_pth,
    source_tag,
)

torch = pytest.importorskip("torch")
pytest.importorskip("nas_201_api")

ARCHS = (6111, 0, 9930)  # NB201 indices of the file's archs 0, 1, 2 (placed by arch string, not file position)
SETS = {"cifar10-valid": ["x-valid", "ori-test"], "cifar10": ["ori-test"],
        "cifar100": ["x-valid", "x-test", "ori-test"], "ImageNet16-120": ["x-valid", "x-test", "ori-test"]}


def _run(rng, arch_str, dataset, seed, epochs, times: bool) -> dict:
    acc = {e: float(rng.uniform(10, 99)) for e in range(epochs)}
    return {"name": dataset, "net_state_dict": None, "train_acc1es": acc, "train_acc5es": None,
            "train_losses": {e: 1.0 for e in range(epochs)},
            "train_times": {e: float(rng.uniform(5, 9)) for e in range(epochs)} if times else None,
            "arch_config": {"channel": 16, "num_cells": 5, "arch_str": arch_str, "class_num": 10},
            "params": 0.5, "flop": 50.0, "seed": seed, "epochs": epochs, "latency": [0.01],
            "eval_names": SETS[dataset],
            "eval_acc1es": {f"{s}@{e}": float(rng.uniform(10, 99)) for s in SETS[dataset] for e in range(epochs)},
            "eval_losses": {f"{s}@{e}": 1.0 for s in SETS[dataset] for e in range(epochs)},
            "eval_times": {f"{s}@{e}": 0.5 for s in SETS[dataset] for e in range(epochs)}}


def _arch_results(rng, k, arch_str, epochs, seeds_per_ds: dict, times: bool) -> dict:
    runs = {(ds, s): _run(rng, arch_str, ds, s, epochs, times) for ds, seeds in seeds_per_ds.items() for s in seeds}
    return {"arch_index": k, "arch_str": arch_str, "all_results": runs,
            "dataset_seed": {ds: sorted(seeds) for ds, seeds in seeds_per_ds.items()}, "clear_net_done": True}


def fake_nb201(seed: int = 7, nats: bool = False) -> dict:
    rng = np.random.default_rng(seed)
    strs = [nb201.index_to_arch(i) for i in ARCHS]
    full_seeds = [{ds: [777, 888, 999] for ds in SETS}, {ds: [777] for ds in SETS}, {ds: [777, 888] for ds in SETS}]
    less_seeds = [{"cifar10-valid": [111, 777], "cifar100": [111]}, {}, {"cifar10-valid": [111]}]
    infos = {}
    for k, s in enumerate(strs):
        full = _arch_results(rng, k, s, 200, full_seeds[k], times=True)
        less = _arch_results(rng, k, s, 12, less_seeds[k], times=(k != 2))
        infos[k] = {"200": full, "12": less} if nats else {"full": full, "less": less}
    return {"meta_archs": strs, "arch2infos": infos, "evaluated_indexes": list(range(len(strs)))}


def _expect(obj, k, hp_key, ds, what):
    res = obj["arch2infos"][k][hp_key]
    runs = [res["all_results"][(ds, s)] for s in res["dataset_seed"][ds]]
    last = runs[0]["epochs"] - 1
    if what == "train":
        return np.mean([r["train_acc1es"][last] for r in runs])
    if what == "time":
        return np.mean([sum(r["train_times"].values()) for r in runs]) if runs[0]["train_times"] else np.nan
    return np.mean([r["eval_acc1es"][f"{what}@{last}"] for r in runs])


@pytest.fixture(scope="module")
def v11_file(tmp_path_factory):
    obj = fake_nb201()
    path = tmp_path_factory.mktemp("nb201") / "NAS-Bench-201-v1_1-test.pth"
    torch.save(obj, path)
    return path, obj


def test_refuses_without_trust_flag_and_never_opens_the_file(tmp_path):
    marker = tmp_path / "pwned"

    class Hostile:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "NAS-Bench-201-v1_1-096897.pth"
    torch.save({"meta_archs": [Hostile()]}, path)
    with pytest.raises(UntrustedPickleError, match=r"trust_pickle=True \(CLI: --trust-pickle\)"):
        load_nb201_pth(path)
    assert not marker.exists()


def test_imports_200_and_12_epoch_columns_by_arch_string(v11_file):
    path, obj = v11_file
    cols = load_nb201_pth(path, trust_pickle=True)
    src = "nb201-v1_1"
    for k, i in enumerate(ARCHS):
        for ds in SETS:
            assert cols[f"{ds}/train_acc_200ep/{src}"][i] == pytest.approx(_expect(obj, k, "full", ds, "train"))
            test_set = "ori-test" if ds in ("cifar10", "cifar10-valid") else "x-test"
            assert cols[f"{ds}/test_acc_200ep/{src}"][i] == pytest.approx(_expect(obj, k, "full", ds, test_set))
            assert cols[f"{ds}/train_time_200ep_s/{src}"][i] == pytest.approx(_expect(obj, k, "full", ds, "time"))
            assert cols[f"{ds}/n_seeds_200ep/{src}"][i] == len(obj["arch2infos"][k]["full"]["dataset_seed"][ds])
            if ds != "cifar10":
                assert cols[f"{ds}/valid_acc_200ep/{src}"][i] == pytest.approx(_expect(obj, k, "full", ds, "x-valid"))
    assert f"cifar10/valid_acc_200ep/{src}" not in cols  # the train+valid setting has no validation split
    v12 = cols[f"cifar10-valid/valid_acc_12ep/{src}"]
    assert v12[6111] == pytest.approx(_expect(obj, 0, "less", "cifar10-valid", "x-valid"))
    assert v12[9930] == pytest.approx(_expect(obj, 2, "less", "cifar10-valid", "x-valid"))
    assert np.isnan(v12[0])  # arch 0 has no 12-epoch runs in this file: missing, never filled
    assert cols[f"cifar10-valid/n_seeds_12ep/{src}"][6111] == 2
    t12 = cols[f"cifar10-valid/train_time_12ep_s/{src}"]
    assert np.isfinite(t12[6111]) and np.isnan(t12[9930])  # no recorded times -> NaN
    assert f"ImageNet16-120/valid_acc_12ep/{src}" not in cols  # nothing in the file -> no column
    untouched = np.setdiff1d(np.arange(nb201.N_ARCHS), ARCHS)
    assert all(np.isnan(v[untouched]).all() for v in cols.values())


def test_nats_layout_is_relabelled(tmp_path):
    obj = fake_nb201(seed=3, nats=True)
    path = tmp_path / "NATS-tss-v1_0-test.pth"
    torch.save(obj, path)
    cols = load_nb201_pth(path, trust_pickle=True)
    assert cols["cifar100/test_acc_200ep/nats-tss"][6111] == pytest.approx(_expect(obj, 0, "200", "cifar100", "x-test"))


def test_source_names_and_layout_errors(tmp_path):
    assert source_tag("x/NAS-Bench-201-v1_0-e61699.pth") == "nb201-v1_0"
    with pytest.raises(DataBuildError, match="pass source="):
        source_tag("mystery.pth")
    path = tmp_path / "NAS-Bench-201-v1_1-broken.pth"
    torch.save({"meta_archs": []}, path)
    with pytest.raises(DataBuildError, match="not in the NAS-Bench-201 layout.*arch2infos"):
        load_nb201_pth(path, trust_pickle=True)
    with pytest.raises(DataBuildError, match="not found"):
        load_nb201_pth(tmp_path / "NAS-Bench-201-v1_1-none.pth", trust_pickle=True)
