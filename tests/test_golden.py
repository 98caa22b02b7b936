"""Golden snapshots: the trajectory (every column) and answer of every registered algorithm, pinned by digest.

A refactoring must leave these unchanged. A deliberate change of an algorithm's behaviour updates its digest here in
the same commit, with the reason in the commit message; `python benchmarks/golden_digests.py --compare OLD.json`
compares a whole grid of runs between two trees. Pinned on 2026-11-27 after: REA's node-then-edge mutation (NB201's
R_EA.py), feasibility-first selection (Deb's rules) on constrained problems, tie-safe hardware costs and RMI-NAS's
refit schedule; every other tabular trajectory was checked bit-identical to the code before the consolidation.
optuna-tpe is left out: its trajectory depends on the installed optuna version.
"""
from __future__ import annotations

import pytest

from nasbench_eval.problems.spec import ProblemSpec
from nasbench_eval.search import get_algorithm, run
from nasbench_eval.testing import trajectory_digest

PROBLEMS = {
    "nb201-cifar100": {"type": "nb201", "dataset": "cifar100"},
    "hw-pixel3-q0.3": {"type": "hw", "device": "pixel3", "quantile": 0.3},
    "hw-eyeriss-bi": {"type": "hw", "device": "eyeriss", "kind": "bi-objective"},
}
BUDGET, SEED = 200, 7
GOLDEN = {
    "cmanas|hw-pixel3-q0.3": "f4ab043d80d4b299",
    "cmanas|nb201-cifar100": "77616e4e5e836e0a",
    "evnas|hw-pixel3-q0.3": "d6076cd2d9cc1aac",
    "evnas|nb201-cifar100": "b897e2e354929b62",
    "hw-evrsnas|hw-pixel3-q0.3": "7407fddcd3e5a640",
    "local-search|hw-pixel3-q0.3": "4903ae3736f263e5",
    "local-search|nb201-cifar100": "8ea507b2a444544b",
    "mo-hdnas|hw-eyeriss-bi": "def581e19a5f09d9",
    "mo-hdnas|hw-pixel3-q0.3": "a09bc654462ca862",
    "nevonas-accuracy|hw-pixel3-q0.3": "268b50a27df22803",
    "nevonas-accuracy|nb201-cifar100": "07ea20d44308ff47",
    "nevonas-novelty|hw-pixel3-q0.3": "cb1a8c73148c38bf",
    "nevonas-novelty|nb201-cifar100": "dba95b5788525cf8",
    "nevonas|hw-pixel3-q0.3": "861380eca75db5c4",
    "nevonas|nb201-cifar100": "cf8a32c8e57a2777",
    "nsga2|hw-eyeriss-bi": "1043c701c8f2e2e1",
    "nsga2|hw-pixel3-q0.3": "3a9102c3c2287ca7",
    "nsga2|nb201-cifar100": "3ea43840ce45af7d",
    "pevonas|hw-pixel3-q0.3": "687ff24b506b48b2",
    "pevonas|nb201-cifar100": "9fe91ccdca608220",
    "random|hw-pixel3-q0.3": "c3090ba72212b22a",
    "random|nb201-cifar100": "84753d06f68a2755",
    "rea|hw-pixel3-q0.3": "ce923a8e6da75b5d",
    "rea|nb201-cifar100": "2d479cd2b46ff5f6",
    "reinforce|hw-pixel3-q0.3": "0aecf8e8d3f3eca4",
    "reinforce|nb201-cifar100": "425f3b6f17aa10ad",
    "rminas|hw-pixel3-q0.3": "8660060c70478a52",
    "rminas|nb201-cifar100": "d52947ca9dd30dbc",
}


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_trajectory_matches_the_golden_snapshot(case):
    name, problem = case.split("|")
    res = run(get_algorithm(name)(), ProblemSpec.from_mapping(PROBLEMS[problem]).build(), BUDGET, seed=SEED)
    assert trajectory_digest(res)[:16] == GOLDEN[case], (
        f"{name} on {problem} (budget {BUDGET}, seed {SEED}) no longer reproduces its pinned trajectory: a change "
        "of behaviour must be deliberate (update GOLDEN with the reason), a refactoring must not change it")
