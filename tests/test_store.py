import json
import shutil

import numpy as np
import pytest

from nasbench_eval.errors import DataBuildError, StoreError, UnknownNameError
from nasbench_eval.tables import dataset_view, hw_column, load_store
from nasbench_eval.tables.build import build_store, find_source


def test_published_optima_and_views(store):
    for ds, valid, test in (("cifar10", 91.61, 94.37), ("cifar100", 73.49, 73.51), ("ImageNet16-120", 46.73, 47.31)):
        v = dataset_view(ds)
        assert round(np.nanmax(store.column(v.valid)), 2) == valid
        assert round(np.nanmax(store.column(v.test)), 2) == test


def test_issue_example_arch(store):
    v = dataset_view("cifar10")
    row = store.lookup([v.valid, v.test, hw_column("fpga"), hw_column("raspi4")], [6111])[0]
    assert row[0] == pytest.approx(91.6067, abs=1e-4) and row[1] == pytest.approx(94.3733, abs=1e-4)
    assert row[2] == pytest.approx(6.67856) and row[3] > 0


def test_golden_hw_values_from_the_hwnasbench_notebook(store):
    anchors = json.loads((find_source() / "hwnasbench-gatech/example_notebook_anchors.json").read_text())
    a1 = anchors["values"]["nasbench201"]["1"]["cifar10"]
    for metric in ("edgegpu_latency", "edgetpu_latency", "fpga_energy", "eyeriss_energy", "raspi4_latency"):
        dev, m = metric.split("_", 1)
        assert store.lookup([hw_column(dev, m)], [1])[0, 0] == pytest.approx(a1[metric], rel=1e-12)


def test_coverage_is_honest(store):
    assert store.coverage(hw_column("edgetpu")).sum() == 15625 - 3071 - 3768
    assert store.coverage(hw_column("edgegpu", "energy")).sum() == 12554
    assert store.coverage(hw_column("fpga", "energy")).sum() == 15625
    derived = store.column("cifar10/fpga_energy_mJ_is_derived/hw-nas-bench")
    assert derived.sum() == 3071
    fe, fl = store.column(hw_column("fpga", "energy")), store.column(hw_column("fpga"))
    assert np.allclose(fe, 7 * fl)
    assert store.column_meta(hw_column("fpga", "energy"))["derived_rows"] == 3071
    assert np.nanmin(store.column(hw_column("edgetpu"))) > 0  # the -1 sentinel never appears as a latency


def test_provenance_per_column(store):
    m = store.column_meta(dataset_view("cifar100").test)
    assert m["source_repo"] == "Zhenhan-Huang/NASGraph-Public" and len(m["source_sha256"]) == 64


def test_unknown_names_list_the_valid_ones(store):
    with pytest.raises(UnknownNameError, match="allowed: cifar10, cifar100"):
        dataset_view("cifar11")
    with pytest.raises(UnknownNameError, match="edgegpu"):
        hw_column("tpu")
    with pytest.raises(UnknownNameError, match="latency"):
        hw_column("raspi4", "energy")
    with pytest.raises(UnknownNameError, match="unknown column"):
        store.column("nope")


def test_lookup_is_vectorised(store):
    idx = np.random.default_rng(0).integers(0, 15625, 1000)
    cols = [dataset_view("cifar10").valid, hw_column("pixel3")]
    out = store.lookup(cols, idx)
    assert out.shape == (1000, 2)
    assert np.array_equal(out[:, 1], store.column(cols[1])[idx])


def test_missing_and_corrupted_store(tmp_path, store):
    with pytest.raises(StoreError, match="nasbench-eval data build"):
        load_store(tmp_path / "none")
    bad = tmp_path / "bad"
    shutil.copytree(store.path, bad)
    np.save(bad / "values.npy", np.zeros((3, 10)))
    with pytest.raises(StoreError, match="truncated or corrupted"):
        load_store(bad)
    (bad / "values.npy").write_bytes(b"garbage")
    with pytest.raises(StoreError, match="corrupted"):
        load_store(bad)


def test_build_refuses_modified_data(tmp_path):
    src = find_source()
    fake = tmp_path / "src"
    shutil.copytree(src, fake)
    p = fake / "nb201-nasgraph/nasbench201_cifar100.csv"
    p.chmod(0o644)
    lines = p.read_text().splitlines()
    lines[5] = lines[5].replace(",", ",9", 1)
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataBuildError, match="sha256"):
        build_store(fake, tmp_path / "store")
    assert not (tmp_path / "store").exists()
