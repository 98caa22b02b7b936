"""CMANAS: CMA-ES over architecture parameters with an architecture-fitness (AF) table.

Sinha & Chen, "Neural architecture search using covariance matrix adaptation evolution strategy", Evolutionary
Computation 32(2), 2024 (arXiv 2107.07266). Default settings = the paper's non-weight-sharing NB201 variant
CMANAS-h12-Ep25 (NB201 results table): mean 0, sigma 1.3, C = I, default lambda = 4 + floor(3 ln n) (14 for NB201's
n = 30, 20 for DARTS' n = 224), 25 generations.

A search point x in R^n is the flattened alpha ``(space.n_edges, space.n_ops)``, decoded by ``space.decode_alpha``.
Fitness is maximised (CMA-ES minimises its negation). Each generation asks the decoded current mean (as in the reference
code, the mean is evaluated every generation and enters the table) and the lambda decoded samples; decoded archs already
in the run's AF table are not asked again, so the evaluation budget counts only real evaluations (cache hits never reach
the evaluator). After the last generation the decoded final mean is evaluated too.

Answer (as in the paper): the decoded mean after the last generation. When a budget stops the run first, it is the
most recent decoded mean whose fitness was measured; a mean whose measured fitness is missing (NaN) is skipped.

Constrained problems (our extension; the paper has no constraints): the samples are ranked by Deb's rules
(feasible first, less violation first, then fitness) in the CMA-ES update, and the answer is the most recent
measured mean that is feasible; when no measured mean is feasible, the best evaluated architecture by Deb's rules
(feasible whenever any evaluated architecture was). Without constraints both are the paper's rules.

The CMA-ES is our own implementation of the standard algorithm with negative weights (Hansen, "The CMA Evolution
Strategy: A Tutorial", arXiv 1604.00772, Table 1 / Appendix A), drawing only from the run's Generator: the ``cma``
package seeds and samples from numpy's *global* RNG (``np.random.seed`` / ``np.random.randn``), which our runs
never touch.
"""
from __future__ import annotations

import contextlib
import math
import sys
from functools import lru_cache

import numpy as np

from nasbench_eval.search import Algorithm
from nasbench_eval.search.params import Boolean, Interval, Optional

from . import _ga


@lru_cache(maxsize=1)
def _blas_controller():
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return None
    return ThreadpoolController()


def _one_blas_thread():
    """Single-threaded BLAS for the small eigendecompositions: a multi-threaded BLAS is up to 100x slower on
    30 x 30 matrices when the machine is busy (the numbers do not change)."""
    ctl = _blas_controller()
    return ctl.limit(limits=1, user_api="blas") if ctl is not None else contextlib.nullcontext()


class CMAES:
    """Standard (mu/mu_w, lambda)-CMA-ES with negative weights, minimising; ask/tell on arrays, Generator-seeded."""

    def __init__(self, mean: np.ndarray, sigma: float, rng: np.random.Generator, popsize: int | None = None):
        n = len(mean)
        self.n, self.rng = n, rng
        self.lam = int(popsize) if popsize is not None else 4 + int(math.floor(3 * math.log(n)))
        self.mu = self.lam // 2
        w = math.log((self.lam + 1) / 2) - np.log(np.arange(1, self.lam + 1))
        pos, neg = w[w > 0], w[w < 0]
        self.mueff = pos.sum() ** 2 / (pos**2).sum()
        mueff_neg = neg.sum() ** 2 / (neg**2).sum() if len(neg) else 0.0
        self.cs = (self.mueff + 2) / (n + self.mueff + 5)
        self.ds = 1 + 2 * max(0.0, math.sqrt((self.mueff - 1) / (n + 1)) - 1) + self.cs
        self.cc = (4 + self.mueff / n) / (n + 4 + 2 * self.mueff / n)
        self.c1 = 2 / ((n + 1.3) ** 2 + self.mueff)
        self.cmu = min(1 - self.c1, 2 * (self.mueff - 2 + 1 / self.mueff) / ((n + 2) ** 2 + self.mueff))
        scale_neg = min(1 + self.c1 / self.cmu, 1 + 2 * mueff_neg / (self.mueff + 2),
                        (1 - self.c1 - self.cmu) / (n * self.cmu)) if self.cmu > 0 else 0.0
        self.weights = np.where(w >= 0, w / pos.sum(), scale_neg * w / max(np.abs(neg).sum(), 1e-300))
        self.chin = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n))
        self.mean = np.array(mean, dtype=float)
        self.sigma = float(sigma)
        self.C, self.B, self.D = np.eye(n), np.eye(n), np.ones(n)
        self.ps, self.pc = np.zeros(n), np.zeros(n)
        self.g = 0
        self._y: np.ndarray | None = None

    def ask(self) -> np.ndarray:
        """``lam`` samples ``m + sigma * B D z`` (rows)."""
        z = self.rng.standard_normal((self.lam, self.n))
        with _one_blas_thread():
            self._y = (z * self.D) @ self.B.T
        return self.mean + self.sigma * self._y

    def tell(self, f: np.ndarray) -> None:
        """Update from the objective values (minimised; ties keep sample order) of the last :meth:`ask`."""
        with _one_blas_thread():
            self._update(f)

    def _update(self, f: np.ndarray) -> None:
        n, y = self.n, self._y[np.argsort(np.asarray(f, dtype=float), kind="stable")]
        yw = self.weights[: self.mu] @ y[: self.mu]
        self.mean = self.mean + self.sigma * yw  # c_m = 1
        inv_sqrt = (self.B / self.D) @ self.B.T  # C^-1/2
        self.ps = (1 - self.cs) * self.ps + math.sqrt(self.cs * (2 - self.cs) * self.mueff) * (inv_sqrt @ yw)
        self.g += 1
        hs = (np.linalg.norm(self.ps) / math.sqrt(1 - (1 - self.cs) ** (2 * self.g))
              < (1.4 + 2 / (n + 1)) * self.chin)
        self.pc = (1 - self.cc) * self.pc + hs * math.sqrt(self.cc * (2 - self.cc) * self.mueff) * yw
        w = self.weights.copy()
        negm = w < 0
        if negm.any():
            norms = np.sum((y[negm] @ inv_sqrt.T) ** 2, axis=1)
            w[negm] *= n / np.maximum(norms, 1e-300)
        dh = (1 - hs) * self.cc * (2 - self.cc)
        self.C = ((1 + self.c1 * dh - self.c1 - self.cmu * self.weights.sum()) * self.C
                  + self.c1 * np.outer(self.pc, self.pc) + self.cmu * (y.T * w) @ y)
        self.sigma *= math.exp(self.cs / self.ds * (np.linalg.norm(self.ps) / self.chin - 1))
        self.C = (self.C + self.C.T) / 2
        d2, self.B = np.linalg.eigh(self.C)
        self.D = np.sqrt(np.maximum(d2, 1e-300))

    @property
    def degenerate(self) -> bool:
        """True when the distribution has collapsed numerically (nothing left to search)."""
        return not np.isfinite(self.sigma) or self.sigma * self.D.max() < 1e-12 or self.D.max() / self.D.min() > 1e14


class CMANAS(_ga.GenerationalSearch, Algorithm):
    name = "cmanas"
    summary = "CMANAS: CMA-ES over real alpha (mean 0, sigma 1.3, default lambda), AF table, answer = decoded mean"
    paper = ("Sinha & Chen, Neural architecture search using covariance matrix adaptation evolution strategy, "
             "Evolutionary Computation 2024 (arXiv 2107.07266)")
    spaces = ("nb201", "darts")
    parameter_constraints = {
        "sigma0": Interval(float, 0, sys.float_info.max, closed="right"),
        "mean0": Interval(float, -sys.float_info.max, sys.float_info.max),  # finite: every coordinate's start
        "population_size": Optional(Interval(int, 2, None)),
        "generations": _ga.GENERATIONS,
        "af_table": Boolean(),
    }

    def __init__(self, sigma0: float = 1.3, mean0: float = 0.0, population_size: int | None = None,
                 generations: int | None = 25, af_table: bool = True):
        self.sigma0 = sigma0
        self.mean0 = mean0
        self.population_size = population_size
        self.generations = generations
        self.af_table = af_table

    def _setup(self) -> None:
        self._shape = (self.space.n_edges, self.space.n_ops)
        n = self._shape[0] * self._shape[1]
        self.es = CMAES(np.full(n, float(self.mean0)), float(self.sigma0), self.rng, self.population_size)
        self._init_generations(use_table=self.af_table)
        self._final = False  # the last batch: only the decoded final mean
        self._x: np.ndarray | None = None
        self._means: list[tuple[np.ndarray, float, float]] = []  # (decoded mean, fitness, violation) per generation

    def _decode(self, X: np.ndarray) -> np.ndarray:
        return self.space.decode_alpha(X.reshape(-1, *self._shape))

    def _candidates(self) -> np.ndarray:
        if self._final:
            return self._decode(self.es.mean[None])
        self._x = self.es.ask()
        return self._decode(np.concatenate([self.es.mean[None], self._x]))

    def _advance(self, key: np.ndarray) -> None:
        self._means.append((self._last_archs[0], float(self._last_fit[0]), float(self._last_viol[0])))
        if self._final:
            self._done = True
            return
        self.es.tell(-key[1:])  # CMA-ES minimises; Deb key: feasible first, a missing metric ranks last
        if (self.generations is not None and self.es.g >= self.generations) or self.es.degenerate:
            self._final = True

    def result(self) -> np.ndarray:
        known = list(self._means)
        archs, fit, viol = self._known_current()
        if self._cand is not None and len(archs) and np.array_equal(archs[0], self._cand[0]):
            known.append((archs[0], float(fit[0]), float(viol[0])))  # the current mean has been measured
        for arch, f, v in reversed(known):
            if np.isfinite(f) and v == 0:
                return arch[None]
        if self.archive_archs:  # no feasible mean with a measured fitness: the best seen by Deb's rules
            return Algorithm.result(self)
        return self._decode(self.es.mean[None])
