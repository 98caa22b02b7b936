"""Hardware-aware NB201 problems: a performance proxy against a device cost from HW-NAS-Bench / HELP.

Two kinds (both over the NB201 space, scored by one :class:`HWEvaluator` = proxy evaluator + cost look-up):

* ``"bi-objective"``: maximise the proxy, minimise the device cost (MO-HDNAS, NSGA-II). The problem carries a set
  of ``thresholds`` (default: the nine quantiles 0.1..0.9 of the device cost) at which the returned front is
  judged: per threshold, the front member with the best proxy whose cost is <= T (:mod:`nasbench_eval.judge`).
* ``"constrained"``: maximise the proxy subject to ``cost <= T`` (HW-EvRSNAS: one run per threshold).

Thresholds are explicit (``threshold=T``, device units) or quantiles (``quantile=q``) of the device's cost
distribution over the *allowed* archs (``numpy.quantile``, linear interpolation, over tie-snapped costs: see
:mod:`.costs`; thresholds that are one physical value are judged once, noted in ``info["merged_thresholds"]``).
Every ``cost <= T`` is tie-safe. Devices with partial coverage
(edgegpu, edgetpu, eyeriss energy / arithmetic intensity) restrict the space to the covered archs through the
problem's ``allowed`` mask (no imputation); ``problem.info["coverage"]`` says so and is recorded with every result.

HW costs exist for the cifar10 input only: pairing them with cifar100 / ImageNet16-120 accuracy needs
``allow_cifar10_costs=True``, and ``problem.info["cost_input"]`` records it.

The proxy is pluggable: ``proxy="valid"`` (tabular 200-epoch validation accuracy, default), ``"train"``, any non-test
store column (e.g. an RMI table computed once), or ``evaluator=`` any Evaluator (e.g. the live RMI evaluator, whose
``rmi_loss`` is minimised). Metrics ending in ``_loss`` are minimised, others maximised, unless ``proxy_sense`` says.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, unknown
from ..evaluators.base import Evaluation, Evaluator
from ..evaluators.tabular import TabularEvaluator
from ..spaces import NB201Space
from ..tables.columns import (
    DATASETS,
    HELP_DEVICES,
    HW_DEVICES,
    HW_METRICS,
    UNITS,
    dataset_view,
    hw_column,
)
from ..tables.store import BenchmarkStore
from ..tables.locate import get_store
from .base import Constraint, Objective, Problem
from .costs import cost_quantiles as _tie_safe_quantiles
from .costs import merge_thresholds
from .checks import check_kind, check_quantile, check_threshold

DEFAULT_QUANTILES: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
KINDS = ("bi-objective", "constrained")
FULL_COVERAGE_DEVICES = ("raspi4", "pixel3", "eyeriss", "fpga")  # latency over all 15,625 archs


class HWEvaluator(Evaluator):
    """A proxy evaluator plus a device-cost look-up, in one evaluation.

    Returns the proxy's metrics and ``cost_metric`` (e.g. ``fpga_latency_ms``, NaN where the device has no value).
    The evaluation cost and ``cached`` flags are the proxy's (the table look-up is free). Like every wrapper, it
    keeps the evaluator it wraps (the proxy) in ``inner``.
    """

    def __init__(self, proxy: Evaluator, cost_metric: str, cost_column: str, store: BenchmarkStore | None = None):
        self.inner = proxy
        self.store = store if store is not None else get_store()
        self.store.column_id(cost_column)
        if cost_metric in proxy.metrics:
            raise ConfigError(f"the proxy evaluator already returns a metric named {cost_metric!r}")
        self.cost_metric, self.cost_column = cost_metric, cost_column
        self.metrics = tuple(proxy.metrics) + (cost_metric,)
        self.cost_unit, self.arch_shape = proxy.cost_unit, proxy.arch_shape
        self._cost = np.asarray(self.store.column(cost_column), dtype=np.float64)

    @property
    def columns(self) -> dict[str, str]:
        """Metric -> store column, where known (used by ``Problem.describe`` and the ground truth)."""
        return {**getattr(self.inner, "columns", {}), self.cost_metric: self.cost_column}

    def _evaluate(self, archs: np.ndarray) -> Evaluation:
        from ..spaces import nb201

        ev = self.inner.evaluate(archs)
        idx = ev.keys if ev.keys is not None else np.atleast_1d(nb201.ops_to_index(archs))
        values = dict(ev.values)
        values[self.cost_metric] = self._cost[idx]  # float64 (n,), like the inner evaluation's checked arrays
        return Evaluation._checked(values, ev.cost, ev.cached, idx)

    def fingerprint(self) -> str:
        return f"hw({self.inner.fingerprint()};{self.cost_column})"


@dataclass
class HWProblem(Problem):
    """A :class:`Problem` with the hardware-aware fields the HW algorithms and the reports need."""

    dataset: str = "cifar10"
    device: str = "fpga"
    cost_kind: str = "latency"  # latency | energy | arithmetic_intensity
    kind: str = "bi-objective"
    proxy_metric: str = "valid_acc"
    proxy_sense: str = "max"
    cost_metric: str = "fpga_latency_ms"
    cost_column: str = ""
    thresholds: tuple[float, ...] = ()  # judged thresholds (device units)
    quantiles: tuple[float, ...] | None = None  # the quantiles the thresholds came from, if any

    @property
    def threshold(self) -> float | None:
        """The constraint threshold of a constrained problem (None for a bi-objective one)."""
        return self.constraints[0].threshold if self.constraints else None

    def cost_quantile(self, q) -> np.ndarray | float:
        """Quantile(s) of the device cost over the allowed archs (numpy's default linear interpolation)."""
        return cost_quantiles(self, q)

    def with_threshold(self, threshold: float | None = None, quantile: float | None = None) -> "HWProblem":
        """The constrained problem ``max proxy s.t. cost <= T`` on the same device, proxy and space."""
        T, q = _resolve_threshold(self, threshold, quantile)
        info = {**self.info, "threshold": T, "threshold_quantile": q}
        return dataclasses.replace(self, objectives=(self.objectives[0],),
                                   constraints=(Constraint(self.cost_metric, T),), kind="constrained",
                                   thresholds=(T,), quantiles=None if q is None else (q,),
                                   name=_name(self.dataset, self.device, self.cost_kind, "constrained", T),
                                   info=info)

    def ground_truth(self):
        from .ground_truth import ground_truth

        return ground_truth(self)


def _name(dataset, device, metric, kind, T=None) -> str:
    base = f"hw-{dataset}-{device}-{metric}"
    return f"{base}-le{T:.6g}" if kind == "constrained" else base


# ---------------------------------------------------------------------------------------------------- building
def resolve_device(device: str, metric: str = "latency") -> tuple[str, str]:
    """``(cost_metric, store column)`` of a device's cost; unknown device / metric -> the allowed ones."""
    if device in HELP_DEVICES:
        if metric != "latency":
            raise unknown(f"metric for HELP device {device}", metric, ["latency"])
        return f"help_{device}_latency_ms", hw_column(device, "latency", "cifar10")
    if device not in HW_DEVICES:
        from ..tables import user_devices as ud  # the user's own devices (``nasbench-eval hw measure``)

        users = ud.device_names()
        if device in users:
            if metric != "latency":
                raise unknown(f"metric for user device {device}", metric, ["latency"])
            return f"{device}_latency_ms", ud.latency_column(device)
        raise unknown("device", device, HW_DEVICES + HELP_DEVICES + users)
    if metric not in HW_METRICS[device]:
        raise unknown(f"metric for device {device}", metric, HW_METRICS[device])
    return f"{device}_{metric}_{UNITS[metric]}", hw_column(device, metric, "cifar10")


def _proxy_evaluator(dataset, proxy, evaluator, store, cost_per_eval, cost_unit):
    if evaluator is not None:
        return evaluator
    view = dataset_view(dataset)
    if proxy in ("valid", "train"):
        return TabularEvaluator({f"{proxy}_acc": getattr(view, proxy)}, store=store, cost_per_eval=cost_per_eval,
                                cost_unit=cost_unit)
    if proxy == "test":
        raise ConfigError("proxy='test' would search on the test split; use 'valid' (test accuracy is reported)")
    if not isinstance(proxy, str) or proxy.count("/") != 2:
        raise ConfigError(f"proxy must be 'valid', 'train', a store column 'dataset/metric/source' or an Evaluator "
                          f"(evaluator=...); got {proxy!r}")
    short = proxy.split("/")[1]
    return TabularEvaluator({short: proxy}, store=store, cost_per_eval=cost_per_eval, cost_unit=cost_unit)


def cost_quantiles(problem: HWProblem, q):
    """Tie-safe quantile(s) of the device cost over the allowed archs (:func:`.costs.cost_quantiles`)."""
    qs = np.asarray(q, dtype=float)
    if np.any(~(qs > 0) | ~(qs < 1)):
        raise ConfigError(f"cost quantiles must lie strictly between 0 and 1, got {q!r}")
    cost = np.asarray(problem.evaluator.store.column(problem.cost_column), dtype=float)
    mask = np.isfinite(cost) if problem.allowed is None else problem.allowed & np.isfinite(cost)
    return _tie_safe_quantiles(cost[mask], qs)


def _resolve_threshold(problem, threshold, quantile) -> tuple[float, float | None]:
    if threshold is not None and quantile is not None:
        raise ConfigError("give threshold (device units) or quantile (0..1 of the device's costs), not both")
    if threshold is not None:
        return check_threshold("threshold", threshold), None
    if quantile is None:
        raise ConfigError("a constrained problem needs threshold=T (device units) or quantile=q in (0, 1); "
                          "hw_constrained_problems() builds the nine default quantile thresholds 0.1..0.9")
    q = check_quantile("quantile", quantile)
    return float(cost_quantiles(problem, q)), q


def hw_problem(dataset: str = "cifar10", device: str = "fpga", metric: str = "latency", *,
               kind: str = "bi-objective", threshold: float | None = None, quantile: float | None = None,
               thresholds=None, quantiles=DEFAULT_QUANTILES, proxy: str = "valid",
               evaluator: Evaluator | None = None, proxy_metric: str | None = None, proxy_sense: str | None = None,
               allow_cifar10_costs: bool = False, store: BenchmarkStore | None = None,
               cost_per_eval: float = 1.0, cost_unit: str = "evaluations") -> HWProblem:
    """Build a hardware-aware NB201 problem (see the module docstring).

    kind: ``"bi-objective"`` (alias ``"bi"``) or ``"constrained"``.
    threshold / quantile: the constraint of a constrained problem; for a bi-objective problem they replace the
        judged threshold set by that one threshold. thresholds / quantiles: the judged set of a bi-objective problem
        (explicit device-unit values win over quantiles; default the nine quantiles 0.1..0.9).
    proxy / evaluator / proxy_metric / proxy_sense: the performance proxy (module docstring).
    cost_per_eval / cost_unit: the declared cost charged per tabular proxy evaluation.
    """
    kind = check_kind("kind", kind)
    if dataset not in DATASETS:
        raise unknown("dataset", dataset, DATASETS)
    cost_metric, cost_col = resolve_device(device, metric)
    store = store if store is not None else get_store()
    info: dict = {"dataset": dataset, "device": device, "cost_metric": cost_metric, "cost_source": cost_col,
                  "cost_input": "cifar10"}
    if dataset != "cifar10":
        if not allow_cifar10_costs:
            raise ConfigError(f"HW-NAS-Bench costs in the store are measured for the cifar10 input only; using them "
                              f"with {dataset} accuracy needs allow_cifar10_costs=True (CLI --allow-cifar10-costs), "
                              "which is recorded with the result")
        info["allow_cifar10_costs"] = True
        info["note_costs"] = f"device costs of the cifar10 input used with {dataset} accuracy (explicit flag)"
    prox = _proxy_evaluator(dataset, proxy, evaluator, store, cost_per_eval, cost_unit)
    pm = proxy_metric or prox.metrics[0]
    if pm not in prox.metrics:
        raise ConfigError(f"proxy_metric {pm!r} is not returned by the proxy evaluator ({list(prox.metrics)})")
    sense = proxy_sense or ("min" if pm.endswith("_loss") else "max")
    ev = HWEvaluator(prox, cost_metric, cost_col, store=store)

    cost = np.asarray(store.column(cost_col), dtype=float)
    allowed = np.isfinite(cost)
    for m, col in getattr(prox, "columns", {}).items():  # a tabular proxy must exist too
        if m == pm:
            allowed &= np.isfinite(np.asarray(store.column(col), dtype=float))
    n_ok = int(allowed.sum())
    info["coverage"] = {"allowed_archs": n_ok, "of": int(allowed.size), "restricted": n_ok < allowed.size}
    if n_ok < allowed.size:
        info["coverage"]["note"] = (f"{device} {metric} exists for {n_ok} of {allowed.size} archs: the space is "
                                    "restricted to those (no imputation); other archs evaluate to NaN")
    derived = cost_col.replace(f"_{UNITS.get(metric, '')}/", f"_{UNITS.get(metric, '')}_is_derived/")
    if derived != cost_col and derived in store.columns:
        n_der = int(np.nansum(store.column(derived)))
        if n_der:
            info["derived_cost_archs"] = n_der
            info["note_derived"] = (f"{n_der} values of {cost_col} are derived (fpga energy = 7 x fpga latency, exact "
                                    f"wherever both exist); flagged in {derived}")
    view = dataset_view(dataset)
    report = {"test_acc": view.test, "valid_acc": view.valid, "params_M": view.params, "flops_M": view.flops}
    user = store.meta.get("user_devices", {}).get(device)
    if user is not None and cost_col.endswith("/user-measured"):  # measured here + predicted: say which is which
        flag = cost_col.replace("_latency_ms/", "_latency_ms_is_predicted/")
        report[f"{cost_metric}_is_predicted"] = flag
        n_pred = int(np.sum(store.column(flag)))
        info["user_device"] = {**user, "flag_column": flag}
        info["note_user_device"] = (f"{device} is a user device: {allowed.size - n_pred} latencies measured, {n_pred} "
                                    f"predicted by a model fitted on the measured ones (1 in {flag}); the ground "
                                    "truth is exhaustive over measured + predicted values")
    if pm == "valid_acc":
        report.pop("valid_acc")
    base = HWProblem(NB201Space(), ev, (Objective(pm, sense), Objective(cost_metric, "min")),
                     report_columns=report, allowed=None if n_ok == allowed.size else allowed,
                     name=_name(dataset, device, metric, "bi-objective"), info=info, dataset=dataset,
                     device=device, cost_kind=metric, kind="bi-objective", proxy_metric=pm, proxy_sense=sense,
                     cost_metric=cost_metric, cost_column=cost_col)
    if kind == "constrained":
        return base.with_threshold(threshold, quantile)
    if threshold is not None or quantile is not None:
        T, q = _resolve_threshold(base, threshold, quantile)
        ths, qs = (T,), (None if q is None else (q,))
    elif thresholds is not None:
        if not len(thresholds):
            raise ConfigError("thresholds must be a non-empty list of positive numbers (device units), got []")
        ths, qs = tuple(check_threshold(f"thresholds[{i}]", t) for i, t in enumerate(thresholds)), None
    else:
        qs = tuple(check_quantile(f"quantiles[{i}]", q) for i, q in enumerate(quantiles))
        ths = tuple(float(t) for t in cost_quantiles(base, qs))
    ths, qs, merged = merge_thresholds(ths, qs, unit=f" {UNITS.get(metric, '')}".rstrip())
    if merged:  # e.g. eyeriss latency: quantiles 0.3 and 0.4 are one physical value
        base.info["merged_thresholds"] = merged
    base.thresholds, base.quantiles = ths, qs
    base.info["thresholds"] = list(ths)
    if qs is not None:
        base.info["threshold_quantiles"] = list(qs)
    return base


def hw_constrained_problems(dataset: str = "cifar10", device: str = "fpga", metric: str = "latency",
                            quantiles=DEFAULT_QUANTILES, thresholds=None, **kw) -> list[HWProblem]:
    """One constrained problem per threshold (default: the nine quantiles 0.1..0.9), e.g. for HW-EvRSNAS."""
    base = hw_problem(dataset, device, metric, kind="bi-objective", quantiles=quantiles, thresholds=thresholds, **kw)
    if base.quantiles is None:  # one problem per physically distinct threshold (see merge_thresholds)
        return [base.with_threshold(threshold=float(t)) for t in base.thresholds]
    return [base.with_threshold(quantile=float(q)) for q in base.quantiles]


def cost_metric_of(problem) -> str:
    """The device-cost metric of a problem: HWProblem.cost_metric, else the constraint's metric, else a 2nd
    minimised objective. Raises ConfigError for a problem without a cost."""
    m = getattr(problem, "cost_metric", None)
    if m:
        return m
    if problem.constraints:
        return problem.constraints[0].metric
    if problem.n_obj >= 2 and problem.objectives[1].sense == "min":
        return problem.objectives[1].metric
    raise ConfigError(f"problem {problem.name!r} has no hardware cost (no constraint and no minimised second "
                      "objective); build one with nasbench_eval.problems.hw.hw_problem(...)")


# ---------------------------------------------------------------------------------------------------- factories
def battery_problem(algorithm=None) -> HWProblem:
    """The HW problem the shared algorithm battery uses for algorithms declaring ``battery_problem = "hw"``:
    cifar10 / fpga latency, bi-objective for multi-objective algorithms, else constrained at the median cost."""
    mo = bool(getattr(algorithm, "multi_objective", False))
    if mo:
        return hw_problem("cifar10", "fpga", "latency", kind="bi-objective")
    return hw_problem("cifar10", "fpga", "latency", kind="constrained", quantile=0.5)
