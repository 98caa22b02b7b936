"""Disentanglement measures of a latent code that need no ground-truth factors.

All are computed on the posterior means ``mu`` (the representation the classifier reads at test time) and, for
the KL count, the posterior log-variances, of one data split (the sweep uses the test split and says so).

* ``active_units_kl``: number of latent dimensions whose KL(q(z_j|x) || N(0, 1)), averaged over the split,
  exceeds 0.01 nats. Meaningful only when the logvar head was trained (beta > 0); for beta = 0 the logvar head
  is unused and this number reflects its random initialisation.
* ``active_units_var``: number of dimensions with Var_x[mu_j] > 0.01 (Burda et al., 2016, "active units");
  meaningful for every beta.
* ``mean_abs_offdiag_corr``: mean |Pearson correlation| between pairs of active (by variance) dimensions of mu;
  0 = linearly decorrelated code, 1 = fully redundant. NaN when fewer than two dimensions are active.
* ``gaussian_total_correlation``: total correlation (nats) of a Gaussian fitted to mu over the active
  dimensions, TC = 0.5 * (sum_j log Sigma_jj - log det Sigma) = -0.5 * log det(corr); 0 iff the fitted Gaussian
  factorises. A small ridge (1e-6 x mean variance) keeps det finite. NaN when fewer than two are active.

Lower correlation / TC means a more factorised ("disentangled") code in this factor-free sense; these are
proxies, not the factor-based scores (MIG, DCI, beta-VAE score) that need labelled generative factors.
"""
from __future__ import annotations

import numpy as np

ACTIVE_THRESHOLD = 0.01


def latent_metrics(mu, logvar) -> dict[str, float]:
    """Return the four measures above for arrays/tensors ``mu`` and ``logvar`` of shape (N, D)."""
    mu = np.asarray(mu.detach().cpu() if hasattr(mu, "detach") else mu, dtype=np.float64)
    logvar = np.asarray(logvar.detach().cpu() if hasattr(logvar, "detach") else logvar, dtype=np.float64)
    kl = 0.5 * (mu**2 + np.exp(logvar) - 1.0 - logvar).mean(axis=0)
    var = mu.var(axis=0)
    active = var > ACTIVE_THRESHOLD
    out = {"active_units_kl": float((kl > ACTIVE_THRESHOLD).sum()), "active_units_var": float(active.sum()),
           "mean_abs_offdiag_corr": float("nan"), "gaussian_total_correlation": float("nan")}
    k = int(active.sum())
    if k >= 2:
        a = mu[:, active]
        cov = np.cov(a, rowvar=False)
        cov = cov + np.eye(k) * 1e-6 * float(np.mean(np.diag(cov)))
        sd = np.sqrt(np.diag(cov))
        corr = cov / np.outer(sd, sd)
        off = corr[~np.eye(k, dtype=bool)]
        out["mean_abs_offdiag_corr"] = float(np.mean(np.abs(off)))
        sign, logdet = np.linalg.slogdet(corr)
        out["gaussian_total_correlation"] = float(-0.5 * logdet) if sign > 0 else float("inf")
    return out
