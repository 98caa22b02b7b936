"""Merging imported official columns into a store: atomic, verified against what the store has, with provenance.

Stores and official files here are TEST-ONLY (synthetic numbers from a seeded Generator) written into tmp_path.
"""
from __future__ import annotations

import hashlib
import json
import pickle

import numpy as np
import pytest

from nasbench_eval.errors import DataBuildError, StoreError
from nasbench_eval.spaces import nb201
from nasbench_eval.tables.columns import hw_column
from nasbench_eval.tables.official import (
    UntrustedPickleError,
    import_official,
    merge_into_store,
)
from nasbench_eval.tables.official.hwnasbench import HW_DATASETS, HW_METRIC_KEYS
from nasbench_eval.tables.store import FORMAT_VERSION, load_store, seal_meta
from nasbench_eval.tables.locate import get_store

N = nb201.N_ARCHS
LAT, ENERGY = hw_column("fpga", "latency"), hw_column("fpga", "energy")
MASK = "cifar10/fpga_energy_mJ_is_derived/hw-nas-bench"
EDGEGPU = hw_column("edgegpu", "latency")
ACC = "cifar100/valid_acc_200ep/nb201-v1_1"


@pytest.fixture
def official(tmp_path):
    """(pickle path, object): all 10 metrics x 3 datasets, fpga energy = 7 x latency."""
    rng = np.random.default_rng(99)
    nb = {}
    for ds in HW_DATASETS:
        per = {m: rng.uniform(1, 20, N) for m in HW_METRIC_KEYS}
        per["fpga_energy"] = 7.0 * per["fpga_latency"]
        per["edgetpu_latency"][::5] = -1.0
        nb[ds] = {m: v.tolist() for m, v in per.items()}
    obj = {"nasbench201": nb}
    path = tmp_path / "HW-NAS-Bench-v1_0.pickle"
    path.write_bytes(pickle.dumps(obj, protocol=4))
    return path, obj


def _write_store(folder, cols: dict, cmeta: dict):
    folder.mkdir(parents=True)
    names = list(cols)
    np.save(folder / "values.npy", np.stack([cols[n] for n in names]), allow_pickle=False)
    digest = hashlib.sha256((folder / "values.npy").read_bytes()).hexdigest()
    meta = {"format_version": FORMAT_VERSION, "columns": names, "values_sha256": digest, "built_at": "test",
            "column_meta": {n: {"source_file": "bundled.csv", "unit": "x", "coverage": int(np.isfinite(cols[n]).sum()),
                                **cmeta.get(n, {})} for n in names}}
    (folder / "meta.json").write_text(json.dumps(seal_meta(meta, folder / "values.npy")))  # + content hash
    (folder / "pareto_fronts_lomonas.json").write_text("{}")
    return folder


@pytest.fixture
def store_dir(tmp_path, official):
    _, obj = official
    c10 = obj["nasbench201"]["cifar10"]
    lat = np.array(c10["fpga_latency"])
    energy = 7.0 * lat                      # rows 1, 3, 5, ... 'derived' in the store
    derived = (np.arange(N) % 2 == 1).astype(float)
    edge = np.array(c10["edgegpu_latency"])
    edge[::3] = np.nan                      # partial coverage, like the bundled subset
    acc = np.random.default_rng(5).uniform(0, 100, N)
    return _write_store(tmp_path / "store", {LAT: lat, ENERGY: energy, MASK: derived, EDGEGPU: edge, ACC: acc},
                        {ENERGY: {"derived_mask_column": MASK, "derived_rows": int(derived.sum()),
                                  "derived_rule": "7 x latency"}})


def test_hwnasbench_import_fills_all_three_datasets(official, store_dir):
    path, obj = official
    summary = import_official("hwnasbench", path, store_dir=store_dir)
    assert set(summary["updated"]) == {LAT, ENERGY, EDGEGPU} and len(summary["added"]) == 27
    assert summary["derived_replaced"] == {ENERGY: N // 2}
    s = load_store(store_dir, verify=True)
    assert (store_dir / "pareto_fronts_lomonas.json").exists()
    np.testing.assert_array_equal(s.column(EDGEGPU), obj["nasbench201"]["cifar10"]["edgegpu_latency"])  # gaps filled
    assert not s.column(MASK).any()  # every derived fpga energy is now a measured value
    tpu = s.column(hw_column("edgetpu", "latency", "ImageNet16-120"))
    assert np.isnan(tpu[::5]).all() and np.isfinite(tpu).sum() == N - len(range(0, N, 5))
    m = s.column_meta(hw_column("eyeriss", "energy", "cifar100"))
    assert m["imported_from_official"] is True and m["source_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert m["source_file"] == str(path.resolve()) and m["unit"] == "mJ"
    assert s.column_meta(EDGEGPU)["previous"]["source_file"] == "bundled.csv"
    assert s.meta["imports"][-1]["kind"] == "hwnasbench" and s.meta["imports"][-1]["imported_from_official"]
    assert s.column(ACC).shape == (N,) and np.isfinite(s.column(ACC)).all()  # other columns untouched


def test_get_store_sees_the_import(official, store_dir):
    before = get_store(store_dir, auto_build=False)
    assert hw_column("fpga", "latency", "cifar100") not in before.columns
    import_official("hwnasbench", official[0], store_dir=store_dir)
    assert hw_column("fpga", "latency", "cifar100") in get_store(store_dir, auto_build=False).columns


def test_disagreement_is_refused_and_store_unchanged(official, store_dir):
    s = load_store(store_dir)
    lat = np.array(s.column(LAT))
    lat[42] += 0.5
    bad = store_dir.parent / "bad"
    _write_store(bad, {LAT: lat}, {})
    before = (bad / "values.npy").read_bytes()
    with pytest.raises(DataBuildError, match=r"fpga_latency_ms.*disagrees with the store at 1 archs.*arch 42"):
        import_official("hwnasbench", official[0], store_dir=bad)
    assert (bad / "values.npy").read_bytes() == before
    assert not list(bad.parent.glob(".store-import-*"))  # no temp folder left behind


def test_copy_to_out_dir_leaves_the_original(official, store_dir):
    out = store_dir.parent / "copy"
    import_official("hwnasbench", official[0], store_dir=store_dir, out_dir=out)
    assert len(load_store(out).columns) == 5 + 27 and len(load_store(store_dir).columns) == 5


def test_merge_validates_columns_and_store(store_dir, tmp_path):
    prov = {"source_file": str(store_dir / "meta.json")}
    with pytest.raises(DataBuildError, match=r"shape \(3,\)"):
        merge_into_store(store_dir, {"a/b/c": np.ones(3)}, prov)
    with pytest.raises(DataBuildError, match="dataset/metric/source"):
        merge_into_store(store_dir, {"abc": np.ones(N)}, prov)
    with pytest.raises(StoreError, match="no benchmark store"):
        merge_into_store(tmp_path / "nothing", {"a/b/c": np.ones(N)}, prov)
    with pytest.raises(Exception, match="allowed: hwnasbench, nb201"):
        import_official("nb301", prov["source_file"], store_dir=store_dir)


def test_nb201_import_needs_trust_then_merges(tmp_path, store_dir):
    torch = pytest.importorskip("torch")
    pytest.importorskip("nas_201_api")
    from test_official_nb201 import fake_nb201

    path = tmp_path / "NAS-Bench-201-v1_1-test.pth"
    torch.save(fake_nb201(), path)
    with pytest.raises(UntrustedPickleError, match="--trust-pickle"):
        import_official("nb201", path, store_dir=store_dir)
    with pytest.raises(DataBuildError, match=r"cifar100/valid_acc_200ep/nb201-v1_1.*disagrees"):
        import_official("nb201", path, trust_pickle=True, store_dir=store_dir)  # synthetic values != store's
    summary = import_official("nb201", path, trust_pickle=True, store_dir=store_dir, source="nb201-test")
    s = load_store(store_dir, verify=True)
    assert "cifar10-valid/valid_acc_12ep/nb201-test" in summary["added"]
    assert s.column_meta("cifar10-valid/train_time_12ep_s/nb201-test")["unit"] == "s"
    assert np.isfinite(s.column("cifar10/test_acc_200ep/nb201-test")).sum() == 3
