"""``NASBench201API`` served from the nasbench-eval store: change one import, keep the script.

::

    # from nas_201_api import NASBench201API as API
    from nasbench_eval.compat.nas_201_api import NASBench201API as API

    api = API("NAS-Bench-201-v1_1-096897.pth", verbose=False)   # the path is accepted and ignored
    info = api.get_more_info(api.query_index_by_arch(arch_str), "cifar10-valid", hp="200", is_random=False)
    info["valid-accuracy"], info["test-accuracy"]

Mirrors the ``nas-bench-201`` package, version 2.1 (Dong & Yang, "NAS-Bench-201: Extending the Scope of
Reproducible Neural Architecture Search", ICLR 2020): same method names, arguments, index order and dict keys.
What the store holds, per NB201 training setting, is the **final-epoch, mean-over-seeds** top-1 accuracy of the
200-epoch schedule (``hp='200', is_random=False``):

=================  ===================  ======================  ===================  ==========
setting            train-accuracy       valid-accuracy          test-accuracy        valtest
=================  ===================  ======================  ===================  ==========
cifar10-valid      train (NB201 v1_1)   x-valid (NB201 v1_1)    ori-test (v1_1)      (no key)
cifar10            NaN (not bundled)    (no key)                ori-test (NATS tss)  (no key)
cifar100, IN16     train (NB201 v1_1)   x-valid (NB201 v1_1)    x-test (NB201 v1_1)  NaN
=================  ===================  ======================  ===================  ==========

Losses are NaN (not in the store); times and latency are ``None`` (the original's own value for "not recorded"),
except ``train-all-time`` / ``train-per-time`` where an imported official file recorded training times. Refused with
a ``ConfigError`` saying why: ``hp='12'`` unless the 12-epoch columns were imported from the official ``.pth``
(``nasbench-eval data import nb201 PATH --trust-pickle``); ``is_random=True`` or a seed (the store keeps means over
seeds only); ``iepoch`` other than the last epoch (no learning curves); weights, ``show`` and simulated training.

**Defaults differ from the package's**: there ``get_more_info`` defaults to ``hp='12', is_random=True``; here to
``hp='200', is_random=False``, the only results the store holds (a warning says so once per process).
"""
from __future__ import annotations

from ..errors import ConfigError, InvalidArchError, unknown
from ..spaces import nb201
from ..tables.locate import get_store
from ._common import check_index, find_column, value, warn_once

SETTINGS = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
EPOCHS = {"200": 200, "12": 12}
NUM_CLASSES = {"cifar10-valid": 10, "cifar10": 10, "cifar100": 100, "ImageNet16-120": 120}
# per setting: the evaluation keys get_more_info returns, in the original's order, and the NB201 split behind each
_EVAL_KEYS = {
    "cifar10-valid": (("valid", "x-valid"), ("test", "ori-test")),
    "cifar10": (("test", "ori-test"),),
    "cifar100": (("valid", "x-valid"), ("test", "x-test"), ("valtest", "ori-test")),
    "ImageNet16-120": (("valid", "x-valid"), ("test", "x-test"), ("valtest", "ori-test")),
}
# NB201 split -> the store's metric name (None: no store column holds it)
_SPLIT_WHAT = {("cifar10-valid", "x-valid"): "valid_acc", ("cifar10-valid", "ori-test"): "test_acc",
               ("cifar10", "ori-test"): "test_acc", ("cifar100", "x-valid"): "valid_acc",
               ("cifar100", "x-test"): "test_acc", ("ImageNet16-120", "x-valid"): "valid_acc",
               ("ImageNet16-120", "x-test"): "test_acc"}
_UNSUPPORTED = {
    "show": "printing per-seed ArchResults needs the official file; use get_more_info",
    "query_info_str_by_arch": "it prints per-seed ArchResults, which need the official file; use get_more_info",
    "query_by_arch": "it prints per-seed ArchResults, which need the official file; use get_more_info",
    "query_meta_info_by_index": "ArchResults objects (per seed, per epoch) are not in the store; use get_more_info",
    "query_by_index": "per-seed ResultsCount objects are not in the store; use get_more_info",
    "get_net_param": "trained weights are not in the store",
    "reload": "there is no archive to reload from: the store is read-only",
    "simulate_train_eval": "it charges 12-epoch training times from a random seed, which the store does not hold",
    "statistics": "seed counts per setting are only in the store after importing the official .pth",
    "random": "it draws from Python's global RNG; use numpy.random.default_rng(seed).integers(len(api))",
}


def _setting(dataset) -> str:
    if dataset not in SETTINGS:
        raise unknown("NB201 dataset", dataset, SETTINGS)
    return dataset


class NASBench201API:
    """NAS-Bench-201's ``NASBench201API`` over the nasbench-eval store (read-only; see the module docstring).

    file_path_or_dict: accepted and ignored (a warning says so once); the data come from ``store`` (default: the
    process-wide store, ``$NASBENCH_EVAL_STORE``). verbose: print one line per call, as the original does.
    """

    def __init__(self, file_path_or_dict=None, verbose: bool = True, *, store=None):
        self._store = store if store is not None else get_store()
        self.verbose = verbose
        self.filename = None
        self._used_time = 0
        warn_once("nb201-api", f"nasbench_eval.compat.nas_201_api ignores the benchmark file "
                  f"{file_path_or_dict!r}: results come from the nasbench-eval store (200-epoch, mean over seeds); "
                  "get_more_info defaults to hp='200', is_random=False here (the nas-bench-201 package defaults "
                  "to hp='12', is_random=True)")

    # ------------------------------------------------------------------ the space
    def __len__(self) -> int:
        return nb201.N_ARCHS

    def __getitem__(self, index: int) -> str:
        if not -nb201.N_ARCHS <= index < nb201.N_ARCHS:
            raise IndexError(f"NB201 index {index} out of range")
        return nb201.index_to_arch(index % nb201.N_ARCHS)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({nb201.N_ARCHS}/{nb201.N_ARCHS} architectures, store={self._store.path})"

    def _log(self, msg: str) -> None:
        if self.verbose:
            print(msg)

    def arch(self, index: int) -> str:
        """The arch string of the ``index``-th architecture."""
        self._log(f"Call the arch function with index={index}")
        return nb201.index_to_arch(check_index(index))

    def query_index_by_arch(self, arch) -> int:
        """Index of ``arch`` (an index, an arch string or an object with ``tostr()``); -1 if not in the space."""
        self._log(f"Call query_index_by_arch with arch={arch}")
        if isinstance(arch, int):
            return check_index(arch, "arch")
        if hasattr(arch, "tostr") and not isinstance(arch, str):
            arch = arch.tostr()
        if not isinstance(arch, str):
            return -1
        try:
            return int(nb201.arch_to_index(arch))
        except InvalidArchError:
            return -1

    def _resolve(self, index) -> int:
        i = check_index(index) if isinstance(index, int) else self.query_index_by_arch(index)
        if i < 0:
            raise ConfigError(f"index {index!r} is not an NB201 architecture (an index 0..{nb201.N_ARCHS - 1} or an "
                              "arch string like '|nor_conv_3x3~0|+|...')")
        return i

    # ------------------------------------------------------------------ results
    def _hp(self, hp, setting: str) -> str:
        hp = str(hp)
        if hp not in EPOCHS:
            raise ConfigError(f"hp must be '200' or '12' (NB201's two schedules); got {hp!r}")
        if hp != "200" and find_column(self._store, setting, f"train_acc_{hp}ep") is None:
            raise ConfigError(f"hp={hp!r} ({hp}-epoch schedule) is not covered for {setting!r}: this store holds the "
                              "200-epoch results only. Import the official NAS-Bench-201 .pth to add them "
                              "(nasbench-eval data import nb201 NAS-Bench-201-v1_1-096897.pth --trust-pickle), or "
                              "pass hp='200'")
        return hp

    def source_columns(self, dataset: str, hp="200") -> dict[str, str | None]:
        """Which store column each accuracy / time key of :meth:`get_more_info` comes from (None: not held)."""
        setting = _setting(dataset)
        hp = self._hp(hp, setting)
        ep = f"{hp}ep"
        cols = {"train-accuracy": find_column(self._store, setting, f"train_acc_{ep}"),
                "train-all-time": find_column(self._store, setting, f"train_time_{ep}_s")}
        for key, split in _EVAL_KEYS[setting]:
            what = _SPLIT_WHAT.get((setting, split))
            cols[f"{key}-accuracy"] = find_column(self._store, setting, f"{what}_{ep}") if what else None
        return cols

    def get_more_info(self, index, dataset: str, iepoch=None, hp="200", is_random=False) -> dict:
        """Loss / accuracy / time of the ``index``-th architecture trained on ``dataset`` (keys as in NB201)."""
        self._log(f"Call the get_more_info function with index={index}, dataset={dataset}, iepoch={iepoch}, "
                  f"hp={hp}, and is_random={is_random}.")
        i = self._resolve(index)
        cols = self.source_columns(dataset, hp)
        total = EPOCHS[str(hp)]
        if iepoch is not None and iepoch != total - 1:
            raise ConfigError(f"iepoch={iepoch!r} is not covered: the store holds the final epoch only; pass "
                              f"iepoch=None (or {total - 1})")
        if is_random is not False:
            raise ConfigError(f"is_random={is_random!r} (one seed's results) is not covered: the store holds the mean "
                              "over seeds only; pass is_random=False")
        all_time = value(self._store, cols["train-all-time"], i)
        all_time = None if all_time != all_time else all_time  # NaN -> None, the original's "not recorded"
        info = {"train-loss": float("nan"), "train-accuracy": value(self._store, cols["train-accuracy"], i),
                "train-per-time": None if all_time is None else all_time / total, "train-all-time": all_time}
        for key, _ in _EVAL_KEYS[dataset]:
            info.update({f"{key}-loss": float("nan"), f"{key}-accuracy": value(self._store, cols[f"{key}-accuracy"], i),
                         f"{key}-per-time": None, f"{key}-all-time": None})
        return info

    def get_cost_info(self, index: int, dataset: str, hp="200") -> dict:
        """FLOPs (M) and parameters (MB) of the network built for ``dataset``; latency and times are None."""
        self._log(f"Call the get_cost_info function with index={index}, dataset={dataset}, and hp={hp}.")
        i, setting = self._resolve(index), _setting(dataset)
        self._hp(hp, setting)
        data = "cifar10" if setting == "cifar10-valid" else setting
        info = {"flops": value(self._store, find_column(self._store, data, "flops_M"), i),
                "params": value(self._store, find_column(self._store, data, "params_M"), i), "latency": None}
        for name in ["train"] + [split for _, split in _EVAL_KEYS[setting]]:
            info[f"T-{name}@epoch"] = info[f"T-{name}@total"] = None
        return info

    def get_latency(self, index: int, dataset: str, hp="200"):
        """NB201's measured GPU latency: not in the store, so None (the original's value when not measured)."""
        return self.get_cost_info(index, dataset, hp)["latency"]

    def get_net_config(self, index: int, dataset: str) -> dict:
        """The config NB201's ``get_cell_based_tiny_net`` builds the network from."""
        self._log(f"Call the get_net_config function with index={index}, dataset={dataset}.")
        i = check_index(index)
        return {"name": "infer.tiny", "C": 16, "N": 5, "arch_str": nb201.index_to_arch(i),
                "num_classes": NUM_CLASSES[_setting(dataset)]}

    def find_best(self, dataset: str, metric_on_set: str, FLOP_max=None, Param_max=None, hp="200"):  # noqa: N803
        """``(index, accuracy)`` of the most accurate architecture within the FLOPs / params caps, ``(-1, None)``
        if none qualifies (the original's names: ``valid``, ``test``, ``train``, ``x-valid``, ``x-test``, ...)."""
        import numpy as np

        self._log(f"Call find_best with dataset={dataset}, metric_on_set={metric_on_set}, hp={hp} | with #FLOPs < "
                  f"{FLOP_max} and #Params < {Param_max}")
        setting, split = _setting(dataset), metric_on_set
        if setting == "cifar10" and split == "valid":
            setting, split = "cifar10-valid", "x-valid"
        elif split in ("valid", "test"):
            split = {"valid": "x-valid", "test": "ori-test" if setting == "cifar10" else "x-test"}[split]
        what = "train_acc" if split == "train" else _SPLIT_WHAT.get((setting, split))
        col = find_column(self._store, setting, f"{what}_{self._hp(hp, setting)}ep") if what else None
        if col is None:
            raise ConfigError(f"find_best: {metric_on_set!r} accuracy on {dataset!r} is not in this store")
        acc = np.array(self._store.column(col), dtype=float)
        data = "cifar10" if setting == "cifar10-valid" else setting
        for cap, what_cost in ((FLOP_max, "flops_M"), (Param_max, "params_M")):
            if cap is not None:
                acc[~(self._store.column(find_column(self._store, data, what_cost)) <= cap)] = np.nan
        if np.isnan(acc).all():
            return -1, None
        best = int(np.nanargmax(acc))
        return best, float(acc[best])

    # ------------------------------------------------------------------ the rest of the original surface
    @property
    def avaliable_hps(self) -> list[str]:  # sic: the original's spelling
        return [hp for hp in EPOCHS if hp == "200" or find_column(self._store, "cifar10-valid", f"train_acc_{hp}ep")]

    @property
    def used_time(self):
        return self._used_time

    def reset_time(self) -> None:
        self._used_time = 0

    def clear_params(self, index: int, hp=None) -> None:
        """No-op: the store holds no weights."""

    def __getattr__(self, name: str):
        if name in _UNSUPPORTED:
            raise ConfigError(f"NASBench201API.{name} is not provided by nasbench_eval.compat: "
                              f"{_UNSUPPORTED[name]}")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


__all__ = ["NASBench201API"]
