"""RMI-NAS search strategy: a random-forest classifier guides sampling towards "good" architectures.

Zheng et al., "Neural architecture search with representation mutual information" (RMI-NAS), CVPR 2022 (search strategy
as in the authors' XNAS code, ``xnas/algorithms/RMINAS``). The strategy works with any proxy through ``problem.fitness``
(larger is better: an RMI loss is negated, an accuracy is used as is), so it runs on the tabular accuracy problem, an
RMI table or the live RMI path.

1. ``n_warmup`` (100) random archs are evaluated.
2. Threshold (fixed from then on) = the ``quantile`` (5 %) quantile of their losses, i.e. "good" means
   ``loss < q_0.05(loss)`` <=> ``fitness > q_0.95(fitness)`` (numpy linear interpolation, finite values only).
3. Each step: a random forest (``n_trees`` = 30, ``random_state`` drawn from the run's Generator at every refit)
   is fitted on the one-hot encodings of all evaluated archs, labels good / other; ``n_candidates`` (1,000)
   random unseen archs (inside the problem's ``allowed`` mask) are scored and the one with the highest "good"
   probability is evaluated (ties: the earliest sampled).
4. Stops (``finished``) after ``n_good`` (100) *new* good archs after the warm-up, or when the space is exhausted.

Answer ("sum" method): per-edge argmax of the summed one-hot encodings of the up to ``n_top`` (50) best good archs
(ties: the lower op id). If that arch lies outside the problem's allowed archs, the best good arch is returned
instead; if nothing is good, the best evaluated arch.

Constrained problems (our extension; the paper has no constraints): "good" also requires feasibility (the quantile
threshold is taken over the feasible warm-up archs when there are any), so the forest learns to propose good feasible
archs; the answer is feasible whenever any evaluated arch was: the summed arch only if it was evaluated and found
feasible, else the best evaluated arch by Deb's rules (the best good arch when there is one).
"""
from __future__ import annotations

import numpy as np

from nasbench_eval.search import Algorithm
from nasbench_eval.search.params import Interval
from nasbench_eval.search.selection import deb_best
from nasbench_eval.spaces import nb201


class RMINAS(Algorithm):
    name = "rminas"
    summary = "RMI-NAS strategy: 100 random warm-up, RF classifier (30 trees) picks the next arch, stop at 100 good"
    paper = "Zheng et al., Neural Architecture Search with Representation Mutual Information, CVPR 2022"
    scalarises = True  # on a bi-objective HW problem it optimises the first objective (the proxy) only
    parameter_constraints = {
        "n_warmup": Interval(int, 2, None),
        "quantile": Interval(float, 0, 1, closed="neither"),
        "n_trees": Interval(int, 1, None),
        "n_candidates": Interval(int, 1, None),
        "n_good": Interval(int, 1, None),
        "n_top": Interval(int, 1, None),
    }

    def __init__(self, n_warmup: int = 100, quantile: float = 0.05, n_trees: int = 30, n_candidates: int = 1000,
                 n_good: int = 100, n_top: int = 50):
        self.n_warmup = n_warmup
        self.quantile = quantile
        self.n_trees = n_trees
        self.n_candidates = n_candidates
        self.n_good = n_good
        self.n_top = n_top

    def _setup(self) -> None:
        n = self.space.size
        allowed = self.problem.allowed
        self._allowed = np.ones(n, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool).copy()
        self._seen = np.zeros(n, dtype=bool)
        self._keys: list[int] = []
        self._fit: list[float] = []
        self._viol: list[float] = []  # the problem's constraint violation (0 = feasible)
        self.threshold: float | None = None  # in fitness units (larger is better)
        self.n_new_good = 0
        self._warm = True

    @property
    def finished(self) -> bool:
        return self.n_new_good >= self.n_good or not (self._allowed & ~self._seen).any()

    def _unseen(self) -> np.ndarray:
        return np.flatnonzero(self._allowed & ~self._seen)

    def ask(self) -> np.ndarray:
        unseen = self._unseen()
        if self._warm:
            k = self.rng.choice(unseen, size=min(int(self.n_warmup), len(unseen)), replace=False)
            return self.space.from_key(k).reshape(len(k), -1)
        cand = self.rng.choice(unseen, size=min(int(self.n_candidates), len(unseen)), replace=False)
        X_c = nb201.ops_to_onehot(self.space.from_key(cand).reshape(len(cand), -1)).reshape(len(cand), -1)
        y = self._is_good(np.array(self._fit), np.array(self._viol))
        if y.any() and not y.all():
            from sklearn.ensemble import RandomForestClassifier

            X = nb201.ops_to_onehot(self.space.from_key(np.array(self._keys)).reshape(len(self._keys), -1))
            rf = RandomForestClassifier(n_estimators=int(self.n_trees), random_state=int(self.rng.integers(2**31 - 1)),
                                        n_jobs=1)
            rf.fit(X.reshape(len(X), -1), y)
            p = rf.predict_proba(X_c)[:, list(rf.classes_).index(True)]
        else:
            p = np.full(len(cand), float(y.all()))
        return self.space.from_key(cand[[int(np.argmax(p))]]).reshape(1, -1)

    def _tell(self, archs, ev) -> None:
        keys = np.atleast_1d(self.space.key(archs))
        fit = self.problem.fitness(ev)
        viol = self.problem.violation(ev)
        self._seen[keys] = True
        self._keys.extend(keys.tolist())
        self._fit.extend(fit.tolist())
        self._viol.extend(viol.tolist())
        if self._warm:
            self._warm = False
            f, v = np.array(self._fit), np.array(self._viol)
            f = f[np.isfinite(f) & (v == 0)] if (np.isfinite(f) & (v == 0)).any() else f[np.isfinite(f)]
            self.threshold = float(np.quantile(f, 1.0 - self.quantile)) if f.size else np.inf
            return
        self.n_new_good += int(np.sum(self._is_good(fit, viol)))

    def _is_good(self, fit: np.ndarray, viol: np.ndarray) -> np.ndarray:
        """Good = fitness above the threshold and feasible (every arch is feasible without constraints)."""
        return (fit > self.threshold) & (viol == 0)

    def good(self) -> tuple[np.ndarray, np.ndarray]:
        """(keys, fitness) of every evaluated good arch, best first."""
        if self.threshold is None:
            return np.empty(0, dtype=np.int64), np.empty(0)
        k, f = np.array(self._keys, dtype=np.int64), np.array(self._fit)
        g = self._is_good(f, np.array(self._viol))
        o = np.argsort(-f[g], kind="stable")
        return k[g][o], f[g][o]

    def result(self) -> np.ndarray:
        if not self._keys:
            return np.empty((0, *self.space.arch_shape), dtype=np.int64)
        gk, _ = self.good()
        if len(gk) == 0:
            best = deb_best(self._fit, self._viol)
            return self.space.from_key(np.array([self._keys[best]])).reshape(1, -1)
        top = self.space.from_key(gk[: int(self.n_top)]).reshape(-1, self.space.n_edges)
        summed = nb201.ops_to_onehot(top).sum(axis=0)  # (edges, ops)
        arch = np.argmax(summed, axis=1).astype(np.int64)
        if not self._allowed[int(self.space.key(arch))]:
            arch = self.space.from_key(gk[:1]).reshape(-1)
        return self.feasible_first(arch[None])  # an unevaluated or infeasible summed arch -> the best good one
