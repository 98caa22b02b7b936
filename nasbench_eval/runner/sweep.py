"""Sweeps in an experiment spec: one algorithm or problem entry expanded into one entry per setting.

An algorithm entry may carry ``sweep: {param: [values], ...}`` and ``design``::

    - {name: rea, sweep: {population_size: [5, 10, 20], sample_size: [2, 3, 5]}}     # 9 settings (cartesian)
    - {name: rea, sweep: {population_size: [5, 10, 20], sample_size: [2, 3, 5]},
       design: one-at-a-time}                                                         # 5 settings

``cartesian`` (default) crosses every value of every parameter (the last parameter varies fastest);
``one-at-a-time`` varies one parameter at a time with the others at their default (the entry's ``params``, else the
algorithm's constructor default), so the all-default setting appears once. Each setting becomes an ordinary
algorithm entry labelled ``<label>[param=value,...]`` (``rea[population_size=20,sample_size=3]``) whose ``params``
hold the swept values; it is validated like any entry.

A problem entry may sweep its own keys in the same way (``sweep: {quantile: [0.1, 0.3]}``, ``proxy_noise_tau:
[0.2, 0.5, null]`` with ``null`` = the exact proxy); each setting is validated by
:class:`~nasbench_eval.problems.spec.ProblemSpec` and keeps the label the problem type derives
(``hw-cifar10-fpga-latency-q0.3``) unless those labels would not tell the settings apart (then, or when the entry
has a ``label``, ``<label>[key=value]``).

What was swept is recorded twice: in the spec (``sweeps``: per expanded label, the group it came from, its values,
the defaults and the levels, which the report's ablation section reads) and per run (runs-table columns
``sweep_<param>`` / ``sweep_problem_<key>`` and the JSON column ``sweep``). Expansion happens before the cells are
enumerated, so the expanded grid keeps the canonical order, the per-cell seeding, resume and bit-identity.
"""
from __future__ import annotations

import itertools
import json
import math

from ..errors import ConfigError
from ..stats.ablation import fmt_value

DESIGNS = ("cartesian", "one-at-a-time")
MAX_SETTINGS = 10_000


def level_label(values: dict) -> str:
    return ",".join(f"{k}={fmt_value(v)}" for k, v in values.items())


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_sweep(where: str, sweep, design) -> tuple[dict, str]:
    if not isinstance(sweep, dict) or not sweep:
        raise ConfigError(f"{where}.sweep must be a non-empty mapping {{parameter: [values, ...]}}, got {sweep!r}")
    out = {}
    for k, vals in sweep.items():
        if not isinstance(k, str):
            raise ConfigError(f"{where}.sweep: parameter names must be strings, got {k!r}")
        if not isinstance(vals, list) or not vals:
            raise ConfigError(f"{where}.sweep.{k} must be a non-empty list of values, got {vals!r}")
        seen = [json.dumps(v, sort_keys=True) for v in vals]
        dup = sorted({s for s in seen if seen.count(s) > 1})
        if dup:
            raise ConfigError(f"{where}.sweep.{k} lists a value more than once: {', '.join(dup)}")
        out[k] = list(vals)
    design = "cartesian" if design is None else design
    if design not in DESIGNS:
        raise ConfigError(f"{where}.design must be one of {', '.join(DESIGNS)}; got {design!r}")
    return out, design


def settings(where: str, sweep: dict, design: str, defaults: dict) -> list[dict]:
    """The swept settings in canonical order (cartesian: product, last parameter fastest; one-at-a-time: each
    parameter's values in turn with the others at ``defaults``, duplicates dropped)."""
    keys = list(sweep)
    if design == "cartesian":
        n = math.prod(len(v) for v in sweep.values())
        if n > MAX_SETTINGS:
            raise ConfigError(f"{where}.sweep expands to {n} settings (> {MAX_SETTINGS}); sweep fewer values or "
                              "use design: one-at-a-time")
        return [dict(zip(keys, combo)) for combo in itertools.product(*sweep.values())]
    out, seen = [], set()
    for k in keys:
        for v in sweep[k]:
            s = {q: (v if q == k else defaults.get(q)) for q in keys}
            key = json.dumps(s, sort_keys=True, default=repr)
            if key not in seen:
                seen.add(key)
                out.append(s)
    return out


def _meta(group: str, entry_index: int, design: str, values: dict, defaults: dict, sweep: dict) -> dict:
    return {"of": group, "entry": entry_index, "design": design, "values": values,
            "defaults": {k: defaults.get(k) for k in sweep}, "levels": {k: list(v) for k, v in sweep.items()}}


def expand_algorithm(i: int, entry) -> list[tuple[dict, dict | None]]:
    """``[(plain algorithm entry, sweep metadata or None), ...]`` of one spec entry (no sweep: itself, None)."""
    if not isinstance(entry, dict) or "sweep" not in entry:
        if isinstance(entry, dict) and "design" in entry:
            raise ConfigError(f"algorithms[{i}].design needs a 'sweep' (design: {', '.join(DESIGNS)})")
        return [(entry, None)]
    where = f"algorithms[{i}]"
    sweep, design = _check_sweep(where, entry["sweep"], entry.get("design"))
    base = {k: v for k, v in entry.items() if k not in ("sweep", "design")}
    params = base.get("params") or {}
    if not isinstance(params, dict):
        raise ConfigError(f"{where}.params must be a mapping, got {params!r}")
    clash = sorted(set(params) & set(sweep))
    if clash:
        raise ConfigError(f"{where}: parameter(s) {clash} are both fixed in 'params' and swept in 'sweep'; keep them "
                          "in one place")
    defaults = _algorithm_defaults(where, base, params, sweep)
    group = str(base.get("label", base.get("name")))
    out = []
    for values in settings(where, sweep, design, defaults):
        e = {**base, "params": {**params, **values}, "label": f"{group}[{level_label(values)}]"}
        out.append((e, _meta(group, i, design, values, defaults, sweep)))
    return out


def _algorithm_defaults(where: str, base: dict, params: dict, sweep: dict) -> dict:
    """The value each swept parameter takes when not swept: the entry's params, else the constructor default."""
    from ..errors import UnknownNameError
    from ..search import get_algorithm

    if "name" not in base:
        return {}
    try:
        cls = get_algorithm(base["name"])
        got = cls.from_params(params).get_params()
    except (ConfigError, UnknownNameError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    unknown = sorted(set(sweep) - set(got))
    if unknown:
        raise ConfigError(f"{where}.sweep: unknown parameter(s) {unknown} of algorithm {base['name']!r}; allowed: "
                          f"{', '.join(sorted(got))}")
    return {k: _plain(got[k]) for k in sweep}


def _plain(v):
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    if hasattr(v, "item") and not isinstance(v, (list, dict, str)):
        return v.item()
    return v


def expand_problem(i: int, entry, normalise) -> list[tuple[dict, dict | None]]:
    """``[(normalised problem entry, sweep metadata or None), ...]``; ``normalise(entry, where)`` validates one."""
    if not isinstance(entry, dict) or "sweep" not in entry:
        if isinstance(entry, dict) and "design" in entry:
            raise ConfigError(f"problems[{i}].design needs a 'sweep' (design: {', '.join(DESIGNS)})")
        return [(normalise(entry, f"problems[{i}]"), None)]
    where = f"problems[{i}]"
    sweep, design = _check_sweep(where, entry["sweep"], entry.get("design"))
    base = {k: v for k, v in entry.items() if k not in ("sweep", "design")}
    bad = sorted({"type", "label"} & set(sweep))
    if bad:
        raise ConfigError(f"{where}.sweep cannot sweep {bad}; sweep a problem's settings (e.g. quantile, "
                          "proxy_noise_tau, dataset, device), one problem type per entry")
    clash = sorted(set(base) & set(sweep))
    if clash:
        raise ConfigError(f"{where}: key(s) {clash} are both set and swept; keep them in one place")
    defaults = {k: base.get(k) for k in sweep}
    user_label = base.pop("label", None)
    rows = []
    for j, values in enumerate(settings(where, sweep, design, defaults)):
        e = {**base, **{k: v for k, v in values.items() if v is not None}}
        rows.append((normalise(e, f"{where} (sweep setting {j}: {level_label(values)})"), values))
    labels = [n["label"] for n, _ in rows]
    if user_label is not None or len(set(labels)) < len(labels):
        group = str(user_label) if user_label is not None else _common_stem(labels)
        for n, values in rows:
            n["label"] = f"{group}[{level_label(values)}]"
    else:
        group = _common_stem(labels)
    return [(n, _meta(group, i, design, values, defaults, sweep)) for n, values in rows]


def _common_stem(labels: list[str]) -> str:
    """The shared beginning of the expanded labels, cut back to a ``-`` boundary (``hw-cifar10-fpga-latency``)."""
    pre = labels[0]
    for lab in labels[1:]:
        while not lab.startswith(pre):
            pre = pre[:-1]
    if pre in labels:
        return pre
    cut = pre.rfind("-")
    return pre[:cut] if cut > 0 else (pre or "problem")


def _encode(levels: list) -> str:
    """Column kind of a swept parameter: ``number`` when every non-null level is a finite number, else ``text``."""
    vals = [v for v in levels if v is not None]
    return "number" if vals and all(_is_number(v) for v in vals) else "text"


def cell_columns(algo_meta: dict | None, prob_meta: dict | None) -> dict:
    """Runs-table columns of one cell: ``sweep`` (JSON) and one ``sweep_<param>`` / ``sweep_problem_<key>`` each.

    A parameter whose levels are all numbers is a float column (``null`` -> NaN); otherwise the value's label text
    (``true``, ``none``, ``novelty``), so a column never mixes types across cells."""
    if algo_meta is None and prob_meta is None:
        return {}
    cols = {"sweep": json.dumps({"algorithm": (algo_meta or {}).get("values", {}),
                                 "problem": (prob_meta or {}).get("values", {})}, sort_keys=True, default=repr)}
    for prefix, meta in (("sweep_", algo_meta), ("sweep_problem_", prob_meta)):
        for k, v in ((meta or {}).get("values") or {}).items():
            kind = _encode(meta["levels"][k])
            cols[prefix + k] = (float("nan") if v is None else float(v)) if kind == "number" else fmt_value(v)
    return cols
