"""Helpers shared by the compatibility facades: one warning per process for an ignored file, index checks and
store-column resolution by source priority."""
from __future__ import annotations

import warnings

import numpy as np

from ..errors import ConfigError
from ..spaces import nb201

# When several sources hold the same quantity, the first listed here is served (official releases first).
SOURCE_PRIORITY = ("nb201-v1_1", "nats-tss", "nb201-v1_0")
_warned: set[str] = set()


def warn_once(key: str, message: str, stacklevel: int = 3) -> None:
    """Emit ``message`` as a UserWarning the first time ``key`` is seen in this process."""
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, UserWarning, stacklevel=stacklevel)


def check_index(index, what: str = "index") -> int:
    """An NB201 index as a Python int, or a ConfigError naming the parameter, the range and the value."""
    if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
        raise ConfigError(f"{what} must be an NB201 index, an int in [0, {nb201.N_ARCHS - 1}]; got {index!r}")
    if not 0 <= int(index) < nb201.N_ARCHS:
        raise ConfigError(f"{what} must be in [0, {nb201.N_ARCHS - 1}]; got {int(index)}")
    return int(index)


def find_column(store, setting: str, what: str) -> str | None:
    """The store column ``{setting}/{what}/{source}`` from the most preferred source present, else None."""
    prefix = f"{setting}/{what}/"
    found = [c for c in store.columns if c.startswith(prefix)]
    if not found:
        return None
    rank = {s: i for i, s in enumerate(SOURCE_PRIORITY)}
    return min(found, key=lambda c: (rank.get(c[len(prefix):], len(rank)), c))


def value(store, column: str | None, index: int) -> float:
    """``column`` at ``index`` as a Python float (NaN when the column is absent or has no value there)."""
    if column is None:
        return float("nan")
    return float(store.lookup([column], [index])[0, 0])
