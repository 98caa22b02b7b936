"""Supernet searches through the one run loop (:func:`nasbench_eval.search.run`), resumable from a directory.

Any :class:`~nasbench_eval.search.Algorithm` works. One generation = one batch of the run: one ``ask``, one
``problem.evaluate`` (with ``SupernetEvaluator(train_on_evaluate=True)`` this trains the supernet one epoch on the
asked archs first -- EvNAS / NEvoNAS), one ``tell``; the budget is ``Budget(batches=generations)``. What is
specific to supernets is evaluator state, kept by callbacks:

* stages: an algorithm that announces ``"stage"`` events (pEvoNAS) gets, at every stage after the first, a
  supernet restricted to the stage's ``op_mask`` with the kept ops' weights inherited (``inherit``) and
  ``stage_epochs`` epochs of mode ``stage_mode`` training, as in pEvoNAS (Sinha & Chen, GECCO 2022);
* checkpoints: with ``checkpoint_dir`` the run saves its record (``run.npz``) after every generation, and the
  evaluator's trainer (supernet, optimiser, schedule, the trainer's RNG) and its AF cache next to it, tagged with
  the generation count (``trainer-000003/``). On restart with the same algorithm settings and a Generator from the
  same seed, the run replays its record through ask/tell -- no training, no evaluation, each asked batch checked
  against the record -- then restores the trainer of that generation and continues. The result equals an
  uninterrupted run.

The caller's algorithm is never touched (the run works on a copy).
"""
from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..search.callbacks import Callback
from ..search.run import Budget, RunResult, run


@dataclass
class SearchOutcome:
    chosen: np.ndarray  # (k, *arch_shape) from algorithm.result()
    chosen_strings: list[str]
    chosen_fitness: list[float]  # last search-time value of each chosen arch (validation split, never test)
    result: RunResult  # the run: trajectory (one row per evaluated arch), answer, cost, stop reason
    space: object = None
    generations: int = 0
    resumed_from: int = 0
    wall_seconds: float = 0.0

    @property
    def history(self) -> list[dict]:
        """Per generation (a view of the trajectory): archs, search values, cost, cached, seconds (summed cost)."""
        t, space = self.result.trajectory, self.space
        metrics = [k for k in t if k not in ("eval", "batch", "key", "cost", "cached", "cum_cost")
                   and not k.startswith("report_")]
        out = []
        for g in range(self.generations):
            rows = t["batch"] == g
            out.append({"generation": g, "archs": space.from_key(t["key"][rows]).tolist(),
                        "values": {m: t[m][rows].tolist() for m in metrics}, "cost": t["cost"][rows].tolist(),
                        "cached": t["cached"][rows].tolist(), "seconds": float(t["cost"][rows].sum())})
        return out


class SupernetStages(Callback):
    """pEvoNAS stages on a live supernet: restrict the evaluator's supernet to each new stage's op mask."""

    def __init__(self, evaluator, *, inherit: bool = True, epochs: int = 0, mode: str = "B", log=None):
        self.evaluator, self.inherit, self.epochs, self.mode, self.log = evaluator, inherit, epochs, mode, log

    def on_stage(self, state, stage, op_mask=None, **info):
        if stage == 0 or state.replaying:  # a resumed run restores the restricted trainer from its checkpoint
            return
        self.evaluator.restrict(op_mask, inherit=self.inherit, epochs=self.epochs, mode=self.mode)
        if self.log:
            self.log(f"stage {stage}: supernet restricted to {int(op_mask.sum())} (edge, op) pairs, "
                     f"{'inherited weights' if self.inherit else 'fresh weights'}, {self.epochs} epoch(s) "
                     f"mode {self.mode}")


class TrainerCheckpoint(Callback):
    """Keeps the supernet trainer and the evaluator's AF cache with the run's checkpoints (``trainer-NNNNNN/``)."""

    PATTERN = re.compile(r"trainer-(\d{6})$")

    def __init__(self, evaluator):
        self.evaluator = evaluator
        self.resumed_from = 0

    def on_checkpoint(self, state, directory):
        from .checkpoint import save_checkpoint

        d = Path(directory)
        trainer = self.evaluator.trainer
        cache = [[int(v), int(k), float(a)] for (v, k), a in getattr(self.evaluator, "_table", {}).items()
                 if v == trainer.version]
        tmp = d / f"trainer-{state.batches:06d}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        save_checkpoint(tmp, trainer, extra={"batches": state.batches, "af_cache": cache})
        out = d / f"trainer-{state.batches:06d}"
        if out.exists():  # saved again for the same generation (the end of a resumed run): swap by renames
            old = d / f"{out.name}.old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
        # the run's record still names an earlier generation until it is replaced: keep that one, drop the older
        tags = sorted(int(m.group(1)) for p in d.iterdir() if (m := self.PATTERN.match(p.name)))
        for t in tags[:-2]:
            shutil.rmtree(d / f"trainer-{t:06d}", ignore_errors=True)

    def on_resume(self, state, directory):
        from .checkpoint import load_checkpoint

        d = Path(directory) / f"trainer-{state.batches:06d}"
        if not (d / "meta.json").exists():
            raise ConfigError(f"resume: {str(directory)!r} holds the run's record up to generation {state.batches} "
                              f"but no supernet checkpoint for it ({d.name}); start a new directory")
        ev = self.evaluator
        ev.trainer, meta = load_checkpoint(d, ev.trainer.train_data, device=ev.trainer.device)
        if hasattr(ev, "_table"):
            ev._table = {(v, k): a for v, k, a in meta["extra"].get("af_cache", [])}
        self.resumed_from = state.batches


class GenerationLog(Callback):
    def __init__(self, log, generations: int):
        self.log, self.generations, self.t = log, generations, time.perf_counter()

    def on_resume(self, state, directory):
        self.log(f"resumed after generation {state.batches} from {directory}")
        self.t = time.perf_counter()

    def on_batch(self, state):
        vals = next(iter(state.evaluation.values.values()))
        now = time.perf_counter()
        self.log(f"generation {state.batches}/{self.generations}: {len(state.archs)} archs, best "
                 f"{np.nanmax(vals):.2f}, mean {np.nanmean(vals):.2f}, {now - self.t:.1f}s")
        self.t = now


def run_supernet_search(algorithm, problem, rng: np.random.Generator, generations: int, *,
                        checkpoint_dir=None, log=None, stage_epochs: int = 0, stage_mode: str = "B",
                        inherit: bool = True) -> SearchOutcome:
    """Run ``generations`` ask/evaluate/tell rounds of ``algorithm`` on ``problem`` (its evaluator a
    :class:`~nasbench_eval.evaluators.supernet.SupernetEvaluator`) through :func:`nasbench_eval.search.run`;
    ``rng`` seeds the algorithm only (module docstring: stages, checkpoints)."""
    if isinstance(generations, bool) or int(generations) != generations or generations < 1:
        raise ConfigError(f"generations must be a positive integer; got {generations!r}")
    evaluator = problem.evaluator
    callbacks: list[Callback] = []
    if hasattr(evaluator, "restrict"):
        callbacks.append(SupernetStages(evaluator, inherit=inherit, epochs=stage_epochs, mode=stage_mode, log=log))
    ck = TrainerCheckpoint(evaluator) if checkpoint_dir is not None else None
    if ck is not None:
        callbacks.append(ck)
    if log:
        callbacks.append(GenerationLog(log, int(generations)))
    res = run(algorithm, problem, Budget(batches=int(generations)), rng, callbacks=callbacks,
              checkpoint=checkpoint_dir)
    space, t = problem.space, res.trajectory
    metric = problem.objectives[0].metric
    chosen = space.from_key(np.array([c["index"] for c in res.chosen], dtype=np.int64)).reshape(
        len(res.chosen), *space.arch_shape) if res.chosen else np.empty((0, *space.arch_shape), dtype=np.int64)
    last = {int(k): v for k, v in zip(t["key"].tolist(), t[metric].tolist())}  # the last value of each arch
    return SearchOutcome(chosen=chosen, chosen_strings=[c["arch"] for c in res.chosen],
                         chosen_fitness=[last.get(c["index"], float("nan")) for c in res.chosen], result=res, space=space,
                         generations=int(t["batch"].max()) + 1 if len(t["batch"]) else 0,
                         resumed_from=ck.resumed_from if ck is not None else 0, wall_seconds=res.wall_seconds)


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
