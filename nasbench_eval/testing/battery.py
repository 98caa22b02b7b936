"""The battery's problems and run helpers: the benchmark problems an algorithm declares it can solve, one seeded
run of it on one of them, and the digest that identifies a run bit for bit (see :mod:`nasbench_eval.testing`)."""
from __future__ import annotations

import hashlib
import json

import numpy as np

from ..errors import ConfigError, InvalidArchError
from ..evaluators.base import Evaluation, Evaluator

BUDGET = {True: 120, False: 400}  # evaluations per run: quick / full
SEEDS = {True: (7,), False: (7, 11, 13)}
CONSTRAINED_QUANTILE = 0.3
_PROBLEMS: dict[str, object] = {}


# ------------------------------------------------------------------------------------------------ problems
def _toy_darts_problem():
    from ..problems import Objective, Problem
    from ..spaces.darts import DartsSpace

    class ToyDartsScore(Evaluator):
        """sep_conv_3x3 in the normal cell, sep_conv_5x5 in the reduction cell and edges from the cell inputs
        score (maximum 8 + 0.5 * 8 + 0.1 * 16 = 13.6); deterministic, no store, no training."""

        metrics = ("score",)
        arch_shape = (32,)

        def _evaluate(self, archs):
            v = archs.reshape(len(archs), 2, 4, 2, 2)
            s = ((v[:, 0, :, :, 0] == 4).sum((1, 2)) + 0.5 * (v[:, 1, :, :, 0] == 5).sum((1, 2))
                 + 0.1 * (v[..., 1] <= 1).sum((1, 2, 3)))
            return Evaluation({"score": s.astype(float)}, np.ones(len(archs)))

    return Problem(DartsSpace(), ToyDartsScore(), (Objective("score"),), name="darts-toy")


def battery_problem(key: str):
    """The battery's problem ``key`` (built once per process; runs never mutate a problem)."""
    if key not in _PROBLEMS:
        if key == "single-objective":
            from ..problems import nb201_problem

            _PROBLEMS[key] = nb201_problem("cifar10")
        elif key == "constrained":
            from ..problems.hw import hw_problem

            _PROBLEMS[key] = hw_problem("cifar10", "fpga", "latency", kind="constrained",
                                        quantile=CONSTRAINED_QUANTILE)
        elif key == "multi-objective":
            from ..problems.hw import hw_problem

            _PROBLEMS[key] = hw_problem("cifar10", "fpga", "latency", kind="bi-objective")
        elif key == "darts":
            _PROBLEMS[key] = _toy_darts_problem()
        else:
            raise ConfigError(f"unknown battery problem {key!r}; allowed: single-objective, constrained, "
                              "multi-objective, darts")
    return _PROBLEMS[key]


def problem_keys(cls) -> list[str]:
    """The battery problems ``cls`` declares it can solve (see the module docstring)."""
    needs_hw = getattr(cls, "battery_problem", None) == "hw"
    spaces = tuple(getattr(cls, "spaces", ("nb201",)))
    keys = []
    if "nb201" in spaces:
        if not needs_hw:
            keys.append("single-objective")
        if getattr(cls, "handles_constraints", True):
            keys.append("constrained")
        if getattr(cls, "multi_objective", False):  # ``scalarises`` permits a bi-objective problem, declares none
            keys.append("multi-objective")
    if "darts" in spaces and not needs_hw:
        keys.append("darts")
    return keys


# ------------------------------------------------------------------------------------------------ helpers
def _as_class(algorithm) -> type:
    if isinstance(algorithm, str):
        from ..search.registry import get_algorithm

        return get_algorithm(algorithm)
    return algorithm if isinstance(algorithm, type) else type(algorithm)


def _label(cls) -> str:
    return repr(getattr(cls, "name", "") or cls.__name__)


def _run(cls, key: str, seed: int, quick: bool, problem=None, algo=None):
    from ..search import run

    problem = problem if problem is not None else battery_problem(key)
    algo = algo if algo is not None else cls()
    try:
        return run(algo, problem, BUDGET[quick], seed=seed)
    except InvalidArchError as exc:
        raise AssertionError(f"algorithm {_label(cls)} on the {key} problem proposed an invalid architecture: "
                             f"{exc}") from exc
    except RuntimeError as exc:
        if "leakage" in str(exc):
            raise AssertionError(f"algorithm {_label(cls)} on the {key} problem read a test metric while searching: "
                                 f"{exc}") from exc
        raise


def trajectory_digest(res) -> str:
    """sha256 of a run's whole trajectory (every column, in order) and its chosen indices: equal digests = the same
    run, bit for bit. Used by the determinism checks and the golden snapshot tests."""
    h = hashlib.sha256()
    for k in sorted(res.trajectory):
        h.update(k.encode())
        h.update(np.ascontiguousarray(res.trajectory[k]).tobytes())
    h.update(json.dumps([c["index"] for c in res.chosen]).encode())
    return h.hexdigest()


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return a is b


def _fail(cls, msg: str):
    raise AssertionError(f"algorithm {_label(cls)}: {msg}")
