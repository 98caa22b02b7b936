"""pymoo 0.6.2's simulated binary crossover and polynomial mutation, bit for bit, for the tiny batches of NSGA-II on
NAS spaces.

On NB201 most children are duplicates, so a generation is re-mated many times for one or two missing children, and
pymoo's array code (``SBX._do`` with ``cross_sbx``, ``PM._do`` with ``mut_pm``: about 90 numpy calls, 160 us per
mating) outweighs everything else in the run. :func:`sbx` and :func:`pm` compute the same numbers with a third of
the numpy calls:

* the same random draws from the same Generator, in the same order and of the same sizes;
* the same arithmetic on every element that pymoo keeps, operation by operation (IEEE ``+ - * /`` are exact in any
  grouping of elements), and every power through ``np.power`` on contiguous float64 arrays, as pymoo's (a SIMD
  ``pow`` may differ from libm's in the last bit, so it is never replaced by Python's ``**``);
* pymoo evaluates both branches of each formula on every element and keeps one; here each element's kept branch is
  chosen first and the power taken once.

:func:`sbx_params` / :func:`pm_params` accept exactly pymoo's ``SBX`` / ``PM`` classes with constant parameters
(everything NSGA-II and NEvoNAS configure) and return None for anything else, which then runs through the
operator's own ``_do``. ``tests/test_pymoo_kernels.py`` compares both functions with pymoo's operators on thousands
of random batches (outputs and the Generator's state afterwards).
"""
from __future__ import annotations

import numpy as np

SBX_EPS = 1.0e-14  # cross_sbx's default eps: parents this close are not crossed


def _constant(v) -> float | None:
    """The value of a pymoo parameter that is a plain number (or a pymoo Variable holding one), else None."""
    from pymoo.core.variable import Variable

    if isinstance(v, Variable):
        v = v.value
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        return None
    return float(v)


def sbx_params(crossover) -> tuple | None:
    """``(eta, prob_var, prob_exch, prob_bin)`` of pymoo's SBX with constant parameters and 2 parents, else None."""
    from pymoo.operators.crossover.sbx import SBX, SimulatedBinaryCrossover

    if type(crossover) not in (SBX, SimulatedBinaryCrossover) or crossover.n_parents != 2 \
            or crossover.n_offsprings not in (1, 2):
        return None
    p = tuple(_constant(getattr(crossover, k)) for k in ("eta", "prob_var", "prob_exch", "prob_bin"))
    return None if None in p else p


def pm_params(mutation, n_var: int) -> tuple | None:
    """``(eta, prob_var)`` of pymoo's PM with constant parameters and ``at_least_once=False``, else None
    (``prob_var`` None means pymoo's default ``min(0.5, 1 / n_var)``)."""
    from pymoo.operators.mutation.pm import PM, PolynomialMutation

    if type(mutation) not in (PM, PolynomialMutation) or mutation.at_least_once:
        return None
    eta = _constant(mutation.eta)
    prob_var = min(0.5, 1 / n_var) if mutation.prob_var is None else _constant(mutation.prob_var)
    return None if eta is None or prob_var is None else (eta, prob_var)


def sbx(X: np.ndarray, xl: np.ndarray, xu: np.ndarray, params: tuple, n_offsprings: int,
        rs: np.random.Generator) -> np.ndarray:
    """``SBX._do(problem, X)`` of pymoo 0.6.2 (``X``: parents ``(2, n_matings, n_var)``; returns
    ``(n_offsprings, n_matings, n_var)`` floats)."""
    eta, prob_var, prob_exch, prob_bin = params
    X = X.astype(float)
    _, n, n_var = X.shape
    exchange_off = rs.random(n) > prob_exch  # SBX._do: prob_bin = 0 for these matings
    cross = rs.random((n, n_var)) < prob_var
    X0, X1 = X[0], X[1]
    cross &= ~(np.abs(X0 - X1) <= SBX_EPS)
    cross[:, xl == xu] = False
    rows, cols = np.nonzero(cross)  # row-major: the order of pymoo's boolean indexing
    p1, p2 = X0[rows, cols], X1[rows, cols]
    k = len(p1)
    sm = p1 < p2
    y1, y2 = np.where(sm, p1, p2), np.where(sm, p2, p1)
    lo, hi = xl[cols], xu[cols]
    rand = rs.random(k)
    delta = y2 - y1
    # both children's beta (pymoo's two calc_betaq calls) in one array: [c1 part | c2 part]
    beta = np.concatenate([1.0 + (2.0 * (y1 - lo) / delta), 1.0 + (2.0 * (hi - y2) / delta)])
    e1 = np.full(2 * k, eta + 1.0)
    alpha = 2.0 - np.power(beta, -e1)
    rand2 = np.concatenate([rand, rand])
    ra = rand2 * alpha
    inv = 1.0 / alpha
    low = rand2 <= inv
    base = np.where(low, ra, 1.0 / (2.0 - ra))
    betaq = np.where(low | (rand2 > inv), np.power(base, 1.0 / e1), 0.0)
    s = y1 + y2
    c1 = 0.5 * (s - betaq[:k] * delta)
    c2 = 0.5 * (s + betaq[k:] * delta)
    child1, child2 = np.where(sm, c1, c2), np.where(sm, c2, c1)
    pbin = np.where(exchange_off, 0.0, prob_bin)[rows]
    b = (rs.random(k) < pbin) ^ (p1 > p2)
    Q = X.copy()
    Q[0, rows, cols] = np.where(b, child2, child1)
    Q[1, rows, cols] = np.where(b, child1, child2)
    Q = np.where(Q < xl, xl, np.where(Q > xu, xu, Q))  # pymoo's repair_clamp of each child (not np.clip: -0.0)
    if n_offsprings == 1:
        take = rs.random(n) < 0.5
        Q[0, take] = Q[1, take]
        Q = Q[[0]]
    return Q


def pm(X: np.ndarray, xl: np.ndarray, xu: np.ndarray, params: tuple, rs: np.random.Generator) -> np.ndarray:
    """``PM._do(problem, X)`` of pymoo 0.6.2 (``at_least_once=False``): the mutated copy of ``X`` ``(n, n_var)``."""
    eta, prob_var = params
    X = X.astype(float)
    mut = rs.random(X.shape) < prob_var
    mut[:, xl == xu] = False
    rows, cols = np.nonzero(mut)
    x = X[rows, cols]
    lo, hi = xl[cols], xu[cols]
    span = hi - lo
    rand = rs.random(len(x))
    low = rand <= 0.5
    e1 = np.full(len(x), eta + 1.0)
    with np.errstate(invalid="ignore"):
        xy = np.where(low, 1.0 - (x - lo) / span, 1.0 - (hi - x) / span)
        pw = np.power(xy, e1)
        val = np.where(low, 2.0 * rand + (1.0 - 2.0 * rand) * pw, 2.0 * (1.0 - rand) + 2.0 * (rand - 0.5) * pw)
        pv = np.power(val, 1.0 / e1)
    y = x + np.where(low, pv - 1.0, 1.0 - pv) * span
    y = np.where(y < lo, lo, np.where(y > hi, hi, y))
    Xp = X.copy()
    Xp[rows, cols] = y
    return np.where(Xp < xl, xl, np.where(Xp > xu, xu, Xp))  # pymoo's set_to_bounds_if_outside
