"""The catalogue of reproductions: one YAML per paper table in the ``reproductions`` package.

A reproduction file holds::

    title, paper, notes (protocol differences, one string each)
    reported: reported_nb201.yaml        # the paper's numbers (file beside it)
    compare: {algorithm label: reported row}
    metrics: [valid, test]               # which reported columns to compare ("valid" -> valid_acc, ...)
    spec: {...}                          # a runner spec (see docs/runner.md)
    quick: {seeds: 5, budget: {...}}     # overrides for --quick
"""
from __future__ import annotations

import copy
from importlib import resources

import yaml

from ..errors import ConfigError, unknown

KEYS = {"title", "paper", "notes", "reported", "compare", "metrics", "spec", "specs", "quick", "kind", "sweep",
        "minutes", "baseline", "reported_claim"}


def _folder():
    return resources.files("reproductions")


def list_reproductions() -> dict[str, dict]:
    out = {}
    for f in sorted(_folder().iterdir(), key=lambda p: p.name):
        if f.name.endswith(".yaml") and not f.name.startswith("reported_"):
            data = yaml.safe_load(f.read_text())
            out[f.name[:-5]] = data
    return out


def load_reproduction(name: str, quick: bool = False) -> dict:
    cat = list_reproductions()
    if name not in cat:
        raise unknown("reproduction", name, cat)
    data = copy.deepcopy(cat[name])
    bad = set(data) - KEYS
    if bad:
        raise ConfigError(f"reproduction {name!r} has unknown keys {sorted(bad)}; allowed: {', '.join(sorted(KEYS))}")
    data["name"] = name
    if data.get("reported"):
        data["reported_data"] = yaml.safe_load(_folder().joinpath(data["reported"]).read_text())
    specs = data.get("specs") or {"": data.get("spec")}
    if not all(isinstance(s, dict) for s in specs.values()):
        raise ConfigError(f"reproduction {name!r} needs a 'spec' mapping (or 'specs' of them)")
    for key, spec in specs.items():
        if quick and data.get("quick"):
            spec.update(data["quick"])
        spec.setdefault("name", "-".join(x for x in (name, key, "quick" if quick else "") if x))
    data["specs"] = specs
    return data
