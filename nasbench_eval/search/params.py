"""Declared hyper-parameter constraints and the one validator that checks them.

An algorithm declares what each constructor parameter accepts (scikit-learn's ``_parameter_constraints`` in
spirit)::

    class EvNAS(Algorithm):
        parameter_constraints = {
            "population_size": Interval(int, 2, None),
            "mutation_rate": Interval(float, 0, 1),
            "generations": Optional(Interval(int, 1, None)),
            "selection": Options("tournament", "roulette"),
        }

:func:`validate_params` is called by :meth:`Algorithm.from_params` (YAML / CLI values) and again at
:meth:`Algorithm.setup` (objects built directly in Python), and raises one kind of error::

    ConfigError: parameter 'mutation_rate' of algorithm 'evnas' must be a float in [0, 1]; got 2

A parameter without a declared constraint falls back to a type check against its default (a plug-in that
declares nothing still gets "takes an int (default 10); got 'ten'").
"""
from __future__ import annotations

import inspect
import math
import numbers

import numpy as np

from ..errors import ConfigError

CLOSED = ("both", "left", "right", "neither")


class Constraint:
    """What a parameter accepts: :meth:`is_satisfied_by` decides, ``str()`` says it in words ("an int in [1, inf)")."""

    def is_satisfied_by(self, value) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self}>"


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def _is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


class Interval(Constraint):
    """A number of ``kind`` (``int`` or ``float``) between ``low`` and ``high`` (``None`` = unbounded).

    closed: which ends are included: ``"both"`` (default), ``"left"``, ``"right"`` or ``"neither"``. An int is
    accepted where a float is asked for; a float is never accepted where an int is asked for; bools are neither.
    """

    def __init__(self, kind, low=None, high=None, closed: str = "both"):
        if kind not in (int, float):
            raise ConfigError(f"Interval kind must be int or float; got {kind!r}")
        if closed not in CLOSED:
            raise ConfigError(f"Interval closed must be one of {', '.join(CLOSED)}; got {closed!r}")
        if low is not None and high is not None and low > high:
            raise ConfigError(f"Interval low must be <= high; got low={low!r}, high={high!r}")
        self.kind, self.low, self.high, self.closed = kind, low, high, closed

    def is_satisfied_by(self, value) -> bool:
        if not (_is_int(value) if self.kind is int else _is_real(value)):
            return False
        if not _is_int(value) and not math.isfinite(value):  # nan / inf are never a setting (an open end)
            return False
        left = self.closed in ("both", "left")
        right = self.closed in ("both", "right")
        if self.low is not None and (value < self.low or (not left and value == self.low)):
            return False
        if self.high is not None and (value > self.high or (not right and value == self.high)):
            return False
        return True

    def __str__(self) -> str:
        lo = "-inf" if self.low is None else f"{self.low:g}" if isinstance(self.low, float) else str(self.low)
        hi = "inf" if self.high is None else f"{self.high:g}" if isinstance(self.high, float) else str(self.high)
        lb = "[" if self.closed in ("both", "left") and self.low is not None else "("
        rb = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        return f"{'an int' if self.kind is int else 'a float'} in {lb}{lo}, {hi}{rb}"


class Options(Constraint):
    """One of the listed values (compared by value and type, so ``True`` is not ``1``)."""

    def __init__(self, *values):
        if not values:
            raise ConfigError("Options needs at least one allowed value")
        self.values = tuple(values)

    def is_satisfied_by(self, value) -> bool:
        return any(type(value) is type(v) and value == v for v in self.values)

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


class Boolean(Constraint):
    """``True`` or ``False`` (a numpy bool too; not 0/1)."""

    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, (bool, np.bool_))

    def __str__(self) -> str:
        return "a bool (true or false)"


class Optional(Constraint):
    """``None`` or whatever ``constraint`` accepts."""

    def __init__(self, constraint):
        self.constraint = as_constraint(constraint)

    def is_satisfied_by(self, value) -> bool:
        return value is None or self.constraint.is_satisfied_by(value)

    def __str__(self) -> str:
        return f"None or {self.constraint}"


class Sequence(Constraint):
    """A list or tuple (not a string) of at least ``min_len`` items, each accepted by ``item_constraint``."""

    def __init__(self, item_constraint, min_len: int = 0):
        self.item, self.min_len = as_constraint(item_constraint), int(min_len)

    def is_satisfied_by(self, value) -> bool:
        if not isinstance(value, (list, tuple)) or len(value) < self.min_len:
            return False
        return all(self.item.is_satisfied_by(v) for v in value)

    def __str__(self) -> str:
        size = f" of at least {self.min_len} items" if self.min_len else ""
        return f"a list{size}, each item {self.item}"


class InstanceOf(Constraint):
    """An instance of ``types`` (a plain type in ``parameter_constraints`` means this)."""

    def __init__(self, *types):
        self.types = types

    def is_satisfied_by(self, value) -> bool:
        return isinstance(value, self.types) and not (bool not in self.types and isinstance(value, bool)
                                                       and int in self.types)

    def __str__(self) -> str:
        return "a " + " or ".join(t.__name__ for t in self.types)


class AnyOf(Constraint):
    """Whatever one of ``constraints`` accepts (a list in ``parameter_constraints`` means this)."""

    def __init__(self, *constraints):
        self.constraints = tuple(as_constraint(c) for c in constraints)

    def is_satisfied_by(self, value) -> bool:
        return any(c.is_satisfied_by(value) for c in self.constraints)

    def __str__(self) -> str:
        return " or ".join(str(c) for c in self.constraints)


def as_constraint(c) -> Constraint:
    """A declared constraint as a :class:`Constraint` (a type -> :class:`InstanceOf`, a list -> :class:`AnyOf`)."""
    if isinstance(c, Constraint):
        return c
    if isinstance(c, type):
        return InstanceOf(c)
    if isinstance(c, list):
        return AnyOf(*c)
    raise ConfigError(f"a parameter constraint must be an Interval, Options, Boolean, Optional, Sequence, a type or "
                      f"a list of these; got {c!r}")


# ------------------------------------------------------------------------------------------------ the validator
def _cls(cls_or_obj) -> type:
    return cls_or_obj if isinstance(cls_or_obj, type) else type(cls_or_obj)


def _algo_name(cls) -> str:
    return getattr(cls, "name", "") or cls.__name__


def declared_constraints(cls_or_obj) -> dict[str, Constraint]:
    """The class's ``parameter_constraints`` as :class:`Constraint` objects (empty when it declares none)."""
    raw = getattr(_cls(cls_or_obj), "parameter_constraints", None) or {}
    return {k: as_constraint(v) for k, v in raw.items()}


def _default_type_ok(default, value) -> tuple[bool, str]:
    """Fallback for an undeclared parameter: the value must look like its default."""
    if default is None or value is None or default is inspect.Parameter.empty:
        return True, ""
    if isinstance(default, (bool, np.bool_)):
        return isinstance(value, (bool, np.bool_)), "a bool"
    if _is_int(default):
        return _is_int(value), "an int"
    if _is_real(default):
        finite = not math.isfinite(default) or _is_int(value) or (_is_real(value) and math.isfinite(value))
        return _is_real(value) and finite, "a finite float"
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple)), "a list"
    return isinstance(value, type(default)), f"a {type(default).__name__}"


def validate_params(cls_or_obj, params: dict) -> None:
    """Check ``params`` (name -> value) against the algorithm's declared constraints; raise :class:`ConfigError`.

    Unknown names are refused (listing the allowed ones with their defaults). A declared constraint decides for
    its parameter; an undeclared parameter must have the type of its default (``None`` defaults accept anything).
    """
    cls = _cls(cls_or_obj)
    name = _algo_name(cls)
    defaults = cls.defaults() if hasattr(cls, "defaults") else {}
    if hasattr(cls, "param_names"):
        bad = sorted(set(params) - set(cls.param_names()))
        if bad:
            allowed = ", ".join(f"{k}={v!r}" for k, v in defaults.items()) or "(none)"
            raise ConfigError(f"unknown parameter(s) {bad} for algorithm {name!r}; allowed: {allowed}")
    constraints = declared_constraints(cls)
    for k, v in params.items():
        if k in constraints:
            c = constraints[k]
            if not c.is_satisfied_by(v):
                raise ConfigError(f"parameter {k!r} of algorithm {name!r} must be {c}; got {v!r}")
            continue
        ok, what = _default_type_ok(defaults.get(k, inspect.Parameter.empty), v)
        if not ok:
            raise ConfigError(f"parameter {k!r} of algorithm {name!r} must be {what} (default "
                              f"{defaults[k]!r}); got {v!r}")


# ------------------------------------------------------------------------------------------------ for the battery
class _Invalid:
    """A value no constraint accepts (except a bare ``object`` type)."""

    def __repr__(self) -> str:
        return "<invalid>"


def invalid_values(constraint) -> list:
    """Values ``constraint`` refuses: an unrelated object, plus out-of-range / wrong-type numbers where it has them."""
    c = as_constraint(constraint)
    out: list = [_Invalid()]
    inner = c.constraint if isinstance(c, Optional) else c
    if isinstance(inner, Interval):
        if inner.low is not None:
            out.append(inner.low - 1)
        if inner.high is not None:
            out.append(inner.high + 1)
        if inner.kind is int:
            out.append(1.5)
        out.append(True)
    elif isinstance(inner, Boolean):
        out.append(1)
    elif isinstance(inner, Options):
        out.append("no-such-option")
    return [v for v in out if not c.is_satisfied_by(v)]
