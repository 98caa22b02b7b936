"""The checks of the battery (see :mod:`nasbench_eval.testing`): each takes an algorithm class and raises
``AssertionError`` saying what went wrong."""
from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import subprocess
import sys

import numpy as np

from ..errors import ConfigError, InvalidArchError
from ..evaluators.base import Evaluation, Evaluator
from .battery import (BUDGET, SEEDS, _as_class, _fail, _run, _same, battery_problem, problem_keys,
                      trajectory_digest)

# ------------------------------------------------------------------------------------------------ checks
def check_constructor(algorithm, *, quick: bool = True) -> None:
    """The constructor only stores its parameters: ``cls()`` works, ``get_params()`` returns exactly the defaults,
    ``cls(**get_params())`` round-trips, no other attribute is set and nothing is validated in ``__init__``."""
    from ..search.params import declared_constraints, invalid_values

    cls = _as_class(algorithm)
    for attr in ("name", "summary"):
        if not isinstance(getattr(cls, attr, None), str) or not getattr(cls, attr):
            _fail(cls, f"needs a non-empty class attribute {attr!r} (a string)")
    inst = cls()
    params, defaults = inst.get_params(), cls.defaults()
    if list(params) != list(defaults) or not all(_same(params[k], defaults[k]) for k in defaults):
        _fail(cls, f"cls().get_params() {params!r} differs from the constructor defaults {defaults!r}: store each "
                   "argument unchanged under its own name")
    extra = sorted(set(vars(inst)) - set(cls.param_names()))
    if extra:
        _fail(cls, f"__init__ sets attributes {extra} besides its parameters; constructors only store their "
                   "parameters (build state in _setup, when the run starts)")
    again = cls(**params).get_params()
    if not all(_same(again[k], params[k]) for k in params):
        _fail(cls, f"cls(**get_params()) does not round-trip: {again!r} != {params!r}")
    copy.deepcopy(inst)
    for k, c in declared_constraints(cls).items():
        for bad in invalid_values(c)[:1]:
            try:
                obj = cls(**{k: bad})
            except Exception as exc:  # noqa: BLE001 - any exception here is the failure we report
                _fail(cls, f"__init__ validates {k}={bad!r} ({type(exc).__name__}: {exc}); validate in setup "
                           "(parameter_constraints do it for you), not in the constructor")
            if getattr(obj, k) is not bad:
                _fail(cls, f"__init__ does not store parameter {k!r} unchanged")


def check_parameter_constraints(algorithm, *, quick: bool = True) -> None:
    """Bad parameters are clear errors: every parameter has a declared constraint that its default satisfies; an
    unknown name, and each invalid value, raise ``ConfigError`` naming the algorithm and the parameter, both from
    ``from_params`` (YAML / CLI) and at ``setup`` (objects built in Python)."""
    from ..search.params import declared_constraints, invalid_values

    cls = _as_class(algorithm)
    name = getattr(cls, "name", "") or cls.__name__
    try:
        cls.from_params({"no_such_parameter": 1})
    except ConfigError as exc:
        if "no_such_parameter" not in str(exc):
            _fail(cls, f"the error for an unknown parameter does not name it: {exc}")
    else:
        _fail(cls, "from_params accepted an unknown parameter 'no_such_parameter'")
    constraints = declared_constraints(cls)
    missing = [k for k in cls.param_names() if k not in constraints]
    if missing:
        _fail(cls, f"parameters {missing} have no declared constraint: add them to parameter_constraints "
                   "(Interval, Options, Boolean, Optional, Sequence from nasbench_eval.search.params)")
    unknown = sorted(set(constraints) - set(cls.param_names()))
    if unknown:
        _fail(cls, f"parameter_constraints names {unknown}, which are not constructor parameters")
    defaults = cls.defaults()
    for k, c in constraints.items():
        if not c.is_satisfied_by(defaults[k]):
            _fail(cls, f"the default {k}={defaults[k]!r} violates its own constraint ({c})")
    keys = problem_keys(cls)
    for k, c in constraints.items():
        for bad in invalid_values(c):
            try:
                cls.from_params({k: bad})
            except ConfigError as exc:
                if repr(k) not in str(exc) or name not in str(exc):
                    _fail(cls, f"the error for {k}={bad!r} should name the algorithm {name!r} and the parameter "
                               f"{k!r}: {exc}")
            else:
                _fail(cls, f"from_params accepted {k}={bad!r}, which its constraint ({c}) refuses")
        if keys:
            bad = invalid_values(c)[0]
            try:
                cls(**{k: bad}).setup(battery_problem(keys[0]), np.random.default_rng(0))
            except ConfigError as exc:
                if repr(k) not in str(exc):
                    _fail(cls, f"setup's error for {k}={bad!r} does not name the parameter: {exc}")
            else:
                _fail(cls, f"setup accepted {k}={bad!r}; call Algorithm.setup (it validates) from your setup")


def check_valid_archs_and_budget(algorithm, *, quick: bool = True) -> None:
    """On each declared problem: only valid architectures, the evaluation budget respected, a non-empty answer of
    valid architectures inside the problem's covered space."""
    cls = _as_class(algorithm)
    for key in problem_keys(cls):
        problem = battery_problem(key)
        res = _run(cls, key, SEEDS[quick][0], quick)
        t = res.trajectory
        if res.evaluations > BUDGET[quick]:
            _fail(cls, f"{key}: {res.evaluations} evaluations for a budget of {BUDGET[quick]}")
        if int((~t["cached"]).sum()) != res.evaluations:
            _fail(cls, f"{key}: the trajectory charges {int((~t['cached']).sum())} evaluations, the run "
                       f"{res.evaluations}")
        if res.evaluations == 0:
            _fail(cls, f"{key}: no evaluation in a budget of {BUDGET[quick]} (stopped by {res.stopped_by})")
        if not len(res.chosen):
            _fail(cls, f"{key}: result() returned no architecture")
        for c in res.chosen:
            try:
                same = problem.space.key(problem.space.parse(c["arch"])) == c["index"]
            except InvalidArchError as exc:
                _fail(cls, f"{key}: result() chose an invalid architecture {c['arch']} ({exc})")
            if not same:
                _fail(cls, f"{key}: result() architecture {c['arch']} does not match its key {c['index']}")
            if problem.allowed is not None and not problem.allowed[c["index"]]:
                _fail(cls, f"{key}: result() chose {c['arch']}, outside the problem's covered space")


def check_determinism(algorithm, *, quick: bool = True) -> None:
    """Same seed -> bit-identical trajectory and answer; another seed -> another trajectory."""
    cls = _as_class(algorithm)
    for key in problem_keys(cls):
        for seed in SEEDS[quick]:
            a, b = _run(cls, key, seed, quick), _run(cls, key, seed, quick)
            if trajectory_digest(a) != trajectory_digest(b):
                _fail(cls, f"{key}: two runs with seed {seed} differ; draw every random number from the Generator "
                           "given to setup (self.rng), never from a global RNG, the clock or set/dict order of ids")
        c = _run(cls, key, SEEDS[quick][0] + 1, quick)
        if np.array_equal(a.trajectory["key"], c.trajectory["key"]):
            _fail(cls, f"{key}: seeds {SEEDS[quick][0]} and {SEEDS[quick][0] + 1} give the same trajectory: the seed "
                       "is ignored")


def _digests(ref: str, keys: list[str], seed: int, quick: bool) -> dict[str, str]:
    """Run digests of ``ref`` (``module:Class``) on ``keys`` (what the fresh process of the check computes)."""
    from ..search.registry import get_algorithm

    cls = get_algorithm(ref)
    return {k: trajectory_digest(_run(cls, k, seed, quick)) for k in keys}


def check_fresh_process_determinism(algorithm, *, quick: bool = True) -> None:
    """A fresh Python process, importing the class by its ``module:Class`` reference, reproduces the trajectory
    bit for bit (what the joblib and Ray backends rely on)."""
    from ..search.registry import algorithm_ref

    cls = _as_class(algorithm)
    ref = algorithm_ref(cls)
    if ref is None:
        _fail(cls, f"{cls.__module__}.{cls.__qualname__} cannot be imported by a fresh process (defined in __main__, "
                   "a notebook or a function); define it at the top level of an importable module")
    keys = problem_keys(cls)[:1] if quick else problem_keys(cls)
    seed = SEEDS[quick][0]
    here = _digests(ref, keys, seed, quick)
    code = ("import json, sys; from nasbench_eval.testing.checks import _digests; "
            f"print(json.dumps(_digests({ref!r}, {keys!r}, {seed}, {quick})))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    if proc.returncode != 0:
        _fail(cls, f"the fresh process failed:\n{proc.stderr[-2000:]}")
    there = json.loads(proc.stdout.strip().splitlines()[-1])
    diff = [k for k in keys if here[k] != there[k]]
    if diff:
        _fail(cls, f"a fresh process gives another trajectory on {diff} with seed {seed}: the run depends on "
                   "process state (hash randomisation of str/set order, a global RNG, a cache filled earlier)")


def check_feasible_answer(algorithm, *, quick: bool = True) -> None:
    """On the constrained problem, every architecture of the answer is feasible whenever the search evaluated a
    feasible one (feasibility first, e.g. Deb's rules). An algorithm with ``handles_constraints = False`` must be
    refused up front there, with a ``ConfigError``."""
    cls = _as_class(algorithm)
    if "nb201" not in getattr(cls, "spaces", ("nb201",)):
        return
    problem = battery_problem("constrained")
    if not getattr(cls, "handles_constraints", True):
        try:
            cls().setup(problem, np.random.default_rng(0))
        except ConfigError:
            return
        _fail(cls, "declares handles_constraints = False but setup accepted a constrained problem")
    metric = problem.constraints[0].metric
    for seed in SEEDS[quick] + ((8,) if quick else ()):
        res = _run(cls, "constrained", seed, quick)
        t = res.trajectory
        seen = Evaluation({m: np.asarray(t[m], dtype=float) for m in problem.evaluator.metrics},
                          np.zeros(len(t["key"])))
        if not problem.feasible(seen).any():
            continue
        vals = {m: np.array([np.nan if c["metrics"].get(m) is None else c["metrics"][m] for c in res.chosen])
                for m in problem.evaluator.metrics}
        ok = problem.feasible(Evaluation(vals, np.zeros(len(res.chosen))))
        if not ok.all():
            bad = [f"{c['arch']} ({metric} {c['metrics'].get(metric)})" for c, f in zip(res.chosen, ok) if not f]
            _fail(cls, f"seed {seed}: answered infeasible architecture(s) {bad[:3]} although it evaluated "
                       f"{int(problem.feasible(seen).sum())} feasible ones ({problem.describe()['constraints']}); "
                       "prefer feasible architectures (Deb's rules: nasbench_eval.search.selection)")


class _ReadRecorder:
    def __init__(self, report_columns):
        from ..tables.columns import is_test_column

        self.is_test, self.report = is_test_column, set(report_columns)
        self.where: list[str] = []
        self.reads: list[tuple[str, str]] = []

    def __call__(self, column: str) -> bool:
        bad = self.is_test(column) or column in self.report
        if bad and self.where:
            self.reads.append((self.where[-1], column))
        return bad and bool(self.where)


def _guarded_class(cls, recorder, stores):
    """A subclass whose setup/ask/tell/result/finished run with test columns forbidden and reads recorded."""
    try:
        from ..tables.store import leakage_guard
    except ImportError:  # older store: per-store forbid only
        leakage_guard = contextlib.nullcontext

    @contextlib.contextmanager
    def inside(method):
        recorder.where.append(method)
        try:
            with contextlib.ExitStack() as stack:
                stack.enter_context(leakage_guard())
                for s in stores:
                    stack.enter_context(s.forbid(recorder))
                yield
        except RuntimeError as exc:  # the store's own guard may refuse before the recorder sees the read
            if "leakage" in str(exc) and not recorder.reads:
                found = re.search(r"column '([^']+)'", str(exc))
                recorder.reads.append((method, found.group(1) if found else str(exc)))
            raise
        finally:
            recorder.where.pop()

    def setup(self, *args, **kwargs):
        with inside("setup"):
            return cls.setup(self, *args, **kwargs)

    def ask(self, *args, **kwargs):
        with inside("ask"):
            return cls.ask(self, *args, **kwargs)

    def tell(self, *args, **kwargs):
        with inside("tell"):
            return cls.tell(self, *args, **kwargs)

    def result(self, *args, **kwargs):
        with inside("result"):
            return cls.result(self, *args, **kwargs)

    def finished(self):
        with inside("finished"):
            return cls.finished.fget(self)

    ns = {"setup": setup, "ask": ask, "tell": tell, "result": result, "finished": property(finished),
          "__module__": cls.__module__, "__qualname__": cls.__qualname__}
    return type(cls.__name__, (cls,), ns)


def check_no_test_read(algorithm, *, quick: bool = True) -> None:
    """No test metric (nor any of the problem's report columns) is read in setup, ask, tell, finished or result."""
    from ..tables.locate import get_store

    cls = _as_class(algorithm)
    for key in problem_keys(cls):
        if key == "darts":
            continue
        problem = battery_problem(key)
        try:
            from ..evaluators.base import stores_in

            stores = stores_in(problem.evaluator)
        except ImportError:
            stores = [s for s in (getattr(problem.evaluator, "store", None),) if s is not None]
        stores = list({id(s): s for s in [*stores, get_store()]}.values())
        recorder = _ReadRecorder(problem.report_columns.values())
        spy = _guarded_class(cls, recorder, stores)
        algo = spy(**cls().get_params())
        try:
            _run(cls, key, SEEDS[quick][0], quick, algo=algo)
        except AssertionError:
            if not recorder.reads:
                raise
        if recorder.reads:
            where, col = recorder.reads[0]
            _fail(cls, f"{key}: read the test/report column {col!r} in {where}() while searching; an algorithm "
                       "sees only Problem.evaluate (search metrics); test metrics are reported after the search")


class _NaNHoles(Evaluator):
    """Wraps an evaluator; NaN for about a quarter of the space (deterministic by architecture key)."""

    def __init__(self, inner, space):
        self.inner, self.space, self.store = inner, space, getattr(inner, "store", None)
        self.metrics, self.cost_unit, self.arch_shape = inner.metrics, inner.cost_unit, inner.arch_shape

    def _evaluate(self, archs):
        ev = self.inner.evaluate(archs)
        holes = (np.atleast_1d(self.space.key(archs)) % 4) == 0
        return Evaluation({k: np.where(holes, np.nan, v) for k, v in ev.values.items()}, ev.cost, ev.cached)


def check_nan_robust(algorithm, *, quick: bool = True) -> None:
    """An evaluator returning NaN for some architectures (missing benchmark entries) neither crashes the algorithm
    nor becomes its answer when scored architectures were seen."""
    cls = _as_class(algorithm)
    for key in problem_keys(cls):
        if key == "darts":
            continue
        problem = copy.copy(battery_problem(key))
        problem.evaluator = _NaNHoles(problem.evaluator, problem.space)
        problem.name = problem.name + "-holes"
        try:
            res = _run(cls, key, SEEDS[quick][0], quick, problem=problem)
        except (AssertionError, ConfigError):
            raise
        except Exception as exc:  # noqa: BLE001 - a crash on NaN is the failure we report
            _fail(cls, f"{key}: crashed when some evaluations are NaN ({type(exc).__name__}: {exc})")
        if res.evaluations > BUDGET[quick]:
            _fail(cls, f"{key} with NaN holes: {res.evaluations} evaluations for a budget of {BUDGET[quick]}")
        first = problem.objectives[0].metric
        if not any(c["metrics"].get(first) is not None for c in res.chosen):
            _fail(cls, f"{key} with NaN holes: the answer has no scored architecture ({first} is NaN for all of "
                       f"{[c['arch'] for c in res.chosen][:3]}); treat NaN as worst")
