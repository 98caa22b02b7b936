"""nasbench-eval: hardware-aware NAS on tabular benchmarks, with live RMI / supernet paths and honest statistics.

The public API is what ``__all__`` lists; names are imported lazily so ``import nasbench_eval`` stays fast and
never imports torch::

    import nasbench_eval as ne

    problem = ne.hw_problem("cifar10", "pixel3", "latency", kind="constrained", quantile=0.3)
    res = ne.run(ne.get_algorithm("rea")(), problem, 500, seed=0)          # one search
    ne.run_experiment("grid.yaml", "results/", backend="joblib", jobs=4)   # a seeded grid
    results = ne.load_results("results/")      # .runs / .evaluations / .chosen: tidy DataFrames
    ne.stats.summarize(ne.stats.final_values(results.runs, "test_acc"))   # mean, CI per algorithm x problem
    ne.make_report("results/")
    ne.check_algorithm(MyAlgorithm)            # the shared battery, for your own algorithm
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "get_store": "nasbench_eval.tables", "load_store": "nasbench_eval.tables",
    "BenchmarkStore": "nasbench_eval.tables", "dataset_view": "nasbench_eval.tables",
    "hw_column": "nasbench_eval.tables", "import_official": "nasbench_eval.tables.official",
    "NB201Space": "nasbench_eval.spaces", "get_space": "nasbench_eval.spaces", "nb201": "nasbench_eval.spaces",
    "Evaluation": "nasbench_eval.evaluators", "Evaluator": "nasbench_eval.evaluators",
    "TabularEvaluator": "nasbench_eval.evaluators.tabular", "CachedEvaluator": "nasbench_eval.evaluators.cache",
    "ProxyNoiseEvaluator": "nasbench_eval.evaluators.noise",
    "Problem": "nasbench_eval.problems", "Objective": "nasbench_eval.problems",
    "Constraint": "nasbench_eval.problems", "nb201_problem": "nasbench_eval.problems",
    "Algorithm": "nasbench_eval.search", "Budget": "nasbench_eval.search", "run": "nasbench_eval.search",
    "get_algorithm": "nasbench_eval.search", "available": "nasbench_eval.search",
    "register": "nasbench_eval.search", "RunResult": "nasbench_eval.search",
    "hw_problem": "nasbench_eval.problems", "ProblemSpec": "nasbench_eval.problems.spec",
    "run_experiment": "nasbench_eval.runner", "load_results": "nasbench_eval.runner",
    "Results": "nasbench_eval.runner", "make_report": "nasbench_eval.report",
    "check_algorithm": "nasbench_eval.testing",
}
_MODULES = {"stats": "nasbench_eval.stats", "report": "nasbench_eval.report", "testing": "nasbench_eval.testing"}
__all__ = sorted([*_EXPORTS, *_MODULES]) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    raise AttributeError(f"module 'nasbench_eval' has no attribute {name!r}")


def __dir__():
    return __all__
