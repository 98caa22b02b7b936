"""A generation loop for supernet searches, resumable from a checkpoint directory.

Any ask/tell object works (``setup(problem, rng)``, ``ask() -> archs``, ``tell(archs, evaluation)``,
``result() -> archs``; e.g. :class:`nasbench_eval.search.Algorithm` subclasses). One generation = one ``ask``, one
``problem.evaluate`` (with ``SupernetEvaluator(train_on_evaluate=True)`` this trains the supernet one epoch on the
asked archs first -- EvNAS / NEvoNAS), one ``tell``.

Resume (DESIGN habit 4: the recorded history owns the past): after every generation the evaluator's trainer is
checkpointed together with every (archs, evaluation) told so far. On restart with the same algorithm settings and a
Generator from the same seed, the driver replays the history through ask/tell -- no training, no evaluation --
checks that the algorithm asks exactly the recorded archs, then restores the supernet, optimiser, schedule and the
trainer's RNG, and continues. The result equals an uninterrupted run.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..evaluators.base import Evaluation
from .checkpoint import load_checkpoint, read_meta, save_checkpoint


@dataclass
class SearchOutcome:
    chosen: np.ndarray  # (k, *arch_shape) from algorithm.result()
    chosen_strings: list[str]
    chosen_fitness: list[float]  # last search-time value of each chosen arch (validation split, never test)
    history: list[dict] = field(default_factory=list)  # per generation: archs, values, cost, cached, seconds
    generations: int = 0
    resumed_from: int = 0
    wall_seconds: float = 0.0


def _record(g: int, archs: np.ndarray, ev: Evaluation, seconds: float) -> dict:
    return {"generation": g, "archs": np.asarray(archs).tolist(),
            "values": {k: v.tolist() for k, v in ev.values.items()}, "cost": ev.cost.tolist(),
            "cached": ev.cached.tolist(), "seconds": seconds}


def _replay(algorithm, history: list[dict]) -> None:
    for rec in history:
        archs = np.asarray(algorithm.ask())
        if archs.shape != np.shape(rec["archs"]) or not np.array_equal(archs, rec["archs"]):
            raise ConfigError(f"resume: the algorithm asked different archs than recorded at generation "
                              f"{rec['generation']}; use the same algorithm settings and seed as the original run")
        ev = Evaluation({k: np.asarray(v) for k, v in rec["values"].items()}, np.asarray(rec["cost"]),
                        np.asarray(rec["cached"], dtype=bool))
        algorithm.tell(archs, ev)


def run_supernet_search(algorithm, problem, rng: np.random.Generator, generations: int, *,
                        checkpoint_dir=None, log=None, stage_epochs: int = 0, stage_mode: str = "B",
                        inherit: bool = True) -> SearchOutcome:
    """Run ``generations`` ask/evaluate/tell rounds of ``algorithm`` on ``problem`` (its evaluator a
    :class:`~nasbench_eval.evaluators.supernet.SupernetEvaluator`); ``rng`` seeds the algorithm only.

    An algorithm with an ``on_stage(stage, op_mask)`` hook (pEvoNAS) gets, at every stage after the first, a new
    supernet restricted to ``op_mask`` with the kept ops' weights inherited (``inherit``) and ``stage_epochs``
    epochs of mode ``stage_mode`` training, as in pEvoNAS."""
    if int(generations) != generations or generations < 1:
        raise ConfigError(f"generations must be a positive integer; got {generations!r}")
    evaluator, space = problem.evaluator, problem.space
    if hasattr(algorithm, "on_stage") and hasattr(evaluator, "restrict"):
        def _stage(stage: int, op_mask: np.ndarray) -> None:
            if stage > 0:
                evaluator.restrict(op_mask, inherit=inherit, epochs=stage_epochs, mode=stage_mode)
                if log:
                    log(f"stage {stage}: supernet restricted to {int(op_mask.sum())} (edge, op) pairs, "
                        f"{'inherited weights' if inherit else 'fresh weights'}, {stage_epochs} epoch(s) mode {stage_mode}")

        algorithm.on_stage = _stage
    t0 = time.perf_counter()
    algorithm.setup(problem, rng)
    history: list[dict] = []
    ck = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if ck is not None and (ck / "meta.json").exists():
        history = read_meta(ck)["extra"].get("history", [])
        _replay(algorithm, history)
        evaluator.trainer, _ = load_checkpoint(ck, evaluator.trainer.train_data, device=evaluator.trainer.device)
        if log:
            log(f"resumed after generation {len(history)} from {ck}")
    resumed = len(history)
    for g in range(resumed, int(generations)):
        if getattr(algorithm, "finished", False):
            break
        archs = np.asarray(algorithm.ask())
        if archs.ndim == len(space.arch_shape):
            archs = archs[None]
        t1 = time.perf_counter()
        ev = problem.evaluate(archs)
        algorithm.tell(archs, ev)
        history.append(_record(g, archs, ev, time.perf_counter() - t1))
        if ck is not None:
            save_checkpoint(ck, evaluator.trainer, extra={"history": history})
        if log:
            vals = next(iter(ev.values.values()))
            log(f"generation {g + 1}/{generations}: {len(archs)} archs, best {np.nanmax(vals):.2f}, "
                f"mean {np.nanmean(vals):.2f}, {time.perf_counter() - t1:.1f}s")
    chosen = np.asarray(algorithm.result())
    last: dict = {}
    metric = problem.objectives[0].metric
    for rec in history:
        for a, v in zip(np.atleast_1d(space.key(np.asarray(rec["archs"]))), rec["values"][metric]):
            last[int(a)] = v
    keys = np.atleast_1d(space.key(chosen)) if len(chosen) else []
    return SearchOutcome(chosen=chosen, chosen_strings=[space.to_string(a) for a in chosen],
                         chosen_fitness=[last.get(int(k), float("nan")) for k in keys], history=history,
                         generations=len(history), resumed_from=resumed, wall_seconds=time.perf_counter() - t0)


def make_supernet(space_name: str, *, C: int | None = None, cells: int | None = None, num_classes: int = 10,
                  track_running_stats: bool = True, op_mask=None):
    """DARTS: C=16, 8 cells by default; NB201: C=16, N=5 cells per stage by default."""
    from .darts_net import DartsSupernet
    from .nb201_net import NB201Supernet

    if space_name == "darts":
        return DartsSupernet(C=C or 16, layers=cells or 8, num_classes=num_classes,
                             track_running_stats=track_running_stats, op_mask=op_mask)
    if space_name == "nb201":
        return NB201Supernet(C=C or 16, N=cells or 5, num_classes=num_classes,
                             track_running_stats=track_running_stats, op_mask=op_mask)
    from ..errors import unknown

    raise unknown("space", space_name, ("darts", "nb201"))


def supernet_problem(space_name: str, data: dict, rng: np.random.Generator, *, C=None, cells=None,
                     epochs: int = 50, bn_mode: str = "eval", train_mode: str = "A", train_on_evaluate: bool = True,
                     track_running_stats: bool = True, valid_batch_size: int = 1024, cache: bool = True,
                     hard: bool = False, device=None, **trainer_kw):
    """Problem (maximise ``supernet_valid_acc``) over a fresh supernet trained on ``data['train']``, scored on
    ``data['valid']``. ``rng`` seeds the trainer (give the algorithm a different Generator)."""
    from ..evaluators.supernet import METRIC, SupernetEvaluator
    from ..problems.base import Objective, Problem
    from ..spaces import get_space
    from .mixed import reset_parameters
    from .training import SupernetTrainer

    space = get_space(space_name)
    net = reset_parameters(make_supernet(space_name, C=C, cells=cells, num_classes=data["num_classes"],
                                         track_running_stats=track_running_stats), rng)
    trainer = SupernetTrainer(net, data["train"], rng, epochs=epochs, hard=hard, device=device, **trainer_kw)
    ev = SupernetEvaluator(space, trainer, data["valid"], bn_mode=bn_mode, valid_batch_size=valid_batch_size,
                           hard=hard, train_mode=train_mode, train_on_evaluate=train_on_evaluate, cache=cache)
    return Problem(space, ev, (Objective(METRIC, "max"),), name=f"supernet-{space_name}",
                   info={"bn_mode": bn_mode, "train_mode": train_mode, "hard": hard})
