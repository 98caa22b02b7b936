"""`nasbench-eval hw measure`: timing NB201 networks here, the predictor fill, the user-device overlay, resume,
and a hardware-aware search on the user device."""
from __future__ import annotations

import json

import numpy as np
import pytest

from nasbench_eval.cli import main
from nasbench_eval.errors import ConfigError, StoreError
from nasbench_eval.spaces import nb201
from nasbench_eval.tables import latency_fill as fill
from nasbench_eval.tables import user_devices as ud
from nasbench_eval.tables.store import default_store_dir, load_store
from nasbench_eval.tables.locate import get_store

torch = pytest.importorskip("torch")

from nasbench_eval.live.latency import TimingSettings, finish, measure_device  # noqa: E402

TINY = TimingSettings(batch_size=1, threads=1, warmup=1, repeats=2, seed=3)


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("user_devices")
    mp.setenv("NASBENCH_EVAL_USER_DEVICES", str(root))
    yield root
    mp.undo()


@pytest.fixture(scope="module")
def tiny(user_dir):
    """A real measurement: 6 archs, 2 timed passes each, on this CPU."""
    meta = measure_device("tiny_cpu", sample=6, settings=TINY, progress=False)
    return meta, user_dir / "tiny_cpu"


def test_measure_writes_a_flagged_column_and_leaves_the_store_untouched(tiny):
    meta, folder = tiny
    base_files = {f: (default_store_dir() / f).read_bytes() for f in ("values.npy", "meta.json")}
    recs = ud.read_records(folder / "measurements.jsonl")
    assert sorted(recs) == sorted(meta["sample"]["train"]) and len(recs) == 6
    assert meta["counts"] == {"measured": 6, "predicted": nb201.N_ARCHS - 6}
    s = get_store()
    lat, flag = s.column(ud.latency_column("tiny_cpu")), s.column(ud.flag_column("tiny_cpu"))
    idx = np.array(sorted(recs))
    assert np.array_equal(lat[idx], [recs[i]["median_ms"] for i in idx])  # measured values kept exactly
    assert set(np.flatnonzero(flag == 0)) == set(idx) and np.all(flag[np.setdiff1d(np.arange(15625), idx)] == 1)
    assert np.all(lat > 0) and np.all(np.isfinite(lat))
    for r in recs.values():  # median / IQR of the timed passes; exact NB201 parameter counts
        assert r["q25_ms"] <= r["median_ms"] <= r["q75_ms"] and r["repeats"] == 2
    params = s.column("cifar10/params_M/analytic")
    assert all(abs(r["params"] / 1e6 - params[r["index"]]) < 1e-9 for r in recs.values())
    assert "perf_counter_ns" in meta["timer"] and meta["machine"]["torch"] == torch.__version__
    assert meta["settings"]["batch_size"] == 1 and meta["predictor"]["cross_validated"]["folds"] == 3
    # the verified store: same files, same hash; its own loader has no user column
    pure = load_store(default_store_dir())
    assert ud.latency_column("tiny_cpu") not in pure.columns
    assert s.content_sha256 == pure.content_sha256 and s.meta["user_devices"]["tiny_cpu"]["counts"] == meta["counts"]
    assert all((default_store_dir() / f).read_bytes() == b for f, b in base_files.items())


def test_resume_times_only_new_archs_and_the_sample_is_nested(tiny, monkeypatch):
    meta, folder = tiny
    sink = folder / "measurements.jsonl"
    before = sink.read_text().splitlines()
    with open(sink, "ab") as fh:  # an append interrupted mid-write
        fh.write(b'{"index": 1')
    timed = []
    import nasbench_eval.live.latency as lat_mod

    real = lat_mod.time_arch
    monkeypatch.setattr(lat_mod, "time_arch", lambda i, s, g: timed.append(i) or real(i, s, g))
    meta2 = measure_device("tiny_cpu", sample=8, settings=TINY, progress=False)
    after = sink.read_text().splitlines()
    assert after[:6] == before and len(after) == 8 and len(timed) == 2  # the torn line is gone, 2 new archs
    assert meta2["sample"]["train"][:6] == meta["sample"]["train"]
    assert set(timed) == set(meta2["sample"]["train"][6:])
    with pytest.raises(ConfigError, match="batch_size: 1 -> 4"):
        measure_device("tiny_cpu", sample=8, settings=TimingSettings(batch_size=4, threads=1, warmup=1, repeats=2,
                                                                     seed=3), progress=False)


def test_sample_is_one_arch_per_isomorphism_class_and_stratified():
    s = get_store()
    order = fill.sample_order(s, np.random.default_rng(0))
    cls = fill.class_ids()
    assert len(order) == cls.max() + 1 and len(set(cls[order])) == len(order)  # every class once
    flops = s.column("cifar10/flops_M/analytic")[order]
    edges = np.quantile(flops, np.linspace(0, 1, 11))
    first = np.clip(np.searchsorted(edges, flops[:60], side="right") - 1, 0, 9)
    assert np.bincount(first, minlength=10).min() >= 4  # 60 = about 6 per FLOPs decile
    assert np.array_equal(order, fill.sample_order(s, np.random.default_rng(0)))


def test_predictor_fill_on_a_known_device(tmp_path):
    """Use HELP gold_6226 latencies as the 'measurements' of 60 sampled archs: the fill keeps them exactly, flags
    the rest, and the cross-validated and held-out quality are real (a predictor of the truth beats chance)."""
    s = get_store()
    truth = s.column("cifar10/help_gold_6226_latency_ms/help")
    rng = np.random.default_rng(1)
    order = fill.sample_order(s, rng)
    train, held = order[:60], order[60:100]
    records = {int(i): {"index": int(i), "median_ms": float(truth[i]), "iqr_ms": 0.0} for i in order[:100]}
    folder = ud.prepare_device_dir("fake_gold", tmp_path)
    meta = finish(folder, s, records, train, held, TimingSettings(), "gbr", rng, {"summary": "test"},
                  {"measure_seconds": 0.0})
    _, values = ud.read_device(folder)
    assert np.array_equal(values[0, order[:100]], truth[order[:100]]) and values[1].sum() == 15625 - 100
    cv, ho = meta["predictor"]["cross_validated"], meta["predictor"]["holdout"]
    assert cv["n"] == 60 and ho["n"] == 40
    assert cv["kendall_tau"] > 0.5 and ho["kendall_tau"] > 0.5 and ho["mape"] < 0.3
    assert meta["agreement_measured"]["gold_6226"]["kendall_tau"] == 1.0
    rest = values[1] == 1
    from scipy.stats import kendalltau

    assert kendalltau(values[0, rest], truth[rest]).statistic > 0.6  # the filled column ranks the unseen archs


def test_names_and_tampering(tiny, user_dir):
    for bad in ("fpga", "gold_6226", "help_x", "My-CPU", "1cpu", ""):
        with pytest.raises(ConfigError, match="device name"):
            ud.check_name(bad)
    from nasbench_eval.problems.hw import resolve_device

    assert resolve_device("tiny_cpu") == ("tiny_cpu_latency_ms", "cifar10/tiny_cpu_latency_ms/user-measured")
    with pytest.raises(Exception, match="tiny_cpu"):
        resolve_device("no_such_device")  # the allowed list names the user devices
    with pytest.raises(Exception, match="latency"):
        resolve_device("tiny_cpu", "energy")
    # a modified user device is refused when the overlay opens
    other = user_dir / "tampered"
    meta, values = ud.read_device(tiny[1])
    ud.prepare_device_dir("tampered", user_dir)
    ud.write_device(other, values[0], values[1], {k: v for k, v in meta.items() if k not in ("name", "columns")})
    v = np.load(other / "values.npy")
    v[0, 0] *= 2
    np.save(other / "values.npy", v)
    try:
        with pytest.raises(StoreError, match="tampered.*checksum"):
            get_store()
    finally:
        ud.remove_device("tampered", user_dir)
    assert "tampered" not in ud.device_names()


def test_search_on_the_user_device_end_to_end(tiny, capsys):
    n_meas = ud.read_device(tiny[1])[0]["counts"]["measured"]  # 6, or 8 after the resume test
    assert main(["search", "mo-hdnas", "--device", "tiny_cpu", "--budget", "60", "--seed", "0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    info = out["problem_info"]
    assert info["cost_source"] == "cifar10/tiny_cpu_latency_ms/user-measured"
    assert f"{n_meas} latencies measured" in info["note_user_device"]
    assert all(c["metrics"]["tiny_cpu_latency_ms_is_predicted"] in (0.0, 1.0) for c in out["result"])
    assert len(out["per_threshold"]) == 9 and out["indicators"]["hv_norm"] > 0
    assert main(["search", "hw-evrsnas", "--device", "tiny_cpu", "--quantile", "0.3", "--budget", "60",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["per_threshold"][0]["feasible_archs"] > 4000  # exhaustive over measured + predicted (0.3 x 15,625)
    from nasbench_eval.problems.spec import ProblemSpec

    p = ProblemSpec.from_mapping({"type": "hw", "device": "tiny_cpu", "quantile": 0.3}).build()
    gt = p.ground_truth()
    assert p.cost_column.endswith("/user-measured") and np.isfinite(gt.cost).sum() == 15625
    assert main(["data", "info"]) == 0
    assert f"user device; {n_meas} measured" in capsys.readouterr().out
    assert main(["hw", "list"]) == 0
    assert f"tiny_cpu: {n_meas} measured" in capsys.readouterr().out


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_timing_uses_events(tmp_path):
    meta = measure_device("tiny_gpu", sample=6, settings=TimingSettings(torch_device="cuda", warmup=2, repeats=3),
                          root=tmp_path, progress=False)
    assert "cuda.Event" in meta["timer"] and meta["machine"]["gpu"]
    assert meta["counts"]["measured"] == 6
