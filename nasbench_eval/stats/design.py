"""Whether runs of different algorithms on one problem are *paired*: the one place that decides it, with the reason.

The runner gives every cell (algorithm x problem x seed) its own ``SeedSequence.spawn`` child, so two runs with the
same seed label share no randomness: pairing them by seed would pair independent samples, and the p-value of a
paired test would depend on an arbitrary matching. Runs are paired only where the design makes the seed label a
real block: a proxy-noise problem (``proxy_noise_tau`` in the problem's info) draws one frozen noise field per seed
label (``noise_seed == seed``), shared by every algorithm run with that label, so those runs see the same noisy
fitness landscape and differ only by the algorithm's own randomness.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd

UNPAIRED_WHY = ("independent runs: every cell has its own spawned random stream, so equal seed labels share "
                "nothing")


@dataclass(frozen=True)
class Pairing:
    paired: bool
    why: str

    @property
    def short(self) -> str:
        return "paired: shared proxy-noise field" if self.paired else "unpaired: independent runs"


def _info(raw) -> dict:
    if isinstance(raw, dict):
        return raw
    try:
        return json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        return {}


def problem_pairing(runs: pd.DataFrame, problem: str) -> Pairing:
    """Pairing of the runs of ``problem`` (a runs table with ``problem``, ``seed`` and ``problem_info``)."""
    r = runs[runs["problem"] == problem]
    if "problem_info" not in r.columns or r.empty:
        return Pairing(False, UNPAIRED_WHY)
    infos = [_info(x) for x in r["problem_info"]]
    shared = all(i.get("proxy_noise_tau") is not None and i.get("noise_seed") is not None
                 and int(i["noise_seed"]) == int(s) for i, s in zip(infos, r["seed"]))
    if shared:
        tau = infos[0]["proxy_noise_tau"]
        return Pairing(True, f"paired by seed: runs with the same seed label share one frozen proxy-noise field "
                             f"(tau={tau:g}), a common block")
    return Pairing(False, UNPAIRED_WHY)


def pairing(runs: pd.DataFrame) -> dict[str, Pairing]:
    """``{problem: Pairing}`` for every problem of a runs table."""
    return {p: problem_pairing(runs, p) for p in dict.fromkeys(runs["problem"])}
