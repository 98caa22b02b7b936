"""Numbers in the commands' text output: 6 significant digits (``7.50316``, not ``7.503159999999999``).

``--json`` output keeps full precision; only what is printed for people goes through here.
"""
from __future__ import annotations

import math


def num(x, digits: int = 6) -> str:
    """A number for people: ints as they are, floats with ``digits`` significant digits, NaN as ``n/a``."""
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, int):
        return str(x)
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(f):
        return "n/a"
    return f"{f:.{digits}g}"


def rounded(obj, digits: int = 6):
    """``obj`` (nested dicts / lists / tuples) with every float rounded to ``digits`` significant digits, for a
    compact ``json.dumps`` in text output."""
    if isinstance(obj, dict):
        return {k: rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [rounded(v, digits) for v in obj]
    if isinstance(obj, float) and math.isfinite(obj):
        return float(f"{obj:.{digits}g}")
    if type(obj).__module__ == "numpy" and hasattr(obj, "item"):
        return rounded(obj.item(), digits)
    return obj
