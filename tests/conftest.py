"""Shared fixtures. The benchmark store is built once from the bundled data (../shared/data) if missing."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def store():
    from nasbench_eval.tables import get_store

    return get_store()


@pytest.fixture(scope="session")
def c10_problem(store):
    from nasbench_eval.problems import nb201_problem

    return nb201_problem("cifar10", store=store)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def darts_problem():
    """Factory of a fake-scored DARTS problem (the author kit's toy problem, optimum 13.6): proves an algorithm is
    space-generic without training anything."""
    from nasbench_eval.testing.battery import _toy_darts_problem

    return _toy_darts_problem
