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
    """Factory of a fake-scored DARTS problem: proves an algorithm is space-generic without training anything."""
    from nasbench_eval import Evaluation, Evaluator, Objective, Problem
    from nasbench_eval.spaces.darts import DartsSpace

    class DartsScore(Evaluator):
        """Deterministic: sep_conv_3x3 in the normal cell, sep_conv_5x5 in the reduction cell, edges from the cell
        inputs score; the optimum is known (8 + 0.5 * 8 + 0.1 * 16 = 13.6)."""

        metrics = ("score",)
        arch_shape = (32,)

        def _evaluate(self, archs):
            v = archs.reshape(len(archs), 2, 4, 2, 2)
            s = ((v[:, 0, :, :, 0] == 4).sum((1, 2)) + 0.5 * (v[:, 1, :, :, 0] == 5).sum((1, 2))
                 + 0.1 * (v[..., 1] <= 1).sum((1, 2, 3)))
            return Evaluation({"score": s.astype(float)}, np.ones(len(archs)))

    return lambda: Problem(DartsSpace(), DartsScore(), (Objective("score"),), name="darts-fake")
