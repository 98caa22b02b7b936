"""``HWNASBenchAPI`` served from the nasbench-eval store: change one import, keep the script.

::

    # from hw_nas_bench_api import HWNASBenchAPI as HWAPI
    from nasbench_eval.compat.hw_nas_bench_api import HWNASBenchAPI as HWAPI

    hw_api = HWAPI("HW-NAS-Bench-v1_0.pickle", search_space="nasbench201")   # the path is accepted and ignored
    hw_api.query_by_index(6111, "cifar10")["fpga_latency"]

Mirrors ``hw_nas_bench_api`` of HW-NAS-Bench (Li et al., "HW-NAS-Bench: Hardware-Aware Neural Architecture Search
Benchmark", ICLR 2021) for the NAS-Bench-201 space: ``query_by_index`` returns the same eleven keys
(``edgegpu_latency``, ``edgegpu_energy``, ``raspi4_latency``, ``edgetpu_latency``, ``pixel3_latency``,
``eyeriss_latency``, ``eyeriss_energy``, ``eyeriss_arithmetic_intensity``, ``fpga_latency``, ``fpga_energy`` and
``average_hw_metric``, the product of the nine latency / energy values), latency in ms and energy in mJ, as Python
floats.

Missing values:

* ``edgetpu_latency`` is ``-1.0`` where HW-NAS-Bench itself reports -1 (the model did not compile for the Edge TPU);
  ``average_hw_metric`` is then negative, exactly as the original computes it. (The store keeps -1 as missing; a row
  is a "-1" row when the other metrics of the same HW-NAS-Bench record are present.)
* NaN where the store has no value: the bundled data hold the official values of 12,554 of the 15,625 archs for
  edgegpu latency / energy, edgetpu latency and eyeriss energy / arithmetic intensity (all archs for raspi4, pixel3,
  eyeriss and fpga latency). ``average_hw_metric`` is NaN whenever a factor is.
* ``fpga_energy`` of the other 3,071 archs is derived as 7 W x fpga latency (HW-NAS-Bench's FPGA power model, exact
  on every measured row); ``nasbench-eval query`` flags those rows.

Datasets: the bundled data cover the **cifar10 input only**. HW-NAS-Bench measured each network separately for
cifar100 (a 100-class head) and ImageNet16-120 (16 x 16 inputs, 120 classes), so cifar10 costs are not those
numbers and are never substituted: ``query_by_index(i, "cifar100")`` raises a ``ConfigError`` unless the official
pickle was imported (``nasbench-eval data import hwnasbench HW-NAS-Bench-v1_0.pickle``), which adds all three
inputs. ``get_net_config`` works for all three. The FBNet space is not covered.
"""
from __future__ import annotations

import math

from ..errors import ConfigError, unknown
from ..spaces import nb201
from ..tables.columns import DATASETS, HW_METRICS, hw_column
from ..tables.locate import get_store
from ._common import check_index, warn_once

NUM_CLASSES = {"cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}
METRICS = tuple(f"{dev}_{m}" for dev, ms in HW_METRICS.items() for m in ms)  # the original's ten keys, its order
_PRODUCT = tuple(m for m in METRICS if m != "eyeriss_arithmetic_intensity")  # average_hw_metric's nine factors
_RECORD_PROBE = "edgegpu_latency"  # present whenever the HW-NAS-Bench record of an arch is


class HWNASBenchAPI:
    """HW-NAS-Bench's ``HWNASBenchAPI`` over the nasbench-eval store (read-only; see the module docstring).

    file_path_or_dict: accepted and ignored (a warning says so once). search_space: ``"nasbench201"`` only.
    """

    def __init__(self, file_path_or_dict=None, search_space: str = "nasbench201", *, store=None):
        if search_space != "nasbench201":
            raise ConfigError(f"search_space must be 'nasbench201' (the only space in the nasbench-eval store); got "
                              f"{search_space!r}" + (": FBNet's op-level lookup tables are not covered"
                                                     if search_space == "fbnet" else ""))
        self.search_space = search_space
        self._store = store if store is not None else get_store()
        warn_once("hw-api", f"nasbench_eval.compat.hw_nas_bench_api ignores the benchmark file {file_path_or_dict!r}:"
                  " costs come from the nasbench-eval store")

    def _columns(self, dataname: str) -> dict[str, str]:
        if dataname not in DATASETS:
            raise unknown("HW-NAS-Bench dataset", dataname, DATASETS)
        cols = {}
        for metric in METRICS:
            dev, m = metric.split("_", 1)
            cols[metric] = hw_column(dev, m, dataname)
        missing = [c for c in cols.values() if c not in self._store.columns]
        if missing:
            have = sorted({c.split("/")[0] for c in self._store.columns if c.endswith("/hw-nas-bench")})
            raise ConfigError(f"HW-NAS-Bench costs for the {dataname!r} input are not in this store (it has them for "
                              f"{', '.join(have) or 'no input'}): HW-NAS-Bench measured every network separately per "
                              "input, so costs of another input are not substituted. Import the official pickle to "
                              "add all three inputs: nasbench-eval data import hwnasbench HW-NAS-Bench-v1_0.pickle")
        return cols

    def query_by_index(self, arch_index: int, dataname: str) -> dict[str, float]:
        """The ten hardware metrics of architecture ``arch_index`` on input ``dataname``, plus ``average_hw_metric``."""
        i = check_index(arch_index, "arch_index")
        cols = self._columns(dataname)
        vals = self._store.lookup(list(cols.values()), [i])[0]
        out = {m: float(v) for m, v in zip(cols, vals)}
        if math.isnan(out["edgetpu_latency"]) and not math.isnan(out[_RECORD_PROBE]):
            out["edgetpu_latency"] = -1.0  # HW-NAS-Bench's "did not compile for the Edge TPU"
        out["average_hw_metric"] = math.prod(out[m] for m in _PRODUCT)
        return out

    def get_net_config(self, arch_index: int, dataname: str) -> dict:
        """The config HW-NAS-Bench built the measured network from (NB201's ``infer.tiny``)."""
        i = check_index(arch_index, "arch_index")
        if dataname not in DATASETS:
            raise unknown("HW-NAS-Bench dataset", dataname, DATASETS)
        return {"name": "infer.tiny", "C": 16, "N": 5, "arch_str": nb201.index_to_arch(i),
                "num_classes": NUM_CLASSES[dataname]}

    def source_columns(self, dataname: str) -> dict[str, str]:
        """Which store column each metric of :meth:`query_by_index` comes from."""
        return self._columns(dataname)

    def get_op_lookup_tables(self):
        raise ConfigError("HWNASBenchAPI.get_op_lookup_tables is not provided by nasbench_eval.compat: it returns "
                          "FBNet's op-level tables, and the FBNet space is not covered")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(search_space={self.search_space!r}, store={self._store.path})"


__all__ = ["HWNASBenchAPI", "METRICS"]
