"""Supernet fitness: top-1 of a decoded architecture in a weight-sharing supernet (EvNAS arXiv 2012.12540 and its
successors CMANAS arXiv 2107.07266, pEvoNAS arXiv 2203.01559, NEvoNAS arXiv 2204.00188: decoding, training
modes and fitness as in the EvNAS paper, Sinha & Chen, GECCO 2021).

The evaluator receives discrete archs in the space's native encoding -- the same arrays the tabular path gets --
and scores each with ``space.alpha_hat(arch)`` (the soft one-hot decoding) over the WHOLE validation split. So an
algorithm that evolves alpha matrices and decodes them with ``space.decode_alpha`` runs unchanged on both paths.

Supernet training between generations (the algorithm-agnostic hook):

* ``train_on_evaluate=True`` with ``train_mode='A'``: every ``evaluate(archs)`` call first trains
  ``epochs_per_generation`` epoch(s) in mode A with ``archs`` as the round-robin population, then scores them
  (EvNAS: the population each generation; NEvoNAS: the offspring). Works inside any runner that only calls evaluate.
* explicit: a driver calls :meth:`train_generation` (mode A/B/C) and :meth:`pretrain` (CMANAS / pEvoNAS, frozen
  supernet afterwards), and :meth:`restrict` for a pEvoNAS stage (op mask + weight inheritance + stage training).

Cost: measured seconds per arch; training seconds done inside ``evaluate`` are split evenly over that batch (so the
summed cost is the search's wall time). The AF cache (CMANAS / pEvoNAS) is keyed by ``(weights version,
space.key(arch))``: exact, because any training step changes the version.
"""
from __future__ import annotations

import time

import numpy as np

from ..errors import ConfigError
from .base import Evaluation, Evaluator

METRIC = "supernet_valid_acc"


class SupernetEvaluator(Evaluator):
    """Fitness ``supernet_valid_acc`` (top-1 %, validation split, decoded alpha-hat) with measured cost.

    space: a space object (``alpha_hat``, ``key``, ``arch_shape``); trainer: a
    :class:`nasbench_eval.supernet.SupernetTrainer`; valid_data: ``(x, y)`` tensors.
    bn_mode: ``'eval'`` (running stats) or ``'train'`` (batch stats, EvNAS S1); hard: run only the chosen op per
    edge (EvNAS-ND ablation); cache: AF table on/off.
    """

    metrics = (METRIC,)
    cost_unit = "seconds"

    def __init__(self, space, trainer, valid_data, *, bn_mode: str = "eval", valid_batch_size: int = 1024,
                 hard: bool = False, train_mode: str = "A", train_on_evaluate: bool = False,
                 epochs_per_generation: int = 1, cache: bool = True):
        from ..supernet.training import BN_MODES, MODES

        if bn_mode not in BN_MODES:
            raise ConfigError(f"bn_mode must be one of {BN_MODES}; got {bn_mode!r}")
        if train_mode not in MODES:
            raise ConfigError(f"train_mode must be one of {MODES}; got {train_mode!r}")
        if trainer.net.space_name != space.name:
            raise ConfigError(f"supernet is for space {trainer.net.space_name!r}, space is {space.name!r}")
        self.space, self.trainer, self.valid_data = space, trainer, valid_data
        self.arch_shape = tuple(space.arch_shape)
        self.bn_mode, self.valid_batch_size, self.hard = bn_mode, valid_batch_size, hard
        self.train_mode, self.train_on_evaluate = train_mode, train_on_evaluate
        self.epochs_per_generation = epochs_per_generation
        self.cache = cache
        self._table: dict = {}
        self.log: list[dict] = []  # one row per training epoch

    # ------------------------------------------------------------------ training hooks
    def train_generation(self, archs=None, mode: str | None = None) -> float:
        """Train ``epochs_per_generation`` epochs (mode A: ``archs`` round-robin). Returns the seconds spent."""
        mode = mode or self.train_mode
        hat = None
        if mode == "A":
            if archs is None or len(archs) == 0:
                raise ConfigError("mode 'A' training needs the archs of the population")
            hat = self.space.alpha_hat(np.asarray(archs))
        spent = 0.0
        for _ in range(self.epochs_per_generation):
            row = self.trainer.train_epoch(mode, hat)
            self.log.append({"mode": mode, **row})
            spent += row["seconds"]
        return spent

    def pretrain(self, epochs: int, mode: str = "B") -> float:
        """Train ``epochs`` epochs in mode B or C before a search on a frozen supernet (CMANAS, pEvoNAS)."""
        if mode not in ("B", "C"):
            raise ConfigError(f"pretrain mode must be 'B' or 'C' (mode 'A' needs a population); got {mode!r}")
        spent = 0.0
        for _ in range(epochs):
            row = self.trainer.train_epoch(mode)
            self.log.append({"mode": mode, **row})
            spent += row["seconds"]
        return spent

    def restrict(self, op_mask, *, inherit: bool = True, epochs: int = 0, mode: str = "B") -> None:
        """pEvoNAS stage: new supernet keeping only ``op_mask`` ops, weights inherited from the current one, a fresh
        SGD optimiser and schedule, then ``epochs`` epochs of mode B/C training."""
        from ..supernet.checkpoint import build_net
        from ..supernet.mixed import inherit_weights
        from ..supernet.training import SupernetTrainer

        old = self.trainer
        cfg = dict(old.net.config(), op_mask=np.asarray(op_mask, bool))
        net = build_net(type(old.net).__name__, cfg)
        if inherit:
            inherit_weights(net, old.net.cpu())
        self.trainer = SupernetTrainer(net, old.train_data, old.rng, device=old.device, **old.hparams)
        self.trainer.version = old.version + 1
        if epochs:
            self.pretrain(epochs, mode)

    # ------------------------------------------------------------------ scoring
    def _evaluate(self, archs: np.ndarray) -> Evaluation:
        from ..supernet.training import top1_accuracy

        train_s = self.train_generation(archs) if self.train_on_evaluate else 0.0
        n = len(archs)
        acc, cost, cached = np.empty(n), np.zeros(n), np.zeros(n, dtype=bool)
        keys = np.atleast_1d(self.space.key(archs))
        hats = self.space.alpha_hat(archs)
        x, y = self.valid_data
        for i in range(n):
            k = (self.trainer.version, int(keys[i]))
            if self.cache and k in self._table:
                acc[i], cached[i] = self._table[k], True
                continue
            t0 = time.perf_counter()
            acc[i] = top1_accuracy(self.trainer.net, x, y, hats[i], bn_mode=self.bn_mode,
                                   batch_size=self.valid_batch_size, hard=self.hard)
            cost[i] = time.perf_counter() - t0
            if self.cache:
                self._table[k] = acc[i]
        cost += train_s / n if n else 0.0
        return Evaluation({METRIC: acc}, cost, cached)

    def fingerprint(self) -> str:
        net = self.trainer.net
        return (f"SupernetEvaluator({type(net).__name__}{net.config()}, v{self.trainer.version}, "
                f"bn={self.bn_mode}, hard={self.hard})")
