"""Algorithm discovery through the ``nasbench_eval.algorithms`` entry-point group.

Our own algorithms register exactly like a user's plug-in package would (pyproject ``[project.entry-points.
"nasbench_eval.algorithms"]``: ``name = "module:Class"``); :func:`register` adds one at run time (tests, notebooks).
"""
from __future__ import annotations

from functools import lru_cache
from importlib import metadata

from ..errors import unknown

GROUP = "nasbench_eval.algorithms"
_extra: dict[str, type] = {}


@lru_cache(maxsize=1)
def _entry_points() -> dict:
    return {ep.name: ep for ep in metadata.entry_points(group=GROUP)}


def register(cls: type, name: str | None = None) -> type:
    _extra[name or cls.name] = cls
    return cls


def available() -> list[str]:
    return sorted(set(_entry_points()) | set(_extra))


def get_algorithm(name: str) -> type:
    if name in _extra:
        return _extra[name]
    eps = _entry_points()
    if name not in eps:
        raise unknown("algorithm", name, available())
    return eps[name].load()
