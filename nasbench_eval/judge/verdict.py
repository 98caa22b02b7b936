"""The one judgment of a finished hardware-aware run, and its three renderings (runner row, CLI output, truth).

:func:`judge_run` is what the runner, ``nasbench-eval search``, the reproductions and the benchmarks call: it reads
the problem's exhaustive ground truth (test metrics: never during a search), its judged thresholds and the run's
answer, and returns per-threshold picks and gaps (:mod:`.thresholds`) and, for a bi-objective run only, the front
quality (:mod:`.fronts`). A constrained run's single answer gets gaps and feasibility, never an HV.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .fronts import band_front_keys, front_quality
from .thresholds import _f, constrained_optima, judge_thresholds, summarise

if TYPE_CHECKING:  # pandas only for the truth tables: a worker judging runs does not import it
    import pandas as pd

FRONT_KEYS = ("hv", "hv_norm", "igd", "igd_plus")


def judged_thresholds(problem) -> tuple[tuple[float, ...], tuple | None]:
    """``(thresholds, quantiles)`` a problem is judged at: its judged set, else its constraint's threshold."""
    ths = tuple(float(t) for t in (getattr(problem, "thresholds", ()) or ()))
    if not ths and problem.constraints:
        ths = (float(problem.constraints[0].threshold),)
    qs = getattr(problem, "quantiles", None)
    qs = tuple(qs) if qs is not None and len(qs) == len(ths) else None
    return ths, qs


def judge_run(problem, keys, proxy_values=None) -> dict:
    """Judge a run's answer (NB201 indices ``keys``; for a constrained run ``keys[0]`` is its answer).

    Returns ``{"kind", "per_threshold", "front", "summary", "threshold_notes"}``: ``front`` is None for a
    constrained run; ``summary`` holds ``mean_gap``, ``feasible_fraction`` and (bi-objective) ``hv``, ``hv_norm``,
    ``igd``, ``igd_plus`` and their ``test_*`` counterparts.
    """
    gt = problem.ground_truth()
    keys = np.asarray(keys, dtype=np.int64)
    bi = problem.n_obj >= 2
    ths, qs = judged_thresholds(problem)
    per = judge_thresholds(gt, keys, ths, pick="best" if bi else "answer", quantiles=qs,
                           proxy_values=proxy_values if bi else None) if ths else []
    summary = summarise(per) if per else {}
    front = None
    if bi:
        front = front_quality(gt, keys)
        for k in FRONT_KEYS:
            summary[k] = front.get(k)
            summary[f"test_{k}"] = front.get("test", {}).get(k)
    notes = [m["note"] for m in problem.info.get("merged_thresholds", [])]
    return {"kind": "bi-objective" if bi else "constrained", "per_threshold": per, "front": front,
            "summary": summary, "threshold_notes": notes}


def run_indicators(problem, chosen) -> dict:
    """The numbers the runner records in a run's row, from the run's ``chosen`` table (a DataFrame or a mapping of
    columns: ``key`` and the problem's proxy metric)."""
    keys = np.asarray(chosen["key"], dtype=np.int64).reshape(-1)
    proxy = np.asarray(chosen[problem.proxy_metric], dtype=float).reshape(-1) if len(keys) else np.zeros(0)
    j = judge_run(problem, keys, proxy)
    return {k: np.nan if v is None else float(v) for k, v in j["summary"].items()}


def _describe(problem, gt, k) -> dict:
    ops = problem.space.from_key(np.array([k]))[0]
    m = {problem.proxy_metric: _f(gt.proxy[k]) if gt.proxy is not None else None,
         problem.cost_metric: _f(gt.cost[k]), "test_acc": _f(gt.test[k])}
    return {"arch": problem.space.to_string(ops), "index": int(k), "metrics": m}


def finalise_result(problem, res) -> dict:
    """What ``nasbench-eval search`` prints after a hardware-aware run (reads test metrics: after the search only).

    Returns ``{"result", "front", "per_threshold", "indicators", "problem_info"}``: for a bi-objective problem
    ``front`` is the run's answer and ``result`` the per-threshold picks from it; for a constrained problem
    ``result`` is the run's answer, judged at the problem's threshold, and ``indicators`` has no HV.
    """
    chosen = list(res.chosen) if not isinstance(res, list) else res
    keys = np.array([c["index"] for c in chosen], dtype=np.int64)
    proxy = np.array([_num(c["metrics"].get(problem.proxy_metric)) for c in chosen], dtype=float)
    j = judge_run(problem, keys, proxy)
    gt = problem.ground_truth()
    out: dict = {}
    if j["kind"] == "bi-objective":
        searched = {c["index"]: c["metrics"] for c in chosen}  # live proxies have no table: use the run's values
        out["front"] = chosen
        out["result"] = []
        for p in j["per_threshold"]:
            if p["pick_index"] is None:
                continue
            d = _describe(problem, gt, p["pick_index"])
            d["metrics"] = {**searched.get(p["pick_index"], {}),
                            **{k: v for k, v in d["metrics"].items() if v is not None}}
            out["result"].append(dict(d, threshold=p["threshold"]))
        out["indicators"] = {**j["front"], **j["summary"]}
    else:
        T = j["per_threshold"][0]["threshold"] if j["per_threshold"] else None
        feas = j["per_threshold"][0]["feasible"] if j["per_threshold"] else None
        out["result"] = [dict(c, threshold=T, feasible=feas) if i == 0 else c for i, c in enumerate(chosen)]
        out["indicators"] = dict(j["summary"])
    out["per_threshold"] = j["per_threshold"]
    if j["threshold_notes"]:
        out["threshold_notes"] = j["threshold_notes"]
    out["problem_info"] = dict(problem.info)
    return out


def _num(x) -> float:
    return np.nan if x is None else float(x)


def truth_tables(problem, label: str, search_space: bool = True) -> dict[str, pd.DataFrame]:
    """What the result store keeps about a problem's truth, so that reports never rebuild problems.

    ``truth_fronts``: the true fronts (``space`` search | test; ``band`` True for the front over connected archs
    that normalises HV / IGD, False for the front over all allowed archs), one row per front member.
    ``truth_thresholds``: the judged thresholds with their quantile, merge note, feasible-arch count and
    constrained optimum / oracle. ``search_space=False`` (a proxy that differs per seed, e.g. a frozen noise field
    per seed): no search-space front and no constrained optimum (each run's row has its own), only test space.
    """
    import pandas as pd

    gt = problem.ground_truth()
    fronts = []
    for space in ("proxy", "test"):
        if space == "proxy" and (gt.proxy is None or not search_space):
            continue
        value = gt.proxy if space == "proxy" else gt.test
        full = gt.front_keys if space == "proxy" else gt.test_front_keys
        for band, keys in ((False, full), (True, band_front_keys(gt, space))):
            fronts.append(pd.DataFrame({"problem": label, "space": "search" if space == "proxy" else "test",
                                        "band": band, "key": keys.astype(np.int64), "cost": gt.cost[keys],
                                        "value": value[keys]}))
    ths, qs = judged_thresholds(problem)
    notes = {m["threshold"]: m["note"] for m in problem.info.get("merged_thresholds", [])}
    rows = []
    for j, opt in enumerate(constrained_optima(gt, ths)):
        if not search_space:
            opt.update(opt_index=None, opt_test_acc=None)
            notes.setdefault(opt["threshold"], "the proxy differs per seed: each run's row has its own optimum")
        rows.append({"problem": label, "threshold": opt["threshold"],
                     "quantile": np.nan if qs is None or qs[j] is None else float(qs[j]),
                     "feasible_archs": opt["feasible_archs"],
                     "opt_index": -1 if opt["opt_index"] is None else opt["opt_index"],
                     "opt_test_acc": _num(opt["opt_test_acc"]), "best_test_acc": _num(opt["best_test_acc"]),
                     "note": notes.get(opt["threshold"], "")})
    return {"truth_fronts": pd.concat(fronts, ignore_index=True) if fronts else pd.DataFrame(),
            "truth_thresholds": pd.DataFrame(rows)}


__all__ = ["finalise_result", "judge_run", "judged_thresholds", "run_indicators", "truth_tables"]
