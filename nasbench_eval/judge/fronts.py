"""Front quality: hypervolume, IGD and IGD+ of a set of points against the true front (arrays in, numbers out).

Objective space: the minimisation convention of ``Problem.F``: ``[-proxy, cost]`` (``[proxy, cost]`` for a minimised
``*_loss`` proxy) in the search space, ``[-test_acc, cost]`` in the reporting space.

The band (what "normalised" means here, one rule for every problem): the true front **over the connected
architectures** (:func:`nasbench_eval.spaces.nb201.is_disconnected` is False: some path of non-``none`` edges leads
from the cell's input to its output). A disconnected cell is a degenerate network at chance accuracy (about 10 %);
it is the cheapest arch on raspi4 and pixel3 and, kept in the front, it would set the nadir at 10 % accuracy, so
that any set with one good cheap point would score a normalised HV above 0.98. Each objective is mapped by that
front's ideal ``z*`` and nadir ``z^nad``: ``f' = (f - z*) / (z^nad - z*)`` (a zero range is replaced by 1); the HV
reference point is ``r = (1.1, 1.1)`` in that space. Points outside the box (e.g. any disconnected cell) add no
volume.

* ``hv``: hypervolume (pymoo ``HV``) of the set in the normalised space, reference ``r``;
* ``hv_norm``: ``hv / hv(band front)`` (1.0 = the band front's HV);
* ``igd`` / ``igd_plus``: pymoo ``IGD`` / ``IGDPlus`` of the set against the band front, normalised space.
"""
from __future__ import annotations

import numpy as np

REF_POINT = 1.1  # reference point per normalised objective
BAND_RULE = ("true front over connected archs (a disconnected cell, ~10 % accuracy, never sets the nadir); "
             "objectives scaled by that front's ideal/nadir; HV reference 1.1 per objective")


def normalise(F, ideal, nadir) -> np.ndarray:
    F = np.asarray(F, dtype=float)
    ideal, nadir = np.asarray(ideal, dtype=float), np.asarray(nadir, dtype=float)
    rng = np.where(nadir - ideal > 0, nadir - ideal, 1.0)
    return (F - ideal) / rng


def _finite(F) -> np.ndarray:
    F = np.asarray(F, dtype=float).reshape(-1, np.shape(F)[-1] if np.ndim(F) > 1 else 2)
    return F[np.all(np.isfinite(F), axis=1)]


def hypervolume(F, ref) -> float:
    """Hypervolume of the minimisation set ``F`` w.r.t. ``ref`` (pymoo; 0 for an empty set)."""
    from pymoo.indicators.hv import HV

    F = _finite(F)
    ref = np.asarray(ref, dtype=float)
    F = F[np.all(F < ref, axis=1)]
    if len(F) == 0:
        return 0.0
    return float(HV(ref_point=ref)(F))


def igd(F, true_F, plus: bool = False) -> float | None:
    """pymoo IGD (or IGD+) of ``F`` against ``true_F``; None for an empty set."""
    from pymoo.indicators.igd import IGD
    from pymoo.indicators.igd_plus import IGDPlus

    F = _finite(F)
    if len(F) == 0:
        return None
    ind = (IGDPlus if plus else IGD)(np.asarray(true_F, dtype=float))
    return float(ind(F))


def front_indicators(F, true_F, ideal=None, nadir=None, ref: float = REF_POINT) -> dict:
    """HV, normalised HV, IGD and IGD+ of ``F`` against ``true_F`` (both minimised, raw units).

    ``ideal`` / ``nadir`` default to ``true_F``'s own.
    """
    true_F = _finite(true_F)
    if ideal is None or nadir is None:
        ideal, nadir = true_F.min(axis=0), true_F.max(axis=0)
    Fn = normalise(_finite(F), ideal, nadir)
    Tn = normalise(true_F, ideal, nadir)
    r = np.full(true_F.shape[1], ref)
    hv, hv_true = hypervolume(Fn, r), hypervolume(Tn, r)
    return {"hv": hv, "hv_true": hv_true, "hv_norm": hv / hv_true if hv_true > 0 else None,
            "igd": igd(Fn, Tn), "igd_plus": igd(Fn, Tn, plus=True), "n_points": int(len(Fn)),
            "ref_point": r.tolist(), "ideal": np.asarray(ideal).tolist(), "nadir": np.asarray(nadir).tolist()}


def band_mask(gt) -> np.ndarray:
    """Allowed and connected archs (the band the fronts are normalised over)."""
    from ..spaces import nb201

    if "band" not in gt.derived:
        conn = ~nb201.is_disconnected(nb201.index_to_ops(np.arange(len(gt.allowed))))
        gt.derived["band"] = gt.allowed & conn
    return gt.derived["band"]


def band_front_keys(gt, space: str = "proxy") -> np.ndarray:
    """The true front of ``space`` ("proxy" or "test") over :func:`band_mask`, sorted by cost."""
    from ..problems.pareto import non_dominated

    name = f"band_front_{space}"
    if name not in gt.derived:
        keys = np.flatnonzero(band_mask(gt))
        fk = keys[non_dominated(gt.F(keys, space))]
        gt.derived[name] = fk[np.lexsort((fk, gt.cost[fk]))]
    return gt.derived[name]


def front_quality(gt, keys) -> dict:
    """Indicators of a set of archs (NB201 indices) against the band front: in the proxy space when the proxy has
    an exhaustive truth, and always in the reporting space (test accuracy vs cost) under ``"test"``."""
    keys = np.asarray(keys, dtype=np.int64)
    keys = keys[gt.allowed[keys]] if keys.size else keys
    out: dict = {"normalisation": BAND_RULE, "ref_point_normalised": REF_POINT}
    for space in ("proxy", "test"):
        if space == "proxy" and gt.proxy is None:
            continue
        tf = gt.F(band_front_keys(gt, space), space)
        ind = front_indicators(gt.F(keys, space), tf, tf.min(axis=0), tf.max(axis=0))
        ind["true_front_size"] = int(len(tf))
        if space == "proxy":
            out.update(ind)
        else:
            out["test"] = ind
    return out


__all__ = ["BAND_RULE", "REF_POINT", "band_front_keys", "band_mask", "front_indicators", "front_quality",
           "hypervolume", "igd", "normalise"]
