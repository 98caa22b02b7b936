"""User-facing error types.

Every error raised at a boundary (bad arch string, unknown column, missing store, bad config) derives from
:class:`NasbenchEvalError`; the CLI prints its message as one line and exits non-zero.
"""
from __future__ import annotations

from collections.abc import Iterable


class NasbenchEvalError(Exception):
    """Base class of the errors a user can cause and fix."""


class InvalidArchError(NasbenchEvalError, ValueError):
    """An architecture (string, op tuple, index, one-hot) is malformed or out of range."""


class UnknownNameError(NasbenchEvalError, ValueError):
    """A dataset, device, metric, column, algorithm or parameter name is not known."""


class StoreError(NasbenchEvalError):
    """The benchmark store is missing, stale, truncated or corrupted."""


class DataBuildError(NasbenchEvalError):
    """Source data failed a verification while building the store."""


class ConfigError(NasbenchEvalError, ValueError):
    """An experiment spec / parameter is invalid."""


def unknown(kind: str, got: object, allowed: Iterable[object]) -> UnknownNameError:
    """Build the standard 'unknown X' error that names what was received and what is allowed."""
    allowed = list(allowed)
    shown = ", ".join(map(str, allowed[:40])) + (f", ... ({len(allowed)} in all)" if len(allowed) > 40 else "")
    return UnknownNameError(f"unknown {kind} {got!r}; allowed: {shown}")
