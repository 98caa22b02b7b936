"""Import an official NAS-Bench-201 ``.pth`` file through the ``nas-bench-201`` API (trusted files only).

``NAS-Bench-201-v1_0-e61699.pth`` / ``NAS-Bench-201-v1_1-096897.pth`` are torch pickles: loading one runs whatever
the file says, so this importer refuses unless the caller passes ``trust_pickle=True`` (CLI ``--trust-pickle``).
A NATS-Bench topology dict in the same structure (arch2infos keyed by hp ``'12'``/``'200'`` instead of
``'less'``/``'full'``) is accepted too and relabelled for the NB201 API.

Columns per NB201 training setting (``cifar10-valid``, ``cifar10``, ``cifar100``, ``ImageNet16-120``) and schedule
(``hp='200'`` -> ``200ep``, ``hp='12'`` -> ``12ep``), all **mean over the file's seeds** (``is_random=False``),
final epoch, named ``{setting}/{what}/{source}``:

- ``train_acc_{ep}ep``, ``valid_acc_{ep}ep`` (x-valid; absent for ``cifar10``), ``test_acc_{ep}ep`` (ori-test for
  cifar10-valid / cifar10, x-test for cifar100 / ImageNet16-120), in %;
- ``train_time_{ep}ep_s``: total training time over the schedule (s), where the file records times;
- ``n_seeds_{ep}ep``: how many seeds the mean is over.

An arch/setting/schedule the file does not have stays NaN; nothing is imputed.
"""
from __future__ import annotations

import contextlib
import re
from pathlib import Path

import numpy as np

from ...errors import DataBuildError, NasbenchEvalError
from ...spaces import nb201

SETTINGS = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
HPS = {"200": "200ep", "12": "12ep"}
N = nb201.N_ARCHS


class UntrustedPickleError(NasbenchEvalError):
    """A pickle-based file was given without the explicit trust flag."""


def source_tag(path: Path | str) -> str:
    """Source label from the official file name: ``nb201-v1_0``, ``nb201-v1_1`` or ``nats-tss``."""
    name = Path(path).name
    if re.search(r"NAS-Bench-201-v1_0", name):
        return "nb201-v1_0"
    if re.search(r"NAS-Bench-201-v1_1", name):
        return "nb201-v1_1"
    if re.search(r"NATS-tss", name):
        return "nats-tss"
    raise DataBuildError(f"cannot tell which benchmark release {name!r} is (expected a name containing "
                         f"'NAS-Bench-201-v1_0', 'NAS-Bench-201-v1_1' or 'NATS-tss'); pass source='...' "
                         f"to name it explicitly")


def _require_trust(path: Path, trust_pickle: bool) -> None:
    if not trust_pickle:
        raise UntrustedPickleError(
            f"refusing to open {path}: NB201/NATS .pth files are Python pickles, and loading one (torch.load inside "
            f"the nas-bench-201 API) runs any code stored in the file. Pass trust_pickle=True (CLI: --trust-pickle) "
            f"only for a file from the official release whose sha256 you have checked")


def _relabel_nats(obj):
    """NATS-tss stores hp '12'/'200' where NB201 stores 'less'/'full'; relabel in place for the NB201 API."""
    if isinstance(obj, dict) and isinstance(obj.get("arch2infos"), dict):
        for entry in obj["arch2infos"].values():
            if isinstance(entry, dict) and "full" not in entry and "200" in entry:
                entry["full"] = entry.pop("200")
                entry["less"] = entry.pop("12") if "12" in entry else {
                    "arch_index": entry["full"].get("arch_index"), "arch_str": entry["full"].get("arch_str"),
                    "all_results": {}, "dataset_seed": {}, "clear_net_done": True}
    return obj


@contextlib.contextmanager
def _trusted_torch_load():
    """Within the block, ``torch.load`` unpickles fully (the caller vouched for the file) and relabels NATS dicts."""
    import torch

    original = torch.load

    def load(f, *args, **kwargs):
        kwargs["weights_only"] = False
        kwargs.setdefault("map_location", "cpu")
        return _relabel_nats(original(f, *args, **kwargs))

    torch.load = load
    try:
        yield
    finally:
        torch.load = original


def open_api(path: Path | str, *, trust_pickle: bool = False):
    """``nas_201_api.NASBench201API`` on ``path`` (only with ``trust_pickle=True``)."""
    path = Path(path)
    if not path.is_file():
        raise DataBuildError(f"NB201 file not found: {path}")
    _require_trust(path, trust_pickle)
    try:
        from nas_201_api import NASBench201API
    except ImportError:
        raise DataBuildError("importing official NB201 files needs the `nas-bench-201` package "
                             "(pip install nas-bench-201==2.1) and torch") from None
    try:
        with _trusted_torch_load():
            return NASBench201API(str(path), verbose=False)
    except (AssertionError, KeyError, TypeError, ValueError, AttributeError, EOFError, RuntimeError) as exc:
        raise DataBuildError(f"{path} is not in the NAS-Bench-201 layout the nas-bench-201 API reads "
                             f"({type(exc).__name__}: {exc}); expected a dict with 'meta_archs', 'arch2infos' "
                             f"(index -> {{'less', 'full'}} ArchResults state dicts) and 'evaluated_indexes'") from None


def _nan(x) -> float:
    return float("nan") if x is None else float(x)


def nb201_api_columns(api, source: str) -> tuple[dict[str, np.ndarray], dict[str, dict]]:
    """Columns and per-column notes from an open ``NASBench201API`` (rows placed by arch string -> NB201 index)."""
    api.verbose = False
    keys = sorted(api.arch2infos_dict)
    try:
        nb_idx = np.asarray(nb201.arch_to_index([api.meta_archs[k] for k in keys]), dtype=np.int64).reshape(-1)
    except Exception as exc:
        raise DataBuildError(f"the file holds an arch string that is not NB201 ({exc})") from None
    cols: dict[str, np.ndarray] = {}

    def put(name, i, value):
        cols.setdefault(name, np.full(N, np.nan))[i] = value

    for k, i in zip(keys, nb_idx):
        for hp, ep in HPS.items():
            res = api.arch2infos_dict[k].get(hp)
            if res is None:
                continue
            have = res.get_dataset_names()
            for setting in SETTINGS:
                if setting not in have or not res.get_dataset_seeds(setting):
                    continue
                info = api.get_more_info(int(k), setting, hp=hp, is_random=False)
                put(f"{setting}/n_seeds_{ep}/{source}", i, len(res.get_dataset_seeds(setting)))
                for split in ("train", "valid", "test"):
                    if f"{split}-accuracy" in info:
                        put(f"{setting}/{split}_acc_{ep}/{source}", i, _nan(info[f"{split}-accuracy"]))
                put(f"{setting}/train_time_{ep}_s/{source}", i, _nan(info.get("train-all-time")))
    cols = {n: v for n, v in cols.items() if np.isfinite(v).any()}
    notes = {}
    for n in cols:
        setting, what, _ = n.split("/")
        ep = what.split("_")[-2] if what.endswith("_s") else what.split("_")[-1]
        if what.startswith("n_seeds"):
            notes[n] = {"unit": "count", "description": f"{source} {setting}: number of seeds ({ep})"}
        elif what.startswith("train_time"):
            notes[n] = {"unit": "s", "description": f"{source} {setting}: total training time of the {ep} "
                        f"schedule, mean over seeds (as recorded in the file)"}
        else:
            split = what.split("_")[0]
            test = "ori-test" if setting in ("cifar10", "cifar10-valid") else "x-test"
            sname = {"valid": "x-valid", "test": test}.get(split, "train")
            notes[n] = {"unit": "%", "description": f"{source} {setting} {sname} top-1 accuracy after the {ep} "
                        f"schedule, mean over seeds"}
    return cols, notes


def load_nb201_pth(path: Path | str, *, trust_pickle: bool = False, source: str | None = None
                   ) -> dict[str, np.ndarray]:
    """Accuracy / time / seed-count columns from an official NB201 (or NATS-tss) ``.pth``; needs ``trust_pickle``."""
    path = Path(path)
    if not path.is_file():
        raise DataBuildError(f"NB201 file not found: {path}")
    _require_trust(path, trust_pickle)
    tag = source or source_tag(path)
    api = open_api(path, trust_pickle=trust_pickle)
    return nb201_api_columns(api, tag)[0]
