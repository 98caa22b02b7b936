"""The judge: how a finished hardware-aware run is graded against the exhaustive truth (arrays in, numbers out).

One place for everything a verdict needs: tie-safe cost comparison and quantile thresholds (re-exported from
:mod:`nasbench_eval.problems.costs`, which the problems' constraints use too), per-threshold picks, gaps and
feasibility (:mod:`.thresholds`), HV / IGD / IGD+ over a stated band (:mod:`.fronts`), and the judgment of a run
with its renderings for the runner, the CLI and the result store (:mod:`.verdict`). Above ``problems``, below
``runner`` and ``report``; it reads test metrics, so it is called only after a search.
"""
from ..problems.costs import (
    COST_RTOL,
    cost_eq,
    cost_le,
    cost_quantiles,
    merge_thresholds,
    pick_per_threshold,
    snap_costs,
)
from .fronts import (
    BAND_RULE,
    REF_POINT,
    band_front_keys,
    front_indicators,
    front_quality,
    hypervolume,
    igd,
    normalise,
)
from .thresholds import constrained_optima, judge_thresholds, summarise
from .verdict import finalise_result, judge_run, judged_thresholds, run_indicators, truth_tables

__all__ = ["BAND_RULE", "COST_RTOL", "REF_POINT", "band_front_keys", "constrained_optima", "cost_eq", "cost_le",
           "cost_quantiles", "finalise_result", "front_indicators", "front_quality", "hypervolume", "igd",
           "judge_run", "judge_thresholds", "judged_thresholds", "merge_thresholds", "normalise",
           "pick_per_threshold", "run_indicators", "snap_costs", "summarise", "truth_tables"]
