"""One problem specification: a typed, validated :class:`ProblemSpec` used by the CLI, YAML specs, reports and
reproductions.

A spec is a plain mapping (a YAML entry, or what the CLI's flags say)::

    {type: nb201, dataset: cifar100}
    {type: nb201, dataset: cifar10, proxy_noise_tau: 0.5}
    {type: hw, dataset: cifar10, device: pixel3, metric: latency, quantile: 0.3}
    {type: hw, dataset: cifar10, device: fpga, kind: bi-objective}

``ProblemSpec.from_mapping`` validates it (unknown keys and values are refused with the allowed ones), fills the
defaults and fixes the label; ``spec.build()`` returns the :class:`~nasbench_eval.problems.base.Problem`.

Problem types live in one table, :data:`PROBLEM_TYPES`; a new type (the live ``supernet`` / ``rmi`` cells, say) is
added with :func:`register_problem_type` and needs no change anywhere else.

One rule for the hardware-aware ``kind`` (CLI and YAML alike): an explicit ``kind`` wins; otherwise a problem with a
``threshold`` or ``quantile`` is ``constrained`` (maximise the proxy s.t. cost <= T) and one without is
``bi-objective`` (judged at the nine cost quantiles 0.1..0.9, or at ``thresholds`` / ``quantiles`` if given).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..errors import ConfigError, UnknownNameError
from ..tables.columns import DATASETS
from .checks import KIND_ALIASES, check_kind, check_quantile, check_tau, check_threshold

COMMON_KEYS = ("type", "label", "dataset")


@dataclass(frozen=True)
class ProblemType:
    """How one ``type:`` of problem is validated, labelled and built.

    keys: the allowed keys besides ``type``/``label``/``dataset``, with their defaults (``None``: unset).
    normalise: ``f(entry, where) -> dict``: validated values (defaults filled); raises ConfigError naming ``where``.
    label: ``f(normalised) -> str``: the default label.
    build: ``f(normalised, evaluator) -> Problem``; ``evaluator`` (or None) replaces the proxy (e.g. a live RMI one).
    datasets: the datasets this type accepts.
    """

    name: str
    keys: Mapping[str, object]
    normalise: Callable[[dict, str], dict]
    label: Callable[[dict], str]
    build: Callable[..., object]
    summary: str = ""
    datasets: tuple[str, ...] = DATASETS


PROBLEM_TYPES: dict[str, ProblemType] = {}


def register_problem_type(ptype: ProblemType) -> ProblemType:
    """Add (or replace) a problem type; the runner, the CLI and the report then accept ``type: <name>``."""
    PROBLEM_TYPES[ptype.name] = ptype
    return ptype


def _load_plugin_types() -> None:
    """Problem types that live on the live (torch) side register themselves when their module is imported; the
    module is imported lazily, only when such a type is asked for."""
    for mod in LAZY_TYPE_MODULES:
        try:
            __import__(mod)
        except ImportError:
            pass


LAZY_TYPE_MODULES: list[str] = ["nasbench_eval.live.problem_types"]  # supernet, rmi (torch when built)


@dataclass(frozen=True)
class ProblemSpec:
    """A validated, normalised problem entry. Build with :meth:`from_mapping`; compare/hash with :attr:`key`."""

    type: str
    values: tuple[tuple[str, object], ...]  # the normalised entry (dataset + type keys), sorted by key
    label: str

    @classmethod
    def from_mapping(cls, entry, where: str = "problem") -> "ProblemSpec":
        if isinstance(entry, ProblemSpec):
            return entry
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where} must be a mapping like {{type: nb201, dataset: cifar10}}, got {entry!r}")
        typ = entry.get("type", "nb201")
        if typ not in PROBLEM_TYPES:
            _load_plugin_types()
        if typ not in PROBLEM_TYPES:
            raise ConfigError(f"{where}.type: unknown problem type {typ!r}; allowed: {', '.join(PROBLEM_TYPES)}")
        pt = PROBLEM_TYPES[typ]
        allowed = set(COMMON_KEYS) | set(pt.keys)
        bad = sorted(set(entry) - allowed, key=str)
        if bad:
            raise ConfigError(f"unknown key(s) {bad} in {where} (type {typ}); allowed: {', '.join(sorted(allowed))}")
        ds = entry.get("dataset", pt.datasets[0])
        if ds not in pt.datasets:
            raise ConfigError(f"{where}.dataset: unknown dataset {ds!r}; allowed: {', '.join(pt.datasets)}")
        norm = {"dataset": ds, **pt.normalise(dict(entry), where)}
        label = entry.get("label")
        label = pt.label(norm) if label is None else str(label)
        return cls(typ, tuple(sorted(norm.items())), label)

    # ------------------------------------------------------------------ views
    def get(self, key: str, default=None):
        return dict(self.values).get(key, default)

    @property
    def dataset(self) -> str:
        return self.get("dataset")

    def to_dict(self) -> dict:
        """The normalised entry as stored in specs and manifests: ``type``, the set values, ``label``."""
        return {"type": self.type, **{k: v for k, v in self.values}, "label": self.label}

    @property
    def key(self) -> str:
        """What determines the built problem (the label does not)."""
        return json.dumps({"type": self.type, **dict(self.values)}, sort_keys=True)

    def replace(self, **changes) -> "ProblemSpec":
        """The same spec with some values changed (re-validated); the label is kept."""
        d = {k: v for k, v in self.to_dict().items() if v is not None}
        d.update(changes)
        return ProblemSpec.from_mapping({k: v for k, v in d.items() if v is not None})

    def build(self, evaluator=None):
        """The :class:`~nasbench_eval.problems.base.Problem` this spec describes."""
        return PROBLEM_TYPES[self.type].build(dict(self.values), evaluator)


def _noise(entry: dict, where: str, out: dict) -> None:
    tau = entry.get("proxy_noise_tau")
    if tau is not None:
        out["proxy_noise_tau"] = check_tau(f"{where}.proxy_noise_tau", tau)
        seed = entry.get("noise_seed")
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
                raise ConfigError(f"{where}.noise_seed must be an integer >= 0, got {seed!r}")
            out["noise_seed"] = int(seed)
    elif entry.get("noise_seed") is not None:
        raise ConfigError(f"{where}.noise_seed needs proxy_noise_tau")


def _proxy_name(where: str, key: str, v) -> str:
    if v == "test":
        raise ConfigError(f"{where}.{key}: 'test' would search on the test split; use 'valid' (test accuracy is "
                          "reported after the search)")
    if not isinstance(v, str) or not (v in ("valid", "train") or v.count("/") == 2):
        raise ConfigError(f"{where}.{key} must be 'valid', 'train' or a store column 'dataset/metric/source', "
                          f"got {v!r}")
    return v


def _noise_label(d: dict) -> str:
    return f"-tau{d['proxy_noise_tau']:g}" if d.get("proxy_noise_tau") is not None else ""


def _noisy_evaluator(d: dict, proxy: str):
    """The ProxyNoiseEvaluator of a spec with ``proxy_noise_tau`` (frozen noise field from ``noise_seed``)."""
    from ..evaluators.noise import ProxyNoiseEvaluator
    from ..evaluators.tabular import TabularEvaluator
    from ..tables import dataset_view

    col = getattr(dataset_view(d["dataset"]), proxy) if proxy in ("valid", "train") else proxy
    name = f"{proxy}_acc" if proxy in ("valid", "train") else proxy.split("/")[1]
    base = TabularEvaluator({name: col})
    return ProxyNoiseEvaluator(base, d["proxy_noise_tau"], noise_seed=d.get("noise_seed", 0))


def _record_noise(problem, d: dict, evaluator) -> None:
    if d.get("proxy_noise_tau") is not None:
        problem.info.update(proxy_noise_tau=d["proxy_noise_tau"], noise_seed=d.get("noise_seed", 0),
                            achieved_tau=round(evaluator.achieved_tau, 4))


# ---------------------------------------------------------------------------------------------------- nb201
def _nb201_normalise(entry: dict, where: str) -> dict:
    out = {"fitness": _proxy_name(where, "fitness", entry.get("fitness", "valid"))}
    _noise(entry, where, out)
    return out


def _nb201_label(d: dict) -> str:
    return f"nb201-{d['dataset']}" + ("" if d["fitness"] == "valid" else f"-{d['fitness']}") + _noise_label(d)


def _nb201_build(d: dict, evaluator=None):
    from .nb201 import nb201_problem

    if evaluator is None and d.get("proxy_noise_tau") is not None:
        noisy = _noisy_evaluator(d, d["fitness"])
        p = nb201_problem(d["dataset"], evaluator=noisy)
        _record_noise(p, d, noisy)
        return p
    return nb201_problem(d["dataset"], fitness=d["fitness"], evaluator=evaluator)


register_problem_type(ProblemType(
    "nb201", {"fitness": "valid", "proxy_noise_tau": None, "noise_seed": None},
    _nb201_normalise, _nb201_label, _nb201_build,
    summary="maximise NAS-Bench-201 200-epoch validation accuracy (or another non-test column); test reported"))


# ---------------------------------------------------------------------------------------------------- hw
def _hw_normalise(entry: dict, where: str) -> dict:
    from .hw import resolve_device

    for k in ("device",):
        if k not in entry:
            raise ConfigError(f"{where} (type hw) needs {k!r}")
    device, metric = str(entry["device"]), str(entry.get("metric", "latency"))
    try:
        resolve_device(device, metric)  # unknown device / metric -> the allowed ones
    except UnknownNameError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    thr, q = entry.get("threshold"), entry.get("quantile")
    if thr is not None and q is not None:
        raise ConfigError(f"{where}: give 'threshold' (device units) or 'quantile' (0..1 of the device's costs), "
                          f"not both; got threshold={thr!r}, quantile={q!r}")
    kind = entry.get("kind")
    if kind is None:
        kind = "constrained" if (thr is not None or q is not None) else "bi-objective"
    kind = check_kind(f"{where}.kind", kind)
    out = {"device": device, "metric": metric, "kind": kind,
           "threshold": None if thr is None else check_threshold(f"{where}.threshold", thr),
           "quantile": None if q is None else check_quantile(f"{where}.quantile", q)}
    ths, qs = entry.get("thresholds"), entry.get("quantiles")
    if kind == "constrained":
        if thr is None and q is None:
            raise ConfigError(f"{where} (kind constrained) needs 'threshold' (device units) or 'quantile' (0..1)")
        if ths is not None or qs is not None:
            raise ConfigError(f"{where}: 'thresholds' / 'quantiles' are the judged set of a bi-objective problem; a "
                              "constrained problem takes one 'threshold' or 'quantile'")
    else:
        if sum(x is not None for x in (thr if thr is not None else q, ths, qs)) > 1:
            raise ConfigError(f"{where}: give at most one of threshold, quantile, thresholds, quantiles (the judged "
                              "thresholds of a bi-objective problem)")
        for key, val, check in (("thresholds", ths, check_threshold), ("quantiles", qs, check_quantile)):
            if val is not None:
                if not isinstance(val, (list, tuple)) or not val:
                    raise ConfigError(f"{where}.{key} must be a non-empty list, got {val!r}")
                out[key] = [check(f"{where}.{key}[{i}]", x) for i, x in enumerate(val)]
    if entry.get("allow_cifar10_costs"):
        out["allow_cifar10_costs"] = True
    proxy = entry.get("proxy", "valid")
    if proxy != "valid":
        out["proxy"] = _proxy_name(where, "proxy", proxy)
    _noise(entry, where, out)
    return out


def _hw_label(d: dict) -> str:
    if d["kind"] == "bi-objective":
        tail = "-bi"
    else:
        tail = f"-le{d['threshold']:g}" if d.get("threshold") is not None else f"-q{d['quantile']:g}"
    proxy = "" if d.get("proxy", "valid") == "valid" else f"-{d['proxy']}"
    return f"hw-{d['dataset']}-{d['device']}-{d['metric']}{tail}{proxy}{_noise_label(d)}"


def _hw_build(d: dict, evaluator=None):
    from .hw import hw_problem

    proxy = d.get("proxy", "valid")
    noisy = None
    if evaluator is None and d.get("proxy_noise_tau") is not None:
        evaluator = noisy = _noisy_evaluator(d, proxy)
    kw = {k: d[k] for k in ("thresholds", "quantiles") if d.get(k) is not None}
    p = hw_problem(d["dataset"], d["device"], d["metric"], kind=d["kind"], threshold=d.get("threshold"),
                   quantile=d.get("quantile"), proxy=proxy, evaluator=evaluator,
                   allow_cifar10_costs=bool(d.get("allow_cifar10_costs")), **kw)
    if noisy is not None:
        _record_noise(p, d, noisy)
    return p


register_problem_type(ProblemType(
    "hw", {"device": None, "metric": "latency", "kind": None, "threshold": None, "quantile": None,
           "thresholds": None, "quantiles": None, "allow_cifar10_costs": False, "proxy": "valid",
           "proxy_noise_tau": None, "noise_seed": None},
    _hw_normalise, _hw_label, _hw_build,
    summary="hardware-aware: maximise the proxy (validation accuracy) against a HW-NAS-Bench / HELP device cost, "
            "bi-objective or constrained"))


__all__ = ["KIND_ALIASES", "PROBLEM_TYPES", "ProblemSpec", "ProblemType", "check_quantile", "check_threshold",
           "check_tau", "register_problem_type"]
