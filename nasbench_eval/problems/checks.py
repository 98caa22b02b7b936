"""Validation of the numbers a problem is specified with (thresholds, quantiles, Kendall taus): one place, used by
:mod:`~nasbench_eval.problems.spec` and the Python builders alike."""
from __future__ import annotations

import math
import numbers

from ..errors import ConfigError


def _number(where: str, v, *, low=None, high=None, low_open=True, high_open=True, what="a number"):
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
        raise ConfigError(f"{where} must be {what}, got {v!r}")
    if low is not None and (v <= low if low_open else v < low):
        raise ConfigError(f"{where} must be {what}, got {v!r}")
    if high is not None and (v >= high if high_open else v > high):
        raise ConfigError(f"{where} must be {what}, got {v!r}")
    return float(v)


def check_threshold(where: str, v) -> float:
    return _number(where, v, low=0, what="a positive, finite number (device units)")


def check_quantile(where: str, v) -> float:
    return _number(where, v, low=0, high=1, what="a quantile strictly between 0 and 1")


def check_tau(where: str, v) -> float:
    return _number(where, v, low=-1, high=1, high_open=False, what="a Kendall tau in (-1, 1]")



KIND_ALIASES = {"bi": "bi-objective", "biobjective": "bi-objective", "mo": "bi-objective",
                "bi-objective": "bi-objective", "constrained": "constrained"}


def check_kind(where: str, kind) -> str:
    """The canonical hardware-aware problem kind: ``constrained`` or ``bi-objective`` (aliases bi, biobjective, mo)."""
    if kind not in KIND_ALIASES:
        raise ConfigError(f"{where}: unknown kind {kind!r}; allowed: constrained, bi-objective (aliases: bi, "
                          "biobjective, mo)")
    return KIND_ALIASES[kind]
