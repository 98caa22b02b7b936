"""Check that imports go down the layers: no import circle between units, no arrow back up.

    python -m nasbench_eval.devtools.layers          # exit 1 and one line per violation, else a summary
    python -m nasbench_eval.devtools.layers --graph  # also print every unit's imports

A *unit* is the longest entry of :data:`LAYERS` that prefixes a module's dotted name (mostly a sub-package of
``nasbench_eval``; a few modules sit in another layer than their package, e.g. the supernet driver). Every
``import`` / ``from ... import`` statement counts, also those inside functions (a lazy import still depends on what
it imports), and so does ``importlib.import_module("literal")``. A unit may import units of its own layer or of
layers below it; an import of a higher layer is a violation unless :data:`ALLOWED` lists it with a reason.
``nasbench_eval`` never imports ``nasbench_eval.algorithms`` (the repository's ``algorithms/`` folder, installed under
the package's namespace): algorithms plug in through entry points.

The layer table is the design: docs/architecture.md explains it and says where new code goes.
"""
from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ALGORITHMS = "nasbench_eval.algorithms"  # installed name of the repository's algorithms/ folder (see setup.py)

# Top to bottom. (layer name, unit prefixes). Imports may only point to the same or a later row.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("entry points", ("nasbench_eval.__main__", "nasbench_eval.cli")),
    ("reproductions", ("nasbench_eval.reproduce",)),
    ("studies", ("nasbench_eval.studies",)),
    ("report", ("nasbench_eval.report",)),
    ("runner", ("nasbench_eval.runner",)),
    ("statistics", ("nasbench_eval.stats",)),
    ("author kit", ("nasbench_eval.testing", "nasbench_eval.devtools")),
    ("algorithms", (ALGORITHMS,)),
    ("live problems", ("nasbench_eval.live.problem_types", "nasbench_eval.supernet.driver")),
    ("search", ("nasbench_eval.search",)),
    ("judge", ("nasbench_eval.judge",)),
    ("problems", ("nasbench_eval.problems",)),
    ("evaluators", ("nasbench_eval.evaluators",)),
    ("live engines", ("nasbench_eval.live", "nasbench_eval.supernet")),
    ("benchmark API adapters", ("nasbench_eval.compat",)),
    ("tables", ("nasbench_eval.tables",)),
    ("spaces", ("nasbench_eval.spaces",)),
    ("foundation", ("nasbench_eval.errors", "nasbench_eval.extras", "nasbench_eval._io", "nasbench_eval._yaml",
                    "nasbench_eval.nn_init", "nasbench_eval")),
)

# (importing unit, imported unit) -> why this upward arrow is acceptable. Keep it short and justified.
ALLOWED: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported module (dotted)
    line: int
    path: str


def unit_of(module: str) -> str | None:
    """The longest layer-table prefix of ``module`` (``None`` for modules outside the table). The root package
    ``nasbench_eval`` (lazy re-exports only) matches itself alone, so a new sub-package must be placed explicitly."""
    best = None
    for _, prefixes in LAYERS:
        for p in prefixes:
            prefix_ok = module.startswith(p + ".") and p != "nasbench_eval"
            if (module == p or prefix_ok) and (best is None or len(p) > len(best)):
                best = p
    return best


def layer_index(unit: str) -> int:
    return next(i for i, (_, prefixes) in enumerate(LAYERS) if unit in prefixes)


def _module_name(path: Path, root: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[0] == "algorithms":  # the folder installs as nasbench_eval.algorithms
        parts = ["nasbench_eval", *parts]
    is_pkg = parts[-1] == "__init__"
    if is_pkg:
        parts = parts[:-1]
    return ".".join(parts), is_pkg


def _resolve(root: Path, base: str, name: str) -> str:
    """``from base import name``: the submodule ``base.name`` when it exists, else ``base``."""
    cand = f"{base}.{name}"
    parts = cand.split(".")
    rel = Path(*(parts[1:] if parts[:2] == ["nasbench_eval", "algorithms"] else parts))
    return cand if (root / rel).with_suffix(".py").is_file() or (root / rel / "__init__.py").is_file() else base


def imports_of(path: Path, root: Path) -> list[Import]:
    """Every import of a project module in the file at ``path`` (``root`` = the folder holding the packages)."""
    module, is_pkg = _module_name(path, root)
    package = module if is_pkg else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[:len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            targets = [_resolve(root, base, a.name) for a in node.names]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            targets = [node.args[0].value]
        for t in targets:
            if t.split(".")[0] in ("nasbench_eval", "algorithms"):
                found.append(Import(module, t, node.lineno, str(path)))
    return found


def scan(root: Path, packages=("nasbench_eval", "algorithms")) -> list[Import]:
    out: list[Import] = []
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            out.extend(imports_of(path, root))
    return out


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one unit (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def check(root: Path) -> tuple[list[str], dict[str, set[str]]]:
    """(violations as printable lines, unit -> imported units)."""
    problems: list[str] = []
    edges: dict[str, set[str]] = {}
    for imp in scan(root):
        src, dst = unit_of(imp.module), unit_of(imp.target)
        where = f"{imp.path}:{imp.line}: {imp.module} imports {imp.target}"
        if src is None or dst is None:
            problems.append(f"{where}: module outside the layer table (add it to LAYERS in {__name__})")
            continue
        if src != ALGORITHMS and dst == ALGORITHMS:
            problems.append(f"{where}: nasbench_eval never imports the algorithms package (use the entry points)")
            continue
        if src == dst:
            continue
        edges.setdefault(src, set()).add(dst)
        if layer_index(dst) < layer_index(src) and (src, dst) not in ALLOWED:
            problems.append(f"{where}: arrow up from layer '{LAYERS[layer_index(src)][0]}' to "
                            f"'{LAYERS[layer_index(dst)][0]}'")
    for comp in _cycles(edges):
        problems.append(f"import circle between units: {' <-> '.join(comp)}")
    return problems, edges


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m nasbench_eval.devtools.layers", description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=str(Path(__file__).resolve().parents[2]),
                    help="folder holding nasbench_eval/ and algorithms/ (default: this checkout)")
    ap.add_argument("--graph", action="store_true", help="print each unit's imported units")
    args = ap.parse_args(argv)
    problems, edges = check(Path(args.root))
    if args.graph:
        for u in sorted(edges, key=lambda u: (layer_index(u), u)):
            print(f"{u} -> {', '.join(sorted(edges[u], key=lambda d: (layer_index(d), d)))}")
    for p in problems:
        print(p)
    n_units = len({u for e in edges.items() for u in (e[0], *e[1])})
    print(f"{len(problems)} violation(s); {n_units} units in {len(LAYERS)} layers, "
          f"{sum(map(len, edges.values()))} unit-to-unit arrows", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
