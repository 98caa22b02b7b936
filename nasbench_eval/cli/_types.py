"""argparse ``type=`` helpers shared by every sub-command: a bad value is refused with one line naming what is
allowed, never replaced by a default (``--budget 0`` is an error, not 500 evaluations).

Integers are read with :func:`int` on ASCII digits only (``"²"`` passes :meth:`str.isdigit` but is no number);
floats must be finite. :data:`MAX_INT` bounds every count so that a typo cannot ask for memory we do not have.
"""
from __future__ import annotations

import argparse
import math
import re

from ..errors import ConfigError
from ..runner.spec import MAX_EVALUATIONS

MAX_INT = 10**9  # more epochs / batches / workers than any run of this package can use
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def parse_int(text: str, what: str = "value") -> int:
    """``text`` as an int (ASCII digits, optional sign); ``ValueError`` naming ``what`` otherwise."""
    s = str(text).strip()
    if not _INT.fullmatch(s) or len(s) > 20:
        raise ValueError(f"{what} must be an integer; got {text!r}")
    return int(s)


def _int_in(low: int | None, high: int | None, what: str):
    def check(text: str) -> int:
        try:
            v = parse_int(text, "the value")
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if (low is not None and v < low) or (high is not None and v > high):
            raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}")
        return v

    check.__name__ = what  # argparse names the type in "invalid <name> value"
    return check


def _float_in(test, what: str):
    def check(text: str) -> float:
        s = str(text).strip()
        if not _FLOAT.fullmatch(s):
            raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}")
        v = float(s)
        if not math.isfinite(v) or not test(v):
            raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}")
        return v

    check.__name__ = what
    return check


positive_int = _int_in(1, MAX_INT, f"an integer in [1, {MAX_INT:,}]")
nonneg_int = _int_in(0, MAX_INT, f"an integer in [0, {MAX_INT:,}]")
budget_int = _int_in(1, MAX_EVALUATIONS, f"an evaluation budget in [1, {MAX_EVALUATIONS:,}]")
seed_int = _int_in(0, 2**63 - 1, "a seed: an integer in [0, 2**63 - 1]")
finite_float = _float_in(lambda v: True, "a finite number")
positive_float = _float_in(lambda v: v > 0, "a finite number > 0")
nonneg_float = _float_in(lambda v: v >= 0, "a finite number >= 0")
probability = _float_in(lambda v: 0 <= v <= 1, "a probability in [0, 1]")
open_unit = _float_in(lambda v: 0 < v < 1, "a number in (0, 1)")


def key_value(item: str, usage: str) -> tuple[str, str]:
    """``"NAME=VALUE"`` -> ``(name, value)``; the name stripped, dashes read as underscores (``--param`` items)."""
    if "=" not in item:
        raise ConfigError(f"--param takes {usage}, got {item!r}")
    k, v = item.split("=", 1)
    return k.strip().replace("-", "_"), v
