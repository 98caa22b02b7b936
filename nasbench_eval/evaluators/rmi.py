"""Live RMI evaluator: scores NB201 architectures by single-batch training against a reference model.

RMI-NAS (Zheng et al., "Neural Architecture Search with Representation Mutual Information", CVPR 2022): metric
``rmi_loss`` = final value of ``0.8 * sum_i (1 - CKA_i) + 0.2 * CE`` after training a fresh candidate for 150 steps on
one fixed batch of 512 training images (lower = better; +inf if training diverged). Cost = measured wall seconds
(the one-off set-up -- loading the reference, the data and the teacher's Gram matrices -- is charged to the first
architecture scored). Uses CUDA when available, the CPU otherwise.

Persistent cache (``cache=PATH``): JSON lines, one record per scored architecture, keyed by (arch string,
reference fingerprint, data fingerprint, settings); each record is appended with a single ``write`` + ``fsync``, so
an interrupted run leaves at worst a torn last line, which is skipped. Records with another key are ignored.
Cache hits return ``cached=True`` and cost 0. torch is imported only when this module is imported; the cache file
itself is read and written by :mod:`.rmi_cache` (torch-free), which can also answer a repeated request wholly from
the cache without this module (``rmi score``).
"""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch

from ..errors import ConfigError
from ..live.data import ImageData, fixed_batch, load_data
from ..live.rmi import PAPER, RMIScorer, RMISettings
from ..live.train import file_sha256, load_reference
from ..spaces import nb201
from .base import Evaluation, Evaluator
from .rmi_cache import append_record, arch_key, loss_json, read_cache

__all__ = ["RMIEvaluator"]


class RMIEvaluator(Evaluator):
    """``RMIEvaluator(reference=CKPT, data="digits"|"cifar10"|ImageData, data_root=None, cache=None, **settings)``.

    ``settings`` are :class:`~nasbench_eval.live.rmi.RMISettings` fields (C, N, batch_size, steps, lr, momentum,
    weight_decay, beta, cka_dtype, batch_seed, seed), or pass ``settings=RMISettings(...)``.
    """

    metrics = ("rmi_loss",)
    cost_unit = "seconds"

    def __init__(self, reference, data=None, *, data_root=None, cache=None, device=None,
                 settings: RMISettings | None = None, **overrides):
        self.reference = reference
        self.data = data
        self.data_root = data_root
        self.cache = Path(cache) if cache is not None else None
        self.device = device
        bad = set(overrides) - set(PAPER.as_dict())
        if bad:
            raise ConfigError(f"unknown RMI setting(s) {sorted(bad)}; allowed: {sorted(PAPER.as_dict())}")
        self.settings = RMISettings(**{**(settings or PAPER).as_dict(), **overrides})
        self._scorer: RMIScorer | None = None
        self._table: dict[str, float] | None = None
        self._fp: tuple[str, str] | None = None
        self._setup_seconds = 0.0

    @classmethod
    def from_checkpoint(cls, path, data=None, **kwargs) -> "RMIEvaluator":
        """Evaluator for a ``train-reference`` checkpoint; ``data`` defaults to the dataset it was trained on."""
        return cls(reference=path, data=data, **kwargs)

    # ------------------------------------------------------------------------------------------------ set-up
    def _fingerprints(self) -> tuple[str, str]:
        """(reference fingerprint, data fingerprint), computed once."""
        if self._fp is None:
            t0 = time.perf_counter()
            if isinstance(self.reference, torch.nn.Module):
                h = hashlib.sha256(type(self.reference).__name__.encode())
                for k, v in sorted(self.reference.state_dict().items()):
                    h.update(k.encode())
                    h.update(v.detach().cpu().contiguous().numpy().tobytes())
                ref_fp, meta = h.hexdigest()[:16], {}
            else:
                path = Path(self.reference)
                if not path.is_file():
                    raise ConfigError(f"reference checkpoint {str(path)!r} does not exist")
                ref_fp = file_sha256(path)[:16]
                meta_path = path.with_name(path.name + ".json")
                try:
                    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
                except (OSError, ValueError, RecursionError) as exc:
                    raise ConfigError(f"{meta_path} (the reference's metadata) is not readable JSON "
                                      f"({type(exc).__name__}: {exc})") from None
                if not isinstance(meta, dict):
                    raise ConfigError(f"{meta_path} (the reference's metadata) must be a JSON object")
            data = self.data if self.data is not None else meta.get("dataset")
            if data is None:
                raise ConfigError("RMIEvaluator needs data= (a dataset name or ImageData) when the reference has "
                                  "no metadata naming its dataset")
            if not isinstance(data, ImageData):
                data = load_data(str(data), self.data_root)
            self.data = data
            self._fp = (ref_fp, data.fingerprint())
            self._setup_seconds += time.perf_counter() - t0
        return self._fp

    def _ensure_scorer(self) -> RMIScorer:
        if self._scorer is None:
            self._fingerprints()
            t0 = time.perf_counter()
            if isinstance(self.reference, torch.nn.Module):
                teacher = self.reference
            else:
                teacher, meta = load_reference(self.reference, device=self.device)
                if int(meta["num_classes"]) != self.data.num_classes:
                    raise ConfigError(f"reference {self.reference} has {meta['num_classes']} classes but data "
                                      f"{self.data.name!r} has {self.data.num_classes}")
            x, y = fixed_batch(self.data, self.settings.batch_size, self.settings.batch_seed)
            self._scorer = RMIScorer(teacher, x, y, self.data.num_classes, self.settings, self.device)
            self._setup_seconds += time.perf_counter() - t0
        return self._scorer

    def fingerprint(self) -> str:
        ref_fp, data_fp = self._fingerprints()
        settings = json.dumps(self.settings.as_dict(), sort_keys=True)
        return f"RMIEvaluator(reference={ref_fp},data={data_fp},settings={settings})"

    # ------------------------------------------------------------------------------------------------ cache
    def _key(self, arch: str) -> str:
        return arch_key(arch, self.fingerprint())

    def _load_cache(self) -> dict[str, float]:
        if self._table is None:
            self._table = read_cache(self.cache)[0] if self.cache is not None else {}
        return self._table

    def _append(self, key: str, arch: str, value: float, seconds: float) -> None:
        if self.cache is None:
            return
        ref_fp, data_fp = self._fingerprints()
        append_record(self.cache, {"key": key, "arch": arch, "rmi_loss": loss_json(value), "seconds": seconds,
                                   "reference": ref_fp, "data": data_fp, "settings": self.settings.as_dict()})

    # ------------------------------------------------------------------------------------------------ scoring
    def _evaluate(self, archs: np.ndarray) -> Evaluation:
        table = self._load_cache()
        n = len(archs)
        values, cost, cached = np.empty(n), np.zeros(n), np.zeros(n, dtype=bool)
        for i, ops in enumerate(archs):
            arch = nb201.format_arch(ops)
            key = self._key(arch)
            if key in table:
                values[i], cached[i] = table[key], True
                continue
            scorer = self._ensure_scorer()
            t0 = time.perf_counter()
            value = scorer.score(ops)
            cost[i] = time.perf_counter() - t0 + self._setup_seconds
            self._setup_seconds = 0.0
            values[i] = table[key] = value
            self._append(key, arch, value, float(cost[i]))
        return Evaluation({"rmi_loss": values}, cost, cached)
