"""The shared battery every search algorithm must pass (scikit-learn's ``check_estimator`` in spirit).

Run it on your own algorithm after ``pip install nasbench-eval``::

    from nasbench_eval.testing import check_algorithm
    check_algorithm(MyAlgorithm)        # raises AssertionError listing every failed check

Each check is also a public function taking the class (``check_determinism(MyAlgorithm)``), raising
``AssertionError`` with a message that says what went wrong. The checks run the algorithm on the benchmark
problems it declares it can solve (class attributes ``spaces``, ``multi_objective``, ``handles_constraints``,
``battery_problem = "hw"`` for algorithms that need a hardware cost):

* ``single-objective``: NB201 CIFAR-10, 200-epoch validation accuracy;
* ``constrained``: the same, subject to FPGA latency <= its 0.3 quantile (HW-NAS-Bench);
* ``multi-objective``: validation accuracy vs FPGA latency;
* ``darts``: a deterministic toy score on the DARTS space (proves an algorithm is space-generic).

A check an algorithm is known to fail is declared on the class with a reason, and skipped::

    battery_exceptions = {"check_fresh_process_determinism": "uses a GPU kernel without a deterministic mode"}

The benchmark store must be built (``nasbench-eval data build``) for the NB201 problems.
"""
from __future__ import annotations

from ..errors import ConfigError
from .battery import _as_class, _label, battery_problem, problem_keys, trajectory_digest
from .checks import (check_constructor, check_determinism, check_feasible_answer, check_fresh_process_determinism,
                     check_nan_robust, check_no_test_read, check_parameter_constraints, check_valid_archs_and_budget)

__all__ = ["ALL_CHECKS", "algorithm_checks", "battery_problem", "check_algorithm", "check_constructor",
           "check_determinism", "check_feasible_answer", "check_fresh_process_determinism", "check_nan_robust",
           "check_no_test_read", "check_parameter_constraints", "check_valid_archs_and_budget", "problem_keys",
           "trajectory_digest"]


ALL_CHECKS = (check_constructor, check_parameter_constraints, check_valid_archs_and_budget, check_determinism,
              check_fresh_process_determinism, check_feasible_answer, check_no_test_read, check_nan_robust)


def algorithm_checks(algorithm) -> list[tuple[str, object, str | None]]:
    """``(check name, check function, skip reason or None)`` for every check of the battery."""
    cls = _as_class(algorithm)
    exceptions = dict(getattr(cls, "battery_exceptions", None) or {})
    names = {f.__name__ for f in ALL_CHECKS}
    unknown = sorted(set(exceptions) - names)
    if unknown:
        raise ConfigError(f"battery_exceptions of {_label(cls)} names unknown checks {unknown}; allowed: "
                          f"{', '.join(sorted(names))}")
    return [(f.__name__, f, exceptions.get(f.__name__)) for f in ALL_CHECKS]


def check_algorithm(algorithm, *, quick: bool = True) -> dict[str, str]:
    """Run the whole battery on ``algorithm`` (a class, an instance's class, or a registered name).

    quick: one seed and 120 evaluations per run (seconds); ``False``: three seeds, 400 evaluations, every problem in
    a fresh process. Returns ``{check: "passed" | "skipped: reason"}``; raises ``AssertionError`` listing every
    failed check with its message.
    """
    cls = _as_class(algorithm)
    outcome, failures = {}, []
    for name, check, reason in algorithm_checks(cls):
        if reason:
            outcome[name] = f"skipped: {reason}"
            continue
        try:
            check(cls, quick=quick)
        except AssertionError as exc:
            failures.append(f"- {name}: {exc}")
            outcome[name] = "failed"
        else:
            outcome[name] = "passed"
    if failures:
        raise AssertionError(f"algorithm {_label(cls)} failed {len(failures)} of {len(outcome)} checks:\n"
                             + "\n".join(failures))
    return outcome
