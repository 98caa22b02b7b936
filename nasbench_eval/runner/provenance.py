"""Code provenance of an experiment: what computed its cells, and whether a resume would mix two versions.

Recorded in ``manifest.json`` under ``provenance``:

* ``algorithms``: per algorithm label, the class (``module:QualName``), its RESOLVED parameters (defaults filled
  in: ``get_params()`` after construction), the distribution that provides its module and that distribution's
  version (``importlib.metadata``), whether it is an editable install, and a source hash: sha256 of every source
  file of the class's module, of the modules of its own package that it imports (transitively, found by reading
  the ``import`` statements) and of the modules of its base classes outside ``nasbench_eval``.
* ``framework``: nasbench-eval's version, git commit, editable flag and a source hash over the files that can
  change a cell (every module of ``nasbench_eval`` except ``cli``, ``report``, ``stats`` and ``reproduce``, which
  only read finished stores, and ``studies``, which has its own stores), plus the spaces' bundled ``.npy`` tables.

The rule (docs/runner.md): a resume that still has cells to compute is refused when, for any algorithm, the
resolved parameters, the providing distribution, its version or the source hash differ, or when nasbench-eval's
version or source hash differ. A different git commit with identical sources is not a change (recorded only).
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
import inspect
import json
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from .._io import jsonable

FRAMEWORK = "nasbench_eval"
FRAMEWORK_DIST = "nasbench-eval"
READ_ONLY_SUBPACKAGES = ("cli", "report", "stats", "reproduce", "studies")  # never change a runner cell
ALGO_KEYS = ("params", "class", "distribution", "version", "source_sha256")  # compared on resume
FRAMEWORK_KEYS = ("version", "source_sha256")
ALGORITHMS_PKG = "nasbench_eval.algorithms"  # our algorithms: hashed per algorithm, like a plug-in, not as framework


def _family(mod: str) -> str:
    """The package whose modules a module's source hash follows: ``nasbench_eval.algorithms`` for ours, else the
    top-level package."""
    return ALGORITHMS_PKG if mod == ALGORITHMS_PKG or mod.startswith(ALGORITHMS_PKG + ".") else mod.split(".")[0]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _combined(files: dict[str, str]) -> str | None:
    return _sha("".join(f"{k}:{v}\n" for k, v in sorted(files.items())).encode()) if files else None


def jsonable_params(params: dict) -> dict:
    """Parameters as the JSON the manifest and the runs table store (tuples -> lists, numpy -> Python)."""
    return json.loads(json.dumps(jsonable(dict(params)), sort_keys=True, default=repr))


# ---------------------------------------------------------------------------------------------- distributions
@lru_cache(maxsize=1)
def _packages_distributions() -> dict:
    return metadata.packages_distributions()


@lru_cache(maxsize=64)
def _named_like(top: str) -> list[str]:
    """The distribution named like the import package (``nasbench_eval`` -> ``nasbench-eval``) when its top_level.txt
    lists it: milliseconds, where scanning every installed distribution (packages_distributions) takes seconds."""
    for name in dict.fromkeys((top, top.replace("_", "-"))):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if top in (dist.read_text("top_level.txt") or "").split():
            return [dist.metadata["Name"]]
    return []


def distribution_of(module: str) -> dict:
    """``{distribution, version, editable}`` of the installed distribution providing ``module`` (None if none)."""
    top = module.split(".")[0]
    names = _named_like(top) or sorted(set(_packages_distributions().get(top, [])))
    if not names:
        return {"distribution": None, "version": None, "editable": None}
    name = names[0]
    editable = False
    for d in metadata.distributions(name=name):
        try:
            info = json.loads(d.read_text("direct_url.json") or "{}")
        except (json.JSONDecodeError, OSError):
            info = {}
        editable = editable or bool(info.get("dir_info", {}).get("editable"))
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        version = None
    return {"distribution": name, "version": version, "editable": editable}


# ---------------------------------------------------------------------------------------------- source files
def _module_file(mod: str) -> Path | None:
    m = sys.modules.get(mod)
    f = getattr(m, "__file__", None) if m is not None else None
    if f is None:
        try:
            spec = importlib.util.find_spec(mod)
        except (ImportError, ValueError, AttributeError):
            return None
        f = spec.origin if spec is not None else None
    return Path(f) if f and str(f).endswith(".py") and Path(f).is_file() else None


def _imports(mod: str, path: Path, tree: ast.AST) -> set[str]:
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            try:
                base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) \
                    if node.level else node.module
            except (ImportError, ValueError):
                continue
            if base:
                out.add(base)
                out.update(f"{base}.{a.name}" for a in node.names)  # `from pkg import submodule`
    return out


def module_sources(modules) -> dict[str, str]:
    """sha256 of each module's file and of the modules of the same top-level package it imports (transitively).

    Keys are module paths (``pkg/sub/mod.py``), so they do not depend on where the package is installed.
    """
    files: dict[str, str] = {}
    seen: set[str] = set()
    todo = list(modules)
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        seen.add(mod)
        path = _module_file(mod)
        if path is None:
            continue
        src = path.read_bytes()
        key = mod.replace(".", "/") + ("/__init__.py" if path.name == "__init__.py" else ".py")
        files[key] = _sha(src)
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        top = _family(mod)
        todo.extend(m for m in _imports(mod, path, tree) if _family(m) == top and m not in seen)
    return files


def class_sources(cls: type) -> dict[str, str]:
    """Source hashes of a class: its module (+ local imports) and its base classes' modules outside nasbench_eval."""
    mods = [c.__module__ for c in cls.__mro__ if c.__module__ not in ("builtins",)
            and _family(c.__module__) != FRAMEWORK]
    files = module_sources(dict.fromkeys(mods))
    if not files:  # defined in __main__ / a notebook cell without a file: hash the class source if readable
        try:
            files = {f"<{cls.__qualname__} source>": _sha(inspect.getsource(cls).encode())}
        except (OSError, TypeError):
            files = {}
    return files


def framework_sources() -> dict[str, str]:
    root = Path(__file__).resolve().parents[1]
    files = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if p.suffix not in (".py", ".npy") or not p.is_file() or "__pycache__" in rel.parts:
            continue
        if rel.parts[0] in READ_ONLY_SUBPACKAGES + ("algorithms", "reproductions") or rel.parts == ("__main__.py",):
            continue
        files[f"{FRAMEWORK}/{rel.as_posix()}"] = _sha(p.read_bytes())
    return files


# ---------------------------------------------------------------------------------------------- collect
def algorithm_provenance(cls: type, resolved_params: dict) -> dict:
    files = class_sources(cls)
    return {"class": f"{cls.__module__}:{cls.__qualname__}", "params": jsonable_params(resolved_params),
            **distribution_of(cls.__module__), "source_sha256": _combined(files), "source_files": files}


def framework_provenance() -> dict:
    from .store import git_commit, package_version

    files = framework_sources()
    return {"distribution": FRAMEWORK_DIST, "version": package_version(), "git_commit": git_commit(),
            "editable": distribution_of(FRAMEWORK)["editable"], "source_sha256": _combined(files),
            "source_files": files}


def collect(spec) -> dict:
    """The provenance of every algorithm of ``spec`` (by label) and of the framework."""
    from ..search.registry import resolve_algorithm

    algos = {}
    for a in spec.algorithms:
        cls = resolve_algorithm(a)
        algos[a["label"]] = {"name": a["name"], **algorithm_provenance(cls, cls.from_params(a["params"]).get_params())}
    return {"framework": framework_provenance(), "algorithms": algos}


# ---------------------------------------------------------------------------------------------- compare
def _short(v) -> str:
    if isinstance(v, str) and len(v) == 64:
        return v[:12]
    return json.dumps(v) if not isinstance(v, str) else v


def _file_changes(old: dict, new: dict, limit: int = 4) -> str:
    keys = sorted(set(old) | set(new))
    ch = [f"{k} {'added' if k not in old else 'removed' if k not in new else 'edited'}"
          for k in keys if old.get(k) != new.get(k)]
    return ", ".join(ch[:limit]) + (f" and {len(ch) - limit} more" if len(ch) > limit else "")


def _param_changes(old: dict, new: dict) -> str:
    keys = sorted(set(old) | set(new))
    return ", ".join(f"{k} {_short(old.get(k, '(absent)'))} -> {_short(new.get(k, '(absent)'))}"
                     for k in keys if old.get(k, "(absent)") != new.get(k, "(absent)"))


def changes(old: dict | None, new: dict) -> list[str]:
    """What differs between a recorded provenance and the current one, one phrase per change (empty: same)."""
    if not old:
        return ["the folder predates code provenance (no record of the algorithms' code or resolved parameters)"]
    out = []
    for label, n in new["algorithms"].items():
        o = old.get("algorithms", {}).get(label)
        if o is None:
            out.append(f"algorithm {label!r} has no record in the folder")
            continue
        what = []
        for k in ALGO_KEYS:
            if o.get(k) == n.get(k):
                continue
            if k == "params":
                what.append(f"resolved parameters {_param_changes(o.get(k) or {}, n.get(k) or {})}")
            elif k == "source_sha256":
                what.append(f"source {_short(o.get(k))} -> {_short(n.get(k))} "
                            f"({_file_changes(o.get('source_files', {}), n.get('source_files', {}))})")
            else:
                what.append(f"{k} {_short(o.get(k))} -> {_short(n.get(k))}")
        if what:
            out.append(f"algorithm {label!r} ({n.get('name', label)}): " + "; ".join(what))
    o, n = old.get("framework", {}), new["framework"]
    what = []
    if o.get("version") != n.get("version"):
        what.append(f"version {o.get('version')} -> {n.get('version')}")
    if o.get("source_sha256") != n.get("source_sha256"):
        what.append(f"source {_short(o.get('source_sha256'))} -> {_short(n.get('source_sha256'))} "
                    f"({_file_changes(o.get('source_files', {}), n.get('source_files', {}))})")
    if what:
        out.append("nasbench-eval: " + "; ".join(what))
    return out


def refusal_message(out, todo: int, n_cells: int, found: list[str]) -> str:
    return (f"{out} was started with other code or parameters and {todo} of {n_cells} cells are still to run: "
            f"resuming would mix cells computed by two versions. Changed: {'; '.join(found)}. Run into a new --out "
            "folder to compute every cell with the current code, or rerun with --allow-code-change (Python: "
            "run_experiment(..., allow_code_change=True)) to continue anyway; the change is then recorded in "
            "manifest.json under code_changes")
