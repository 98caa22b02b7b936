"""Benchmark tables: the built store (dense columns + provenance) and the dataset / device views."""
from .columns import (
           DATASETS,
           HELP_DEVICES,
           HW_DEVICES,
           HW_METRICS,
           dataset_view,
           hw_column,
)
from .locate import get_store
from .store import BenchmarkStore, load_store

__all__ = ["DATASETS", "HELP_DEVICES", "HW_DEVICES", "HW_METRICS", "dataset_view", "hw_column", "BenchmarkStore",
           "get_store", "load_store"]
