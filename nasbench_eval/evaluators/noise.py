"""Proxy-noise evaluator: a tabular fitness degraded to a chosen rank correlation with the truth.

Supernet fitness is a noisy proxy of stand-alone accuracy (Kendall tau of 0.3-0.7 is typical). To ablate how an
algorithm suffers from that noise in seconds, this evaluator replaces one metric by a noisy copy whose Kendall tau
with the true metric over the whole (covered) space is ``target_tau``:

1. the true values are turned into normal scores z = Phi^-1(rank / (n + 1));
2. a fixed noise field eps ~ N(0, 1), one value per architecture, is drawn once from ``noise_seed`` (the same
   architecture always gets the same noisy score, as with a frozen supernet);
3. z' = z + sigma * eps with sigma = sqrt(1 / rho^2 - 1), rho = sin(pi * tau / 2) (Greiner's relation between
   Kendall's tau and the Pearson correlation of a bivariate normal);
4. z' is mapped back through the empirical quantiles of the true values, so the noisy metric keeps the marginal
   distribution (and units) of the real one.
The realised tau is measured and exposed as ``achieved_tau`` (it matches the target to about +-0.01).
"""
from __future__ import annotations

import numpy as np
from scipy import stats

from ..errors import ConfigError
from ..spaces import nb201
from .base import Evaluation, Evaluator
from .tabular import TabularEvaluator


class ProxyNoiseEvaluator(Evaluator):
    def __init__(self, inner: TabularEvaluator, target_tau: float, noise_seed: int, metric: str | None = None):
        """``metric`` (default: the inner evaluator's first) is replaced by ``noisy_<metric>``."""
        if not isinstance(inner, TabularEvaluator):
            raise ConfigError("ProxyNoiseEvaluator wraps a TabularEvaluator (it needs the whole table)")
        if not -1.0 < target_tau <= 1.0:
            raise ConfigError(f"target_tau must be in (-1, 1], got {target_tau!r}")
        self.inner, self.target_tau, self.noise_seed = inner, float(target_tau), int(noise_seed)
        self.metric = metric or inner.metrics[0]
        if self.metric not in inner.metrics:
            raise ConfigError(f"metric {self.metric!r} is not returned by the wrapped evaluator {inner.metrics}")
        # the degraded metric is renamed "noisy_<metric>" so it is never mistaken for the real one in results
        self.noisy_name = f"noisy_{self.metric}"
        self.metrics = tuple(self.noisy_name if m == self.metric else m for m in inner.metrics)
        self.cost_unit, self.arch_shape = inner.cost_unit, inner.arch_shape
        truth = np.asarray(inner.store.column(inner.columns[self.metric]), dtype=float)
        ok = np.isfinite(truth)
        rng = np.random.default_rng(np.random.SeedSequence([self.noise_seed, 0x6E6F6973]))
        eps = rng.standard_normal(truth.shape)
        noisy = np.full_like(truth, np.nan)
        if self.target_tau >= 1.0:
            noisy[ok] = truth[ok]
        else:
            z = stats.norm.ppf(stats.rankdata(truth[ok]) / (ok.sum() + 1))
            rho = np.sin(np.pi * self.target_tau / 2)
            zn = z + np.sqrt(1.0 / rho**2 - 1.0) * eps[ok]
            noisy[ok] = np.quantile(truth[ok], stats.rankdata(zn) / (ok.sum() + 1))
        self.noisy = noisy
        self.achieved_tau = float(stats.kendalltau(truth[ok], noisy[ok]).statistic)

    def _evaluate(self, archs: np.ndarray) -> Evaluation:
        ev = self.inner.evaluate(archs)
        ev.values.pop(self.metric)
        idx = ev.keys if ev.keys is not None else np.atleast_1d(nb201.ops_to_index(archs))
        ev.values[self.noisy_name] = self.noisy[idx]
        return ev

    def fingerprint(self) -> str:
        return f"noise(tau={self.target_tau},seed={self.noise_seed},{self.metric})|{self.inner.fingerprint()}"
