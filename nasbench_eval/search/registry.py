"""Algorithm discovery: the ``nasbench_eval.algorithms`` entry-point group, ``module:Class`` references, and
:func:`register` for classes added at run time.

Our own algorithms register exactly like a user's plug-in package would (pyproject ``[project.entry-points.
"nasbench_eval.algorithms"]``: ``name = "module:Class"``). Everywhere an algorithm name is accepted (``search``,
``run`` specs, ``supernet search``) a ``module:Class`` reference works too, resolved by :func:`get_algorithm`.

:func:`register` adds a class to *this* process only. Worker processes (joblib, Ray) are fresh interpreters, so
the runner records the class's importable reference (:func:`algorithm_ref`) with the cell and the worker imports it
from there; a class defined in ``__main__``, a notebook or a function has no such reference, and a worker that
needs it says so (:func:`resolve_algorithm`).

What a reference may do: resolving ``module:Class`` imports ``module`` (like loading any plug-in, this runs that
module's top-level code, so only name modules you trust) and then accepts the attribute only if it is a subclass of
:class:`~nasbench_eval.search.Algorithm`; nothing else is called or constructed (``os:system`` is refused before
anything runs). The same check applies to entry points and to :func:`register`.
"""
from __future__ import annotations

import importlib
from functools import lru_cache
from importlib import metadata

from ..errors import ConfigError, unknown

GROUP = "nasbench_eval.algorithms"
_extra: dict[str, type] = {}


@lru_cache(maxsize=1)
def _entry_points() -> dict:
    return {ep.name: ep for ep in metadata.entry_points(group=GROUP)}


def register(cls: type, name: str | None = None) -> type:
    """Make ``cls`` available under ``name`` (default ``cls.name``) in this process; returns ``cls`` (a decorator).

    Parallel backends run cells in fresh processes: there the class is found again through its ``module:Class``
    reference, so it must be defined at the top level of an importable module (not in ``__main__`` or a notebook).
    """
    _check_algorithm_class(cls, repr(cls))
    key = name or getattr(cls, "name", "") or ""
    if not key:
        raise ConfigError(f"register: {cls!r} has no 'name' class attribute; pass name=...")
    _extra[key] = cls
    return cls


def forget_registered() -> None:
    """Forget every class added with :func:`register` (what a fresh process knows: entry points and references only);
    a forked worker process starts with this."""
    _extra.clear()


def available() -> list[str]:
    return sorted(set(_entry_points()) | set(_extra))


def algorithm_ref(cls: type) -> str | None:
    """``"module:QualName"`` when a fresh process can import ``cls`` by it, else ``None``."""
    mod, qual = getattr(cls, "__module__", None), getattr(cls, "__qualname__", "")
    if not mod or mod == "__main__" or "<locals>" in qual:
        return None
    try:
        obj = importlib.import_module(mod)
        for part in qual.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return None
    return f"{mod}:{qual}" if obj is cls else None


def _import_ref(ref: str) -> type:
    mod, _, qual = ref.partition(":")
    if not mod or not qual:
        raise ConfigError(f"algorithm reference {ref!r} must look like 'package.module:ClassName'")
    try:
        obj = importlib.import_module(mod)
    except (ImportError, TypeError, ValueError) as exc:  # TypeError/ValueError: a relative or empty module name
        raise ConfigError(f"algorithm {ref!r}: module {mod!r} cannot be imported ({type(exc).__name__}: {exc}); "
                          "install the package that provides it or put it on PYTHONPATH") from None
    for part in qual.split("."):
        if not part.isidentifier() or part.startswith("__"):
            raise ConfigError(f"algorithm {ref!r}: {qual!r} is not a class name")
        if not hasattr(obj, part):
            raise ConfigError(f"algorithm {ref!r}: module {mod!r} has no attribute {qual!r}")
        obj = getattr(obj, part)
    return _check_algorithm_class(obj, repr(ref))


def _check_algorithm_class(obj, what: str) -> type:
    """``obj`` if it is a subclass of our :class:`Algorithm`; ConfigError otherwise (nothing is called)."""
    from .algorithm import Algorithm

    if not isinstance(obj, type):
        raise ConfigError(f"algorithm {what} is a {type(obj).__name__}, not a class; a reference must name a "
                          "subclass of nasbench_eval.search.Algorithm")
    if not issubclass(obj, Algorithm) or obj is Algorithm:
        raise ConfigError(f"algorithm {what} is the class {obj.__module__}.{obj.__qualname__}, which is not a "
                          "subclass of nasbench_eval.search.Algorithm; refusing to use it")
    return obj


def get_algorithm(name: str) -> type:
    """The algorithm class for a registered name, an entry-point name, or a ``module:Class`` reference."""
    if not isinstance(name, str):
        raise ConfigError(f"an algorithm name must be a string; got {name!r}")
    if name in _extra:
        return _extra[name]
    eps = _entry_points()
    if name in eps:
        return _check_algorithm_class(eps[name].load(), repr(name))
    if ":" in name:
        return _import_ref(name)
    raise unknown("algorithm", name, available() + ["or package.module:ClassName"])


def resolve_algorithm(entry: dict) -> type:
    """The class of a runner cell's algorithm entry ``{name, ref?, ...}`` (``ref`` is recorded for classes added
    with :func:`register`, so that worker processes can import them)."""
    name, ref = entry["name"], entry.get("ref")
    if name in _extra or name in _entry_points() or ":" in name:
        return get_algorithm(name)
    if ref:
        return _import_ref(ref)
    raise ConfigError(f"algorithm {name!r} is not known in this worker process: it was added with register() in "
                      "the parent process and its class cannot be imported (defined in __main__, a notebook or a "
                      "function). Move the class to an importable module, install it as a plug-in (entry point "
                      f"group {GROUP!r}), or run with backend 'serial'")


def entry_ref(name: str) -> dict:
    """What a runner spec records for algorithm ``name``: ``{"ref": "module:Class"}`` for a class added with
    :func:`register` whose module a fresh process can import, else ``{}``."""
    if name in _extra and name not in _entry_points() and ":" not in name:
        ref = algorithm_ref(_extra[name])
        return {"ref": ref} if ref else {}
    return {}
