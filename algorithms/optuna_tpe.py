"""optuna's TPE sampler as a baseline, driven through optuna's own ask/tell interface.

Bergstra, Bardenet, Bengio & Kegl, "Algorithms for hyper-parameter optimization", NeurIPS 2011 (TPE); Akiba, Sano,
Yanase, Ohta & Koyama, "Optuna: a next-generation hyperparameter optimization framework", KDD 2019. Needs the
optional extra: ``pip install "nasbench-eval[optuna]"``.

Each edge is a categorical parameter over its op ids (``edge0`` .. ``edge5``); the study maximises the search
fitness. The sampler is ``optuna.samplers.TPESampler`` with optuna's defaults except what is exposed here
(``n_startup_trials``, ``n_ei_candidates``, ``multivariate``; ``None`` keeps the installed optuna's default, which is
multivariate TPE for one objective since optuna 5), seeded with an integer drawn from the run's Generator -- the only
source of randomness, so a seed reproduces a run for a given optuna version (other versions may sample differently).

An architecture evaluated before is not asked again: its known fitness is told to optuna at once and the next
trial is asked (up to ``max_repeats`` times in a row; then the repeat is asked and charged), so the budget counts
distinct architectures only. Missing metrics are told as fitness ``-inf``. Constraints (``metric <= threshold``) are
passed to optuna -- ``Trial.set_constraint`` (optuna >= 5) or the sampler's ``constraints_func`` (older) -- so TPE
itself prefers feasible trials (Ozaki et al., GECCO 2022's constrained TPE); the answer follows Deb's rules and is
feasible whenever any evaluated architecture was.
"""
from __future__ import annotations

import contextlib
import inspect
import warnings

import numpy as np

from nasbench_eval.errors import ConfigError
from nasbench_eval.search import Algorithm
from nasbench_eval.search.params import Boolean, Interval, Optional
from nasbench_eval.search.pymoo_bridge import BAD


def import_optuna():
    """The optuna module, or a one-line ConfigError naming the extra to install."""
    try:
        import optuna
    except ImportError:
        raise ConfigError("algorithm 'optuna-tpe' needs optuna: pip install \"nasbench-eval[optuna]\" "
                          "(or pip install optuna)") from None
    return optuna


@contextlib.contextmanager
def _calm(optuna):
    """optuna logs one INFO line per trial and warns about experimental options: silence both for our calls only,
    restoring the caller's logging level and warning filters."""
    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield
    finally:
        optuna.logging.set_verbosity(level)


class OptunaTPE(Algorithm):
    name = "optuna-tpe"
    summary = "optuna's TPE sampler via optuna's ask/tell, a categorical per edge (needs the [optuna] extra)"
    paper = "Bergstra et al., NeurIPS 2011 (TPE); Akiba et al., Optuna, KDD 2019"
    parameter_constraints = {
        "n_startup_trials": Interval(int, 0, None),
        "n_ei_candidates": Interval(int, 1, None),
        "multivariate": Optional(Boolean()),
        "max_repeats": Interval(int, 0, None),
    }

    def __init__(self, n_startup_trials: int = 10, n_ei_candidates: int = 24, multivariate: bool | None = None,
                 max_repeats: int = 1000):
        self.n_startup_trials = n_startup_trials
        self.n_ei_candidates = n_ei_candidates
        self.multivariate = multivariate
        self.max_repeats = max_repeats

    def _setup(self):
        optuna = self._optuna = import_optuna()
        from optuna.distributions import CategoricalDistribution

        kwargs = {"seed": int(self.rng.integers(2**31 - 1)), "n_startup_trials": int(self.n_startup_trials),
                  "n_ei_candidates": int(self.n_ei_candidates)}
        if self.multivariate is not None:
            kwargs["multivariate"] = bool(self.multivariate)
        self._set_constraint = hasattr(optuna.trial.Trial, "set_constraint")
        if self.problem.constraints and not self._set_constraint and \
                "constraints_func" in inspect.signature(optuna.samplers.TPESampler).parameters:
            kwargs["constraints_func"] = lambda t: t.user_attrs["nasbench_eval_G"]
        with _calm(optuna):
            sampler = optuna.samplers.TPESampler(**kwargs)
            self._study = optuna.create_study(direction="maximize", sampler=sampler)
        self._dists = {f"edge{e}": CategoricalDistribution(list(range(int(n))))
                       for e, n in enumerate(self.space.n_choices)}
        self._known: dict[int, tuple[float, np.ndarray]] = {}  # key -> (fitness, constraint row)
        self._pending = None

    def _finish(self, trial, fitness: float, G: np.ndarray) -> None:
        if self.problem.constraints:
            G = np.where(np.isfinite(G), G, BAD)
            if self._set_constraint:
                for j, g in enumerate(G):
                    trial.set_constraint(f"c{j}", float(g))
            else:
                trial.set_user_attr("nasbench_eval_G", [float(g) for g in G])
        with _calm(self._optuna):
            self._study.tell(trial, float(fitness))

    def ask(self) -> np.ndarray:
        for _ in range(int(self.max_repeats) + 1):
            with _calm(self._optuna):
                trial = self._study.ask(self._dists)
            arch = np.array([trial.params[f"edge{e}"] for e in range(len(self._dists))], dtype=np.int64)
            known = self._known.get(int(self.space.key(arch)))
            if known is None:
                break
            self._finish(trial, *known)
        self._pending = trial
        return arch[None]

    def _tell(self, archs, ev):
        fit, G = self.problem.fitness(ev), self.problem.G(ev)
        for arch, f, g in zip(archs, fit, G):
            self._known[int(self.space.key(arch))] = (float(f), g)
        if self._pending is not None:
            self._finish(self._pending, float(fit[0]), G[0])
            self._pending = None
