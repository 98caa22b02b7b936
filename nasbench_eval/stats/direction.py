"""Which way is better: the one rule that decides the sense of a metric for ranks, marks, bold and CD diagrams.

A metric is *minimised* when its name says it is a cost (latency, energy, cost, loss, gap, IGD, parameters, FLOPs,
evaluations, seconds) and *maximised* when it says it is a quality (accuracy, HV, fitness, fraction, tau, score).
A name that says neither is refused with a message asking for ``sense`` explicitly, rather than guessed.
"""
from __future__ import annotations

import re

import numpy as np

from ..errors import ConfigError

SENSES = ("max", "min")
_MIN = re.compile(r"(loss|latency|energy|cost|igd|gap|params|flops|evaluations|seconds|time|error|err\b|regret)",
                  re.I)
_MAX = re.compile(r"(acc|hv|fitness|fraction|tau|score|reward|feasible|precision|recall|auc)", re.I)


def metric_sense(name: str, sense: str | None = None) -> str:
    """``"max"`` or ``"min"`` for metric ``name``; ``sense`` (if given) overrides the rule and is validated."""
    if sense is not None:
        if sense not in SENSES:
            raise ConfigError(f"parameter 'sense' must be one of max, min; got {sense!r}")
        return sense
    name = str(name)
    if _MIN.search(name):
        return "min"
    if _MAX.search(name):
        return "max"
    raise ConfigError(f"cannot tell whether metric {name!r} is better high or low; pass sense='max' or 'min' "
                      "(CLI: --sense max|min)")


def oriented(values, sense: str):
    """Values turned so that larger is better (``-x`` for a minimised metric); for ranking and comparisons."""
    x = np.asarray(values, dtype=float)
    return x if sense == "max" else -x


def better_word(sign: float, sense: str) -> str:
    """``"better"`` / ``"worse"`` for a location shift of sign ``sign`` (first minus second) of a metric of ``sense``;
    ``"tie"`` for 0."""
    if not np.isfinite(sign) or sign == 0:
        return "tie"
    return "better" if (sign > 0) == (sense == "max") else "worse"
