"""The shared battery (nasbench_eval.testing) on every algorithm discovery finds, plug-ins included, and the
battery's own tests: each check must fail a deliberately broken algorithm."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench_eval import Algorithm, run, testing
from nasbench_eval.errors import ConfigError
from nasbench_eval.search import available, get_algorithm
from nasbench_eval.search.params import Interval

ALGORITHMS = available()
CHECKS = [f.__name__ for f in testing.ALL_CHECKS]


def test_registry_is_not_empty():
    assert {"random", "rea", "nsga2"} <= set(ALGORITHMS)


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("name", ALGORITHMS)
def test_battery(name, check):
    cls = get_algorithm(name)
    reason = (getattr(cls, "battery_exceptions", None) or {}).get(check)
    if reason:
        pytest.skip(f"declared by {name}: {reason}")
    getattr(testing, check)(cls)


# ------------------------------------------------------------------------------------------------ the battery's tests
class Tiny(Algorithm):
    """A correct small algorithm: uniform sampling, the base class's feasibility-first answer."""

    name = "tiny"
    summary = "uniform sampling (battery self-test)"
    spaces = ("nb201", "darts")
    parameter_constraints = {"batch_size": Interval(int, 1, None)}

    def __init__(self, batch_size: int = 10):
        self.batch_size = batch_size

    def ask(self):
        return self.space.random(self.rng, self.batch_size)


class CheatsInAsk(Tiny):
    name = "cheats-in-ask"

    def ask(self):
        arch = self.space.random(self.rng, 1)
        self.problem.report(arch)  # peeks at test accuracy
        return arch


class CheatsInResult(Tiny):
    """Searches honestly, then picks its answer by test accuracy (the leak of NEvoNAS's reference code)."""

    name = "cheats-in-result"

    def result(self):
        archs = np.concatenate(self.archive_archs)
        test = self.problem.report(archs)["test_acc"]
        return archs[[int(np.nanargmax(test))]]


class IgnoresConstraints(Tiny):
    """Answers the best fitness seen, feasible or not."""

    name = "ignores-constraints"

    def result(self):
        archs, fit = np.concatenate(self.archive_archs), np.concatenate(self.archive_fitness)
        return archs[[int(np.argmax(fit))]]


class GlobalRandom(Tiny):
    name = "global-random"

    def ask(self):
        return self.space.random(np.random.default_rng(), self.batch_size)  # not the run's Generator


class BusyConstructor(Tiny):
    name = "busy-constructor"

    def __init__(self, batch_size: int = 10):
        if batch_size < 1:
            raise ConfigError("batch_size must be >= 1")
        self.batch_size = batch_size
        self.population = []


class Undeclared(Tiny):
    name = "undeclared"
    parameter_constraints = {}


class ChokesOnNaN(Tiny):
    name = "chokes-on-nan"

    def _tell(self, archs, evaluation):
        if np.isnan(self.problem.fitness(evaluation)).any() or np.isinf(self.problem.fitness(evaluation)).any():
            raise ValueError("cannot sort NaN")


def test_a_correct_algorithm_passes_the_whole_battery():
    out = testing.check_algorithm(Tiny)
    assert out == {c: "passed" for c in CHECKS}


@pytest.mark.parametrize("cls, check, message", [
    (CheatsInAsk, "check_no_test_read", r"read the test/report column .* in ask\(\)"),
    (CheatsInResult, "check_no_test_read", r"read the test/report column .* in result\(\)"),
    (IgnoresConstraints, "check_feasible_answer", r"answered infeasible architecture"),
    (GlobalRandom, "check_determinism", r"two runs with seed 7 differ"),
    (BusyConstructor, "check_constructor", r"__init__ sets attributes \['population'\]"),
    (Undeclared, "check_parameter_constraints", r"parameters \['batch_size'\] have no declared constraint"),
    (ChokesOnNaN, "check_nan_robust", r"crashed when some evaluations are NaN"),
])
def test_each_check_fails_a_broken_algorithm(cls, check, message):
    with pytest.raises(AssertionError, match=message):
        getattr(testing, check)(cls)


def test_check_algorithm_lists_every_failed_check_and_honours_declared_exceptions():
    with pytest.raises(AssertionError, match=r"'cheats-in-result' failed \d of 8 checks:\n(.*\n)*- check_no_test_read: "
                                             r".* in result\(\)"):
        testing.check_algorithm(CheatsInResult)

    class Excused(IgnoresConstraints):
        battery_exceptions = {"check_feasible_answer": "demonstration", "check_fresh_process_determinism": "local"}

    out = testing.check_algorithm(Excused)
    assert out["check_feasible_answer"] == "skipped: demonstration" and out["check_determinism"] == "passed"

    class Typo(Tiny):
        battery_exceptions = {"check_determinsm": "typo"}

    with pytest.raises(ConfigError, match="unknown checks \\['check_determinsm'\\]"):
        testing.check_algorithm(Typo)


def test_a_class_a_fresh_process_cannot_import_is_named():
    class Local(Tiny):
        pass

    with pytest.raises(AssertionError, match="cannot be imported by a fresh process"):
        testing.check_fresh_process_determinism(Local)


def test_the_run_loop_guard_refuses_a_test_read_during_search(c10_problem):
    with pytest.raises(RuntimeError, match="leakage"):
        run(CheatsInAsk(), c10_problem, 10, seed=0)


def test_problem_keys_follow_what_the_algorithm_declares():
    assert testing.problem_keys(Tiny) == ["single-objective", "constrained", "darts"]
    assert "multi-objective" in testing.problem_keys(get_algorithm("nsga2"))

    class NoConstraints(Tiny):
        handles_constraints = False
        spaces = ("nb201",)

    assert testing.problem_keys(NoConstraints) == ["single-objective"]
