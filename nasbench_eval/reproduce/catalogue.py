"""The catalogue of reproductions: one YAML per paper table in the ``nasbench_eval.reproductions``
package (the repository's ``reproductions/`` folder).

A reproduction file holds::

    title, paper, notes (protocol differences, one string each)
    reported: reported_nb201.yaml        # the paper's numbers (file beside it), with n_runs, equivalence_margin
                                         # and protocol_differs (rows never tested: see reproduce/compare.py)
    compare: {algorithm label: reported row}
    metrics: [valid, test]               # which reported columns to compare ("valid" -> valid_acc, ...)
    spec: {...}                          # a runner spec (see docs/runner.md)
    quick: {seeds: 5, budget: {...}}     # overrides for --quick
"""
from __future__ import annotations

import copy
from importlib import resources

from .._yaml import load_yaml
from ..errors import ConfigError, unknown

KEYS = {"title", "paper", "notes", "reported", "compare", "metrics", "spec", "specs", "quick", "kind", "sweep",
        "minutes", "baseline", "reported_claim", "ablations"}


def _folder():
    return resources.files("nasbench_eval.reproductions")


def list_reproductions() -> dict[str, dict]:
    out = {}
    for f in sorted(_folder().iterdir(), key=lambda p: p.name):
        if f.name.endswith(".yaml") and not f.name.startswith("reported_"):
            data = load_yaml(f.read_text(encoding="utf-8"), f.name)  # duplicate keys / alias bombs refused
            out[f.name[:-5]] = data
    return out


REPORTED_KEYS = {"source", "protocol_of_paper", "protocol_differs", "n_runs", "rows", "optimal", "equivalence_margin"}


def _check_reported(name: str, data: dict, rep: dict) -> dict:
    """A reported-numbers file: known keys, a positive equivalence margin, and every compared or protocol-flagged
    row present (a typo would otherwise silently turn a 'not comparable' row into a tested one)."""
    where = f"reported file {data['reported']!r} of reproduction {name!r}"
    bad = set(rep) - REPORTED_KEYS
    if bad:
        raise ConfigError(f"{where} has unknown keys {sorted(bad)}; allowed: {', '.join(sorted(REPORTED_KEYS))}")
    margin = rep.get("equivalence_margin", 0.5)
    if not isinstance(margin, (int, float)) or not margin > 0:
        raise ConfigError(f"{where}: 'equivalence_margin' must be a number > 0 (accuracy points); got {margin!r}")
    rows = set(rep.get("rows", {}))
    for key, listed in (("protocol_differs", rep.get("protocol_differs") or {}), ("n_runs", rep.get("n_runs") or {}),
                        ("compare", (data.get("compare") or {}).values())):
        missing = sorted(set(listed) - rows)
        if missing:
            raise ConfigError(f"{where}: '{key}' names rows {missing} that are not in 'rows'; allowed: "
                              f"{', '.join(sorted(rows))}")
    return rep


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
        data["reported_data"] = _check_reported(name, data, load_yaml(
            _folder().joinpath(data["reported"]).read_text(encoding="utf-8"), str(data["reported"])))
    specs = data.get("specs") or {"": data.get("spec")}
    if not all(isinstance(s, dict) for s in specs.values()):
        raise ConfigError(f"reproduction {name!r} needs a 'spec' mapping (or 'specs' of them)")
    for key, spec in specs.items():
        if quick and data.get("quick"):
            spec.update(data["quick"])
        spec.setdefault("name", "-".join(x for x in (name, key, "quick" if quick else "") if x))
    data["specs"] = specs
    return data
