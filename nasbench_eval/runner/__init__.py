"""Experiment runner: spec -> seeded grid of cells -> backend -> resumable Parquet result store."""
from .backends import BACKENDS
from .experiment import cell_seeds, run_experiment
from .spec import Cell, Spec, load_spec, parse_spec
from .store import Results, ResultStore, ResultStoreError, compare_results, load_results

__all__ = ["BACKENDS", "Cell", "ResultStore", "ResultStoreError", "Results", "Spec", "cell_seeds",
           "compare_results", "load_results", "load_spec", "parse_spec", "run_experiment"]
