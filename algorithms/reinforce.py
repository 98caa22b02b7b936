"""REINFORCE with a factorised categorical policy: NAS-Bench-201's reinforcement-learning baseline.

Williams, "Simple statistical gradient-following algorithms for connectionist reinforcement learning", Machine
Learning 8 (1992); run as in the NB201 paper's baseline (Dong & Yang, "NAS-Bench-201: Extending the Scope of
Reproducible Neural Architecture Search", ICLR 2020, AutoDL-Projects ``exps/algos/reinforce.py``) and its NATS-Bench
successor (Dong, Liu, Musial & Gabrys, "NATS-Bench", IEEE TPAMI 2021, ``exps/NATS-algos/reinforce.py``):

* the policy is one softmax per edge over the 5 ops, logits initialised to ``init_scale`` x N(0, 1) (1e-3);
* each step samples one architecture (each edge independently), its reward is the search fitness (NB201
  validation accuracy, in %);
* the baseline is a bias-corrected exponential moving average of the rewards with momentum ``ema_momentum`` (0.9),
  updated with the new reward before the advantage ``reward - baseline`` is taken, as the scripts do;
* the loss ``-(reward - baseline) * sum_edges log p(op)`` is minimised by Adam (beta 0.9 / 0.999, eps 1e-8, the
  torch defaults) with ``learning_rate`` 0.01, the value the NATS-Bench script's documented runs use (NB201's
  script takes the rate as an argument and its sweep spans 0.01-0.5);
* the answer is the architecture with the best reward seen (the scripts' ``max(trace)``).

Our numpy re-implementation computes the same gradient in closed form (``d log softmax / d logits = onehot - p``);
all randomness comes from the run's Generator. Missing or infeasible evaluations (our extension; the paper has no
constraints): the reward is the worst feasible reward seen so far (the policy is pushed away without mixing units
of violation and accuracy); before any feasible reward, the policy is not updated. The answer follows Deb's rules
(feasible first), so it is feasible whenever any evaluated architecture was.
"""
from __future__ import annotations

import numpy as np

from nasbench_eval.search import Algorithm
from nasbench_eval.search.params import Interval

ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


class Reinforce(Algorithm):
    name = "reinforce"
    summary = "REINFORCE: categorical policy per edge, EMA baseline, Adam (NB201's RL baseline)"
    paper = ("Williams, Machine Learning 1992; NB201 baseline (Dong & Yang, ICLR 2020) with NATS-Bench's settings "
             "(Dong et al., TPAMI 2021: Adam lr 0.01, EMA momentum 0.9)")
    parameter_constraints = {
        "learning_rate": Interval(float, 0, None, closed="neither"),
        "ema_momentum": Interval(float, 0, 1, closed="left"),
        "init_scale": Interval(float, 0, None),
    }

    def __init__(self, learning_rate: float = 0.01, ema_momentum: float = 0.9, init_scale: float = 1e-3):
        self.learning_rate = learning_rate
        self.ema_momentum = ema_momentum
        self.init_scale = init_scale

    def _setup(self):
        n_pos, n_ops = len(self.space.n_choices), int(self.space.n_choices.max())
        self._logits = float(self.init_scale) * self.rng.standard_normal((n_pos, n_ops))
        self._m = np.zeros_like(self._logits)
        self._v = np.zeros_like(self._logits)
        self._step = 0
        self._ema_num = self._ema_den = 0.0
        self._worst_feasible = None

    def probabilities(self) -> np.ndarray:
        """The current policy, one row of op probabilities per edge."""
        z = self._logits - self._logits.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def ask(self) -> np.ndarray:
        p = self.probabilities()
        u = self.rng.random(len(p))
        ops = (np.cumsum(p, axis=1) < u[:, None]).sum(axis=1)
        return np.minimum(ops, p.shape[1] - 1).astype(np.int64)[None]

    def _tell(self, archs, ev):
        fit, viol = self.problem.fitness(ev), self.problem.violation(ev)
        for arch, f, v in zip(archs, fit, viol):
            if v == 0 and np.isfinite(f):
                reward = float(f)
                self._worst_feasible = reward if self._worst_feasible is None else min(self._worst_feasible, reward)
            elif self._worst_feasible is not None:
                reward = self._worst_feasible
            else:
                continue
            self._update(arch, reward)

    def _update(self, arch: np.ndarray, reward: float) -> None:
        mom = float(self.ema_momentum)
        self._ema_num = mom * self._ema_num + (1 - mom) * reward
        self._ema_den = mom * self._ema_den + (1 - mom)
        advantage = reward - self._ema_num / self._ema_den
        onehot = np.zeros_like(self._logits)
        onehot[np.arange(len(arch)), arch] = 1.0
        grad = -advantage * (onehot - self.probabilities())  # d loss / d logits
        b1, b2 = ADAM_BETAS
        self._step += 1
        self._m = b1 * self._m + (1 - b1) * grad
        self._v = b2 * self._v + (1 - b2) * grad**2
        m_hat = self._m / (1 - b1**self._step)
        v_hat = self._v / (1 - b2**self._step)
        self._logits -= float(self.learning_rate) * m_hat / (np.sqrt(v_hat) + ADAM_EPS)
