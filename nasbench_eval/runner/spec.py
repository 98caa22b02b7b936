"""Experiment specs: parse and validate the YAML, normalise it, hash it, enumerate its cells.

A spec (see ``docs/runner.md``)::

    name: demo                      # optional label
    root_seed: 2024                 # one root seed for the whole grid
    seeds: 10                       # a count (seed labels 0..9) or a list of distinct non-negative ints
    budget: {evaluations: 100}      # evaluations and/or cost
    algorithms:
      - random                      # a bare name, or
      - {name: rea, params: {population_size: 20}, label: rea-p20}
      - {name: rea, sweep: {population_size: [5, 10, 20]}}   # one entry per value: rea[population_size=5], ...
    problems:
      - {type: nb201, dataset: cifar10}
      - {type: hw, dataset: cifar10, device: edgegpu, metric: latency, threshold: 5.0}

Unknown keys are rejected with the list of allowed keys (no silently ignored typos). Cells are enumerated in the
canonical order algorithm x problem x seed (spec order), which fixes each cell's id and its random stream. Sweeps
(``sweep:`` in an algorithm or problem entry, see :mod:`.sweep`) are expanded into plain entries first.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

MAX_SEEDS = 10_000  # seeds of one spec (a count like 1e9 would build a billion cells before any check)
MAX_CELLS = 1_000_000  # algorithms x problems x seeds
MAX_EVALUATIONS = 10**7  # evaluations of one run: 640 x the 15,625 NB201 archs; more is a typo, not a plan
TOP_KEYS = {"name", "description", "root_seed", "seeds", "budget", "algorithms", "problems"}
REQUIRED_TOP = ("root_seed", "seeds", "budget", "algorithms", "problems")
BUDGET_KEYS = {"evaluations", "cost"}
ALGO_KEYS = {"name", "params", "label", "sweep", "design"}


def _check_keys(where: str, got: dict, allowed: set) -> None:
    if not isinstance(got, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(got).__name__} {got!r}")
    bad = sorted(set(got) - allowed, key=str)
    if bad:
        raise ConfigError(f"unknown key(s) {bad} in {where}; allowed: {', '.join(sorted(allowed))}")


def _int(where: str, v, minimum: int = 0, maximum: int = 2**63 - 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum or v > maximum:
        raise ConfigError(f"{where} must be an integer >= {minimum} and <= {maximum:,}, got {v!r}")
    return int(v)


def _name(v) -> str:
    """The spec name: a label, also the default result folder ``results/<name>``, so never a path."""
    name = str(v)
    if (not name or len(name) > 100 or name in (".", "..") or name.startswith(".")
            or any(c in name for c in "/\\:") or not name.isprintable()):
        raise ConfigError(f"name must be 1-100 printable characters without '/', '\\', ':' or a leading '.' "
                          f"(it names the default folder results/<name>); got {name[:100]!r}")
    return name


@dataclass(frozen=True)
class Cell:
    """One (algorithm, problem, seed) run; ``cell`` is its position in the canonical order."""

    cell: int
    algorithm: dict  # {name, params, label}
    problem: dict  # normalised problem entry (with label)
    seed: int  # seed label (index into the spec's seeds)
    seed_index: int
    sweep: dict | None = None  # runs-table columns of the swept values (see .sweep.cell_columns), None if unswept

    @property
    def key(self) -> str:
        return f"{self.algorithm['label']}|{self.problem['label']}|{self.seed}"


@dataclass(frozen=True)
class Spec:
    name: str
    root_seed: int
    seeds: tuple[int, ...]
    budget: dict  # {evaluations, cost} (None where unset)
    algorithms: tuple[dict, ...]
    problems: tuple[dict, ...]
    description: str = ""
    sweeps: dict | None = None  # {"algorithms": {label: meta}, "problems": {label: meta}} of swept entries

    def to_dict(self) -> dict:
        d = {"name": self.name, "description": self.description, "root_seed": self.root_seed,
             "seeds": list(self.seeds), "budget": dict(self.budget),
             "algorithms": [dict(a) for a in self.algorithms], "problems": [dict(p) for p in self.problems]}
        if self.sweeps:  # only then: specs without sweeps keep their hash
            d["sweeps"] = self.sweeps
        return d

    @property
    def hash(self) -> str:
        """sha256 of the normalised spec, without ``name``/``description`` (labels do not change results)."""
        d = self.to_dict()
        d.pop("name"), d.pop("description")
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()

    def cells(self) -> list[Cell]:
        from .sweep import cell_columns

        sw = self.sweeps or {}
        out = []
        for a in self.algorithms:
            for p in self.problems:
                cols = cell_columns(sw.get("algorithms", {}).get(a["label"]), sw.get("problems", {}).get(p["label"]))
                for si, s in enumerate(self.seeds):
                    out.append(Cell(len(out), a, p, s, si, cols or None))
        return out

    @property
    def n_cells(self) -> int:
        return len(self.algorithms) * len(self.problems) * len(self.seeds)


def _algorithm(i: int, entry) -> dict:
    from ..search import available, get_algorithm
    from ..errors import UnknownNameError
    from ..search.registry import entry_ref

    where = f"algorithms[{i}]"
    if isinstance(entry, str):
        entry = {"name": entry}
    _check_keys(where, entry, ALGO_KEYS)
    if "name" not in entry:
        raise ConfigError(f"{where} needs a 'name'; allowed: {', '.join(available())}")
    name = entry["name"]
    try:  # a registered / entry-point name or a module:Class reference
        cls = get_algorithm(name)
    except (ConfigError, UnknownNameError) as exc:
        raise ConfigError(f"{where}.name: {exc}") from None
    params = entry.get("params") or {}
    if not isinstance(params, dict):
        raise ConfigError(f"{where}.params must be a mapping, got {params!r}")
    try:
        cls.from_params(params)
    except ConfigError as exc:
        raise ConfigError(f"{where}.params: {exc}") from None
    return {"name": name, "params": dict(sorted(params.items())), "label": str(entry.get("label", name)),
            **entry_ref(name)}  # + "ref" (module:Class) for a class added with register(): workers import it


def _problem(i: int, entry) -> dict:
    """A YAML problem entry, validated and normalised by the one problem specification (ProblemSpec)."""
    from ..problems.spec import ProblemSpec

    return ProblemSpec.from_mapping(entry, where=f"problems[{i}]").to_dict()


def _unique(kind: str, labels: list[str]) -> None:
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise ConfigError(f"duplicate {kind} label(s) {dup}; give each entry a distinct 'label'")


def parse_spec(data: dict) -> Spec:
    """Validate a spec mapping and return the normalised :class:`Spec` (raises :class:`ConfigError`)."""
    _check_keys("the spec", data, TOP_KEYS)
    for k in REQUIRED_TOP:
        if k not in data:
            raise ConfigError(f"the spec needs {k!r}; required keys: {', '.join(REQUIRED_TOP)}")
    root = _int("root_seed", data["root_seed"])
    seeds = data["seeds"]
    if isinstance(seeds, list):
        if len(seeds) > MAX_SEEDS:
            raise ConfigError(f"seeds: at most {MAX_SEEDS:,} seeds; got a list of {len(seeds):,}")
        seeds = tuple(_int(f"seeds[{i}]", s) for i, s in enumerate(seeds))
        if not seeds or len(set(seeds)) != len(seeds):
            raise ConfigError(f"seeds must be a non-empty list of distinct integers, got {list(seeds)}")
    else:
        seeds = tuple(range(_int("seeds (a count, or a list of seeds)", seeds, 1, MAX_SEEDS)))
    budget = data["budget"]
    if isinstance(budget, int) and not isinstance(budget, bool):
        budget = {"evaluations": budget}
    _check_keys("budget", budget, BUDGET_KEYS)
    if budget.get("evaluations") is not None:
        _int("budget.evaluations", budget["evaluations"], 1, MAX_EVALUATIONS)
    cost = budget.get("cost")
    if cost is not None and (isinstance(cost, bool) or not isinstance(cost, (int, float)) or not 0 < cost < float("inf")):
        raise ConfigError(f"budget.cost must be a finite number > 0, got {cost!r}")
    from ..search import Budget

    Budget(budget.get("evaluations"), budget.get("cost"))  # validates (ConfigError names the field)
    budget = {"evaluations": budget.get("evaluations"),
              "cost": None if budget.get("cost") is None else float(budget["cost"])}
    for k in ("algorithms", "problems"):
        if not isinstance(data[k], list) or not data[k]:
            raise ConfigError(f"{k} must be a non-empty list, got {data[k]!r}")
    from ..problems.spec import ProblemSpec
    from .sweep import expand_algorithm, expand_problem

    a_exp = [(i, e, m) for i, a in enumerate(data["algorithms"]) for e, m in expand_algorithm(i, a)]
    algos = tuple(_algorithm(i, e) for i, e, _ in a_exp)
    p_exp = [(n, m) for i, p in enumerate(data["problems"])
             for n, m in expand_problem(i, p, lambda e, where: ProblemSpec.from_mapping(e, where=where).to_dict())]
    probs = tuple(n for n, _ in p_exp)
    sweeps = {k: v for k, v in (("algorithms", {a["label"]: m for a, (_, _, m) in zip(algos, a_exp) if m}),
                                ("problems", {n["label"]: m for n, m in p_exp if m})) if v}
    _unique("algorithm", [a["label"] for a in algos])
    _unique("problem", [p["label"] for p in probs])
    n_cells = len(algos) * len(probs) * len(seeds)
    if n_cells > MAX_CELLS:
        raise ConfigError(f"the spec has {n_cells:,} cells (algorithms x problems x seeds); at most {MAX_CELLS:,}")
    return Spec(name=_name(data.get("name", "experiment")), root_seed=root, seeds=seeds, budget=budget,
                algorithms=algos, problems=probs, description=str(data.get("description", "")),
                sweeps=sweeps or None)


def load_spec(path) -> Spec:
    from .._yaml import read_yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"spec file {str(path)!r} does not exist")
    data = read_yaml(path)  # duplicate keys, alias bombs and deep nesting refused
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"spec file {str(path)!r} must hold a mapping (name, root_seed, seeds, ...); got a "
                          f"{type(data).__name__}")
    return parse_spec(data if data is not None else {})


def check_problems(spec: Spec) -> None:
    """Build every problem once, then construct and set up every algorithm on every problem (without running).

    Bad devices/metrics, unknown or out-of-range algorithm parameters, constraint violations found at setup and
    pairs an algorithm declares it cannot handle (wrong space, single-objective on a bi-objective problem, an
    algorithm without constraint handling on a constrained problem) all fail here, naming the algorithm and the
    problem, before any cell runs. The setup uses a throw-away ``default_rng(0)``; cells use their own streams.
    """
    import numpy as np

    from ..errors import NasbenchEvalError
    from ..search.registry import resolve_algorithm
    from .cell import problem_for_cell

    built = []
    for i, p in enumerate(spec.problems):
        try:
            built.append(problem_for_cell(p, 0))  # as a cell of seed 0 builds it (a live type needs a seed)
        except NasbenchEvalError as exc:
            raise ConfigError(f"problems[{i}] ({p['label']}): {exc}") from None
    bad = []
    for i, a in enumerate(spec.algorithms):
        cls = resolve_algorithm(a)
        for j, (p, prob) in enumerate(zip(spec.problems, built)):
            try:
                cls.from_params(a["params"]).setup(prob, np.random.default_rng(0))
            except (ConfigError, ValueError, TypeError) as exc:
                why = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
                bad.append(f"algorithm {a['label']!r} (algorithms[{i}]) on problem {p['label']!r} (problems[{j}]): "
                           f"{why}")
    if bad:
        more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
        raise ConfigError("cannot set up " + "; ".join(bad[:3]) + more + ". Fix the parameters, or split the grid "
                          "into several specs (every algorithm runs on every problem)")
