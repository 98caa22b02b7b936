"""Which archs to time on a user device, and how the others are filled: a stratified sample of isomorphism
classes, a scikit-learn predictor with cross-validated quality, and rank agreement with the store's devices.

* **Sample** (:func:`sample_order`): one random member of each of the 6,466 NB201 isomorphism classes (no two
  timed archs compute the same function), classes stratified by the analytic FLOPs of that member into deciles,
  then taken round-robin over the deciles (the decile order reshuffled each round). The first ``n`` of the order are
  the sample, so a larger ``n`` with the same seed extends a smaller one (a resumed run keeps its measurements).
* **Isomorphs are predicted, not copied**: isomorphic cells compute the same function but their networks do not
  run the same operations (a convolution fed by a ``none`` edge still runs on zeros). In HW-NAS-Bench the latency
  of isomorphic archs differs by a median 18 % (raspi4; 22 % pixel3, 13 % HELP gold_6226) of the class median, so a
  measured class-mate's value would be a guess presented as a measurement.
* **Predictor** (:func:`fit_predict`): gradient boosting (scikit-learn ``GradientBoostingRegressor``, 300 trees,
  depth 3, learning rate 0.05, subsample 0.8) on log latency, features = one-hot op per edge (30) + the store's
  analytic FLOPs and params of the input. Its quality is the pooled out-of-fold Kendall tau and MAPE of a shuffled
  5-fold cross-validation on the measured sample (:func:`cross_validate`; 3- or 4-fold under 10 archs), next to
  the tau of FLOPs alone.
"""
from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from ..spaces import nb201
from .columns import HELP_DEVICES, HW_DEVICES, SRC_ANALYTIC, hw_column

N_STRATA = 10
PREDICTORS = ("gbr", "rf", "ridge")
_CLASSES: dict[str, np.ndarray] = {}


def class_ids() -> np.ndarray:
    """Isomorphism class id (0..6465) of every NB201 index (computed once per process, ~0.3 s)."""
    if "ids" not in _CLASSES:
        names = [nb201.isomorphism_class(o) for o in nb201.index_to_ops(np.arange(nb201.N_ARCHS))]
        _CLASSES["ids"] = np.unique(np.asarray(names), return_inverse=True)[1].astype(np.int64)
    return _CLASSES["ids"]


def sample_order(store, rng: np.random.Generator, input: str = "cifar10") -> np.ndarray:
    """NB201 indices, one per isomorphism class, in the order they are timed (module docstring)."""
    cls = class_ids()
    perm = rng.permutation(nb201.N_ARCHS)
    _, first = np.unique(cls[perm], return_index=True)
    reps = perm[first]  # a random member of each class
    flops = np.asarray(store.column(f"{input}/flops_M/{SRC_ANALYTIC}"), dtype=float)[reps]
    edges = np.quantile(flops, np.linspace(0, 1, N_STRATA + 1))
    stratum = np.clip(np.searchsorted(edges, flops, side="right") - 1, 0, N_STRATA - 1)
    queues = [list(rng.permutation(reps[stratum == k])) for k in range(N_STRATA)]
    order = []
    while any(queues):
        for k in rng.permutation(N_STRATA):
            if queues[k]:
                order.append(queues[k].pop())
    return np.asarray(order, dtype=np.int64)


def features(store, input: str = "cifar10") -> np.ndarray:
    """``(15625, 32)``: one-hot op per edge, analytic FLOPs (M) and params (M) of the ``input`` network."""
    oh = nb201.ops_to_onehot(nb201.index_to_ops(np.arange(nb201.N_ARCHS))).reshape(nb201.N_ARCHS, -1)
    flops = store.column(f"{input}/flops_M/{SRC_ANALYTIC}")
    params = store.column(f"{input}/params_M/{SRC_ANALYTIC}")
    return np.column_stack([oh.astype(float), flops, params])


def _model(kind: str, seed: int):
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if kind == "gbr":
        return GradientBoostingRegressor(n_estimators=300, max_depth=3, learning_rate=0.05, subsample=0.8,
                                         random_state=seed)
    if kind == "rf":
        return RandomForestRegressor(n_estimators=300, random_state=seed)
    if kind == "ridge":
        return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
    raise ConfigError(f"predictor must be one of {', '.join(PREDICTORS)}; got {kind!r}")


def fit_predict(X: np.ndarray, train: np.ndarray, y: np.ndarray, kind: str, seed: int) -> np.ndarray:
    """Fit on ``X[train] -> log(y)`` and predict every row of ``X`` (ms)."""
    m = _model(kind, seed).fit(X[train], np.log(y))
    return np.exp(m.predict(X))


def agreement(a: np.ndarray, b: np.ndarray) -> dict:
    """Kendall tau-b (scipy) and MAPE of predictions ``b`` against measurements ``a``."""
    from scipy.stats import kendalltau

    t = kendalltau(a, b)
    return {"kendall_tau": round(float(t.statistic), 4), "p_value": float(t.pvalue),
            "mape": round(float(np.mean(np.abs(b - a) / a)), 4), "n": int(len(a))}


MIN_SAMPLE = 6


def cross_validate(X, idx: np.ndarray, y: np.ndarray, kind: str, rng: np.random.Generator, folds: int = 5) -> dict:
    """Pooled out-of-fold predictions of a shuffled K-fold CV on the measured archs (ms); K = ``folds``, fewer
    (at least 3) when there are under ``2 * folds`` archs."""
    from scipy.stats import kendalltau

    if len(idx) < MIN_SAMPLE:
        raise ConfigError(f"cross-validating the predictor needs at least {MIN_SAMPLE} measured archs; got {len(idx)}")
    folds = min(folds, len(idx) // 2)
    fold = rng.permutation(np.arange(len(idx)) % folds)
    oof = np.empty(len(idx))
    for k in range(folds):
        test = fold == k
        oof[test] = fit_predict(X, idx[~test], y[~test], kind, int(rng.integers(2**31)))[idx[test]]
    out = agreement(y, oof)
    out.update(folds=folds, method=f"shuffled {folds}-fold CV, pooled out-of-fold predictions",
               flops_only_tau=round(float(kendalltau(y, X[idx, -2]).statistic), 4))
    return out


def device_columns(store) -> dict[str, str]:
    """Latency columns of the store's HW-NAS-Bench and HELP devices (cifar10 input), device -> column."""
    cols = {d: hw_column(d, "latency") for d in HW_DEVICES + HELP_DEVICES}
    return {d: c for d, c in cols.items() if c in store.columns}


def rank_agreement(store, idx: np.ndarray, latency: np.ndarray) -> dict[str, dict]:
    """Kendall tau-b of ``latency`` (at NB201 ``idx``) with every store device's latency over the same archs."""
    from scipy.stats import kendalltau

    out = {}
    for dev, col in device_columns(store).items():
        other = np.asarray(store.column(col), dtype=float)[idx]
        ok = np.isfinite(other) & np.isfinite(latency)
        if ok.sum() >= 3:
            t = kendalltau(latency[ok], other[ok])
            out[dev] = {"kendall_tau": round(float(t.statistic), 4), "p_value": float(t.pvalue), "n": int(ok.sum())}
    return out
