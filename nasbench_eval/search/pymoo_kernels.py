"""pymoo 0.6.2's simulated binary crossover and polynomial mutation, bit for bit, for the tiny batches of NSGA-II on
NAS spaces.

On NB201 most children are duplicates, so a generation is re-mated many times for one or two missing children, and
pymoo's array code (``SBX._do`` with ``cross_sbx``, ``PM._do`` with ``mut_pm``: about 90 numpy calls, 160 us per
mating) outweighs everything else in the run. :func:`sbx` and :func:`pm` compute the same numbers, on arrays with a
third of the numpy calls, and for the one- or two-mating batches of most re-matings in plain Python floats:

* the same random draws from the same Generator, in the same order and of the same sizes;
* the same arithmetic on every element that pymoo keeps, operation by operation: ``+ - * /`` and comparisons of
  float64 give the same bits element by element, in numpy or in Python (a zero divisor gives inf / NaN as numpy
  does), and every power goes through ``np.power`` on contiguous float64 arrays, as pymoo's (a SIMD ``pow`` may
  differ from libm's in the last bit, so it is never replaced by Python's ``**``);
* pymoo evaluates both branches of each formula on every element and keeps one; here each element's kept branch is
  chosen first and the power taken once.

:func:`sbx_params` / :func:`pm_params` accept exactly pymoo's ``SBX`` / ``PM`` classes with constant parameters
(everything NSGA-II and NEvoNAS configure) and return None for anything else, which then runs through the
operator's own ``_do``. ``tests/test_pymoo_kernels.py`` compares both functions with pymoo's operators on thousands
of random batches (outputs and the Generator's state afterwards).
"""
from __future__ import annotations

import math

import numpy as np

# batches of at most this many values per parent (SBX) / in all (PM) run in plain Python: below, numpy's per-call
# cost dominates (measured: 1 mating 20 vs 44 us, 5 about even for SBX; 10 children about even for PM)
SMALL_SBX, SMALL_PM = 30, 60
SBX_EPS = 1.0e-14  # cross_sbx's default eps: parents this close are not crossed


def constant(v) -> float | None:
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
    p = tuple(constant(getattr(crossover, k)) for k in ("eta", "prob_var", "prob_exch", "prob_bin"))
    return None if None in p else p


def pm_params(mutation, n_var: int) -> tuple | None:
    """``(eta, prob_var)`` of pymoo's PM with constant parameters and ``at_least_once=False``, else None
    (``prob_var`` None means pymoo's default ``min(0.5, 1 / n_var)``)."""
    from pymoo.operators.mutation.pm import PM, PolynomialMutation

    if type(mutation) not in (PM, PolynomialMutation) or mutation.at_least_once:
        return None
    eta = constant(mutation.eta)
    prob_var = min(0.5, 1 / n_var) if mutation.prob_var is None else constant(mutation.prob_var)
    return None if eta is None or prob_var is None else (eta, prob_var)


def sbx(X: np.ndarray, xl: np.ndarray, xu: np.ndarray, params: tuple, n_offsprings: int,
        rs: np.random.Generator) -> np.ndarray:
    """``SBX._do(problem, X)`` of pymoo 0.6.2 (``X``: parents ``(2, n_matings, n_var)``; returns
    ``(n_offsprings, n_matings, n_var)`` floats)."""
    small = X.shape[1] * X.shape[2] <= SMALL_SBX
    return (_sbx_python if small else _sbx_numpy)(X, xl, xu, params, n_offsprings, rs)


def pm(X: np.ndarray, xl: np.ndarray, xu: np.ndarray, params: tuple, rs: np.random.Generator) -> np.ndarray:
    """``PM._do(problem, X)`` of pymoo 0.6.2 (``at_least_once=False``): the mutated copy of ``X`` ``(n, n_var)``."""
    return (_pm_python if X.size <= SMALL_PM else _pm_numpy)(X, xl, xu, params, rs)


def _div(a: float, b: float) -> float:
    """``a / b`` as numpy divides two float64 (a zero divisor gives +-inf or NaN instead of raising)."""
    if b != 0.0:
        return a / b
    if a != a or a == 0.0:
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _clamp(v: float, lo: float, hi: float) -> float:
    """pymoo's bound repairs on one value (``v < lo`` -> lo, then ``v > hi`` -> hi; NaN and -0.0 kept)."""
    return lo if v < lo else (hi if v > hi else v)


def _sbx_python(X, xl, xu, params, n_offsprings, rs) -> np.ndarray:
    """:func:`sbx` for a few matings: Python floats, the powers through ``np.power``."""
    eta, prob_var, prob_exch, prob_bin = params
    _, n, n_var = X.shape
    X = X.astype(float, copy=False)
    exchange_off = (rs.random(n) > prob_exch).tolist()
    r = rs.random(n * n_var).tolist()  # = rs.random((n, n_var)), row-major
    x0, x1 = X[0].tolist(), X[1].tolist()
    lo, hi = xl.tolist(), xu.tolist()
    sel = [(i, j) for i in range(n) for j in range(n_var)
           if r[i * n_var + j] < prob_var and not abs(x0[i][j] - x1[i][j]) <= SBX_EPS and lo[j] != hi[j]]
    k = len(sel)
    rand = rs.random(k).tolist()
    p1 = [x0[i][j] for i, j in sel]
    p2 = [x1[i][j] for i, j in sel]
    y1 = [a if a < b else b for a, b in zip(p1, p2)]
    y2 = [b if a < b else a for a, b in zip(p1, p2)]
    delta = [b - a for a, b in zip(y1, y2)]
    beta = ([1.0 + _div(2.0 * (a - lo[j]), d) for a, d, (_, j) in zip(y1, delta, sel)]
            + [1.0 + _div(2.0 * (hi[j] - b), d) for b, d, (_, j) in zip(y2, delta, sel)])
    e1 = eta + 1.0
    alpha = (2.0 - np.power(np.array(beta), np.full(2 * k, -e1))).tolist()
    rand2 = rand + rand
    base, valid = [], []
    for u, a in zip(rand2, alpha):
        inv, ra = _div(1.0, a), u * a
        base.append(ra if u <= inv else _div(1.0, 2.0 - ra))
        valid.append(u <= inv or u > inv)
    betaq = np.power(np.array(base), np.full(2 * k, _div(1.0, e1))).tolist()
    exch = rs.random(k).tolist()
    Q = [[row[:] for row in x0], [row[:] for row in x1]]
    for m, (i, j) in enumerate(sel):
        a, b, d = y1[m], y2[m], delta[m]
        s = a + b
        c1 = 0.5 * (s - (betaq[m] if valid[m] else 0.0) * d)
        c2 = 0.5 * (s + (betaq[k + m] if valid[k + m] else 0.0) * d)
        ch1, ch2 = (c1, c2) if p1[m] < p2[m] else (c2, c1)
        if (exch[m] < (0.0 if exchange_off[i] else prob_bin)) != (p1[m] > p2[m]):
            ch1, ch2 = ch2, ch1
        Q[0][i][j], Q[1][i][j] = ch1, ch2
    Q = [[[_clamp(v, lo[j], hi[j]) for j, v in enumerate(row)] for row in child] for child in Q]
    if n_offsprings == 1:
        take = (rs.random(n) < 0.5).tolist()
        Q = [[Q[1][i] if take[i] else Q[0][i] for i in range(n)]]
    return np.array(Q, dtype=float).reshape(n_offsprings, n, n_var)


def _sbx_numpy(X, xl, xu, params, n_offsprings, rs) -> np.ndarray:
    """:func:`sbx` on arrays (many matings: the first of each generation)."""
    eta, prob_var, prob_exch, prob_bin = params
    X = X.astype(float, copy=False)
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


def _pm_python(X, xl, xu, params, rs) -> np.ndarray:
    """:func:`pm` for a few children: Python floats, the powers through ``np.power``."""
    eta, prob_var = params
    n, n_var = X.shape
    Xf = X.astype(float, copy=False).tolist()
    r = rs.random(n * n_var).tolist()
    lo, hi = xl.tolist(), xu.tolist()
    sel = [(i, j) for i in range(n) for j in range(n_var) if r[i * n_var + j] < prob_var and lo[j] != hi[j]]
    rand = rs.random(len(sel)).tolist()
    e1 = eta + 1.0
    xy = []
    for u, (i, j) in zip(rand, sel):
        x, span = Xf[i][j], hi[j] - lo[j]
        xy.append(1.0 - (x - lo[j]) / span if u <= 0.5 else 1.0 - (hi[j] - x) / span)
    with np.errstate(invalid="ignore"):
        pw = np.power(np.array(xy), np.full(len(xy), e1)).tolist()
        val = [2.0 * u + (1.0 - 2.0 * u) * w if u <= 0.5 else 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * w
               for u, w in zip(rand, pw)]
        pv = np.power(np.array(val), np.full(len(val), _div(1.0, e1))).tolist()
    for u, v, (i, j) in zip(rand, pv, sel):
        x = Xf[i][j]
        Xf[i][j] = _clamp(x + ((v - 1.0) if u <= 0.5 else (1.0 - v)) * (hi[j] - lo[j]), lo[j], hi[j])
    return np.array([[_clamp(v, lo[j], hi[j]) for j, v in enumerate(row)] for row in Xf], dtype=float).reshape(n, n_var)


def _pm_numpy(X, xl, xu, params, rs) -> np.ndarray:
    """:func:`pm` on arrays."""
    eta, prob_var = params
    X = X.astype(float, copy=False)
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
