"""HW-NAS-Bench official pickle: restricted unpickler, layout checks, hostile pickles.

The pickles here are TEST-ONLY files written by the tests in the official layout, filled with synthetic numbers
from a seeded Generator; they are not HW-NAS-Bench data.
"""
from __future__ import annotations

import builtins
import os
import pickle

import numpy as np
import pytest

from nasbench_eval.errors import DataBuildError
from nasbench_eval.spaces import nb201
from nasbench_eval.tables.columns import hw_column
from nasbench_eval.tables.official import load_hwnasbench_pickle
from nasbench_eval.tables.official.hwnasbench import HW_DATASETS, HW_METRIC_KEYS
from nasbench_eval.tables.safe_pickle import UnsafePickleError, restricted_loads

N = nb201.N_ARCHS


def fake_hwnasbench(rng: np.random.Generator) -> dict:
    """Synthetic object in the official layout: lists for cifar10/cifar100, a partial dict for ImageNet16-120."""
    nb = {}
    for ds in HW_DATASETS:
        per = {}
        for m in HW_METRIC_KEYS:
            vals = rng.uniform(0.5, 30.0, N)
            if m == "edgetpu_latency":
                vals[rng.random(N) < 0.25] = -1.0
            if m == "fpga_energy":
                vals = 7.0 * np.asarray(per["fpga_latency"] if isinstance(per["fpga_latency"], list)
                                        else [per["fpga_latency"].get(i, 1.0) for i in range(N)])
            if ds == "ImageNet16-120":
                per[m] = {i: float(vals[i]) for i in range(0, N, 2)}  # keyed by index, half the archs
            else:
                per[m] = [float(v) for v in vals]
        if ds == "cifar10":
            per["config"] = [{"name": "infer.tiny", "C": 16, "N": 5, "arch_str": s, "num_classes": 10}
                             for s in nb201.index_to_arch(np.arange(N))]
        nb[ds] = per
    return {"nasbench201": nb, "fbnet": {"edgegpu_latency": {"FC_Cin1504_Cout100": 0.1}}}


@pytest.fixture(scope="module")
def hw_obj():
    return fake_hwnasbench(np.random.default_rng(2024))


def _write(tmp_path, obj, name="HW-NAS-Bench-v1_0.pickle", protocol=4):
    p = tmp_path / name
    p.write_bytes(pickle.dumps(obj, protocol=protocol))
    return p


def test_loads_all_three_datasets(tmp_path, hw_obj):
    cols = load_hwnasbench_pickle(_write(tmp_path, hw_obj))
    assert len(cols) == 30
    for ds in HW_DATASETS:
        for m in HW_METRIC_KEYS:
            dev, metric = m.split("_", 1)
            v = cols[hw_column(dev, metric, ds)]
            assert v.shape == (N,) and v.dtype == np.float64
            raw = hw_obj["nasbench201"][ds][m]
            want = np.array(raw, float) if isinstance(raw, list) else np.array([raw.get(i, np.nan) for i in range(N)])
            if dev == "edgetpu":
                assert np.isnan(v[want == -1]).all() and not (v == -1).any()  # -1 = did not compile -> missing
                want[want == -1] = np.nan
            np.testing.assert_array_equal(v, want)
    assert np.isnan(cols[hw_column("fpga", "latency", "ImageNet16-120")][1::2]).all()  # gaps stay NaN
    c10 = cols[hw_column("fpga", "energy", "cifar10")]
    np.testing.assert_allclose(c10, 7 * cols[hw_column("fpga", "latency", "cifar10")])


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_every_protocol_of_plain_data_loads(protocol):
    obj = {"a": [1, 2.5, None, True], "b": (1, "x"), 3: {"c": -1}}
    assert restricted_loads(pickle.dumps(obj, protocol=protocol)) == obj


class _Hostile:
    def __init__(self, func, arg):
        self.func, self.arg = func, arg

    def __reduce__(self):
        return (self.func, (self.arg,))


@pytest.mark.parametrize("func", [os.system, builtins.eval, builtins.exec])
def test_hostile_pickle_is_rejected_and_nothing_runs(tmp_path, func):
    marker = tmp_path / "pwned"
    code = f"touch {marker}" if func is os.system else f"open({str(marker)!r}, 'w').close()"
    obj = {"nasbench201": {"cifar10": {"edgegpu_latency": [_Hostile(func, code)]}}}
    path = _write(tmp_path, obj)
    with pytest.raises(UnsafePickleError, match=r"references the global (posix|builtins)\.(system|eval|exec)"):
        load_hwnasbench_pickle(path)
    assert not marker.exists()
    with pytest.raises(UnsafePickleError):  # the numpy opt-in does not open any other door
        load_hwnasbench_pickle(path, allow_numpy_scalars=True)
    assert not marker.exists()


def test_numpy_scalars_only_on_request(tmp_path):
    obj = {"x": np.float64(1.25), "y": [np.int64(3), np.float32(0.5)]}
    blob = pickle.dumps(obj, protocol=2)
    with pytest.raises(UnsafePickleError, match="allow_numpy_scalars=True"):
        restricted_loads(blob)
    got = restricted_loads(blob, allow_numpy_scalars=True)
    assert got == {"x": 1.25, "y": [3, 0.5]} and type(got["x"]) is float
    with pytest.raises(UnsafePickleError, match="global"):  # arrays (object or not) stay refused
        restricted_loads(pickle.dumps(np.array([1.0])), allow_numpy_scalars=True)
    with pytest.raises(UnsafePickleError, match="global"):
        restricted_loads(pickle.dumps(np.array([{}], dtype=object)), allow_numpy_scalars=True)


def test_truncated_file_is_a_clear_error(tmp_path):
    p = tmp_path / "HW-NAS-Bench-v1_0.pickle"
    p.write_bytes(pickle.dumps({"nasbench201": {}})[:-3])
    with pytest.raises(UnsafePickleError, match="cannot read"):
        load_hwnasbench_pickle(p)


def _small(rng):
    return {"nasbench201": {ds: {m: [1.0] * N for m in HW_METRIC_KEYS} for ds in HW_DATASETS}}


@pytest.mark.parametrize("mutate, message", [
    (lambda o: o.pop("nasbench201"), r"top level should be a dict with keys 'nasbench201'"),
    (lambda o: o["nasbench201"].pop("cifar100"), r"lacks datasets \['cifar100'\].*found keys"),
    (lambda o: o["nasbench201"]["cifar10"].pop("fpga_energy"), r"lacks metrics \['fpga_energy'\]"),
    (lambda o: o["nasbench201"]["cifar10"].__setitem__("raspi4_latency", [1.0] * 10),
     r"\['raspi4_latency'\] should be a list of 15625 numbers.*found a list of length 10"),
    (lambda o: o["nasbench201"]["cifar10"]["pixel3_latency"].__setitem__(7, "fast"),
     r"\['pixel3_latency'\]\[7\] should be a number, found str"),
    (lambda o: o["nasbench201"]["cifar10"]["pixel3_latency"].__setitem__(8, [1.0]),
     r"\[8\] should be a number, found list"),
    (lambda o: o["nasbench201"]["cifar100"].__setitem__("config", [{"arch_str": nb201.index_to_arch(1)}] * N),
     r"\['config'\]\[0\] is .* NB201 index 1, not 0"),
])
def test_layout_errors_say_what_was_found(tmp_path, mutate, message):
    obj = _small(None)
    mutate(obj)
    with pytest.raises(DataBuildError, match=message):
        load_hwnasbench_pickle(_write(tmp_path, obj))


def test_missing_file(tmp_path):
    with pytest.raises(DataBuildError, match="not found"):
        load_hwnasbench_pickle(tmp_path / "nope.pickle")
