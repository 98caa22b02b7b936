"""The NAS-Bench-201 cell space: 4 nodes, 6 edges ``j -> i`` (j < i), 5 ops per edge, 15,625 architectures.

Four exact, vectorised representations of one architecture:

* **index** -- the NB201 / HW-NAS-Bench benchmark index 0..15624. This is *not* base-5 order; the mapping is the
  order of NB201's own table, shipped as ``nb201_index_order.npy`` (base-5 code per index, verified against every
  source when the store is built).
* **arch string** -- ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``.
* **op tuple** -- 6 ints in canonical edge order ``1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2``, op ids in :data:`OPS` order.
* **one-hot** -- a ``(6, 5)`` 0/1 matrix (or ``(n, 6, 5)``).
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import numpy as np

from ..errors import InvalidArchError

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))  # (to, from)
N_EDGES = 6
N_OPS = 5
N_ARCHS = N_OPS**N_EDGES
_POW = N_OPS ** np.arange(N_EDGES - 1, -1, -1)  # base-5 code weights, first edge most significant
_NODE_RE = re.compile(r"\|([^|~]*)~(\d+)")


@lru_cache(maxsize=1)
def _order() -> tuple[np.ndarray, np.ndarray]:
    """(code_of_index, index_of_code) arrays; loaded once per process (31 KB)."""
    with resources.files(__package__).joinpath("nb201_index_order.npy").open("rb") as fh:
        code_of_index = np.load(fh, allow_pickle=False).astype(np.int64)
    index_of_code = np.empty(N_ARCHS, dtype=np.int64)
    index_of_code[code_of_index] = np.arange(N_ARCHS)
    return code_of_index, index_of_code


# ---------------------------------------------------------------------------------------------- validation
def all_in_range(arr: np.ndarray, hi: int) -> bool:
    """True when every entry of the integer array ``arr`` is in ``0..hi-1``. A few entries are checked in plain
    Python (a numpy reduction costs ~2 us, which a steady-state search pays per evaluation), many with one unsigned
    comparison (negatives wrap to huge values)."""
    if arr.size == 1:
        return 0 <= arr.item() < hi
    if arr.size <= 16:
        flat = arr.ravel().tolist()
        return not flat or (min(flat) >= 0 and max(flat) < hi)
    return not (arr.astype(np.uint64, copy=False) >= hi).any()


def _as_ops(ops) -> np.ndarray:
    arr = np.asarray(ops)
    if arr.ndim == 0 or arr.shape[-1] != N_EDGES:
        raise InvalidArchError(f"an NB201 op tuple has {N_EDGES} entries (one per edge); got shape {arr.shape}")
    if arr.dtype.kind not in "iu":  # the hot path (integer arrays) skips the float checks
        if arr.dtype.kind != "f" or not np.all(np.equal(np.mod(arr, 1), 0)):
            raise InvalidArchError(f"op ids must be integers 0..{N_OPS - 1}; got {ops!r}")
        arr = arr.astype(np.int64)
    if not all_in_range(arr, N_OPS):
        raise InvalidArchError(f"op ids must be in 0..{N_OPS - 1} ({', '.join(OPS)}); got {ops!r}")
    return arr if arr.dtype == np.int64 else arr.astype(np.int64)


def _as_index(index) -> np.ndarray:
    arr = np.asarray(index)
    if arr.dtype.kind not in "iu":
        raise InvalidArchError(f"an NB201 index is an integer 0..{N_ARCHS - 1}; got {index!r}")
    if not all_in_range(arr, N_ARCHS):
        raise InvalidArchError(f"NB201 index out of range 0..{N_ARCHS - 1}: {index!r}")
    return arr.astype(np.int64, copy=False)


# ---------------------------------------------------------------------------------------------- conversions
def parse_arch(arch: str) -> tuple[int, ...]:
    """Arch string -> op tuple, strictly (exact syntax, known ops, the right input node per edge)."""
    if not isinstance(arch, str):
        raise InvalidArchError(f"an NB201 arch string is a str like '|nor_conv_3x3~0|+|...'; got {type(arch).__name__}")
    nodes = arch.strip().split("+")
    if len(nodes) != 3:
        raise InvalidArchError(f"an NB201 arch string has 3 nodes separated by '+'; got {len(nodes)} in {arch!r}")
    ops: list[int] = []
    for node_i, node in enumerate(nodes, start=1):
        tokens = _NODE_RE.findall(node)
        rebuilt = "".join(f"|{op}~{src}" for op, src in tokens) + "|"
        if rebuilt != node:
            raise InvalidArchError(f"bad syntax in node {node_i} {node!r} of {arch!r}; expected like '|nor_conv_3x3~0|'")
        if len(tokens) != node_i:
            raise InvalidArchError(
                f"node {node_i} must have {node_i} incoming edges; got {len(tokens)} in {arch!r} (6 edges in all)")
        for j, (op, src) in enumerate(tokens):
            if op not in OPS:
                raise InvalidArchError(f"unknown op {op!r} in {arch!r}; allowed: {', '.join(OPS)}")
            if int(src) != j:
                raise InvalidArchError(f"edge {j} of node {node_i} must read from node {j}, got ~{src} in {arch!r}")
            ops.append(OPS.index(op))
    return tuple(ops)


def format_arch(ops) -> str:
    """Op tuple -> arch string."""
    o = _as_ops(ops)
    if o.ndim != 1:
        raise InvalidArchError("format_arch takes one op tuple; use index_to_arch for many")
    n = [OPS[int(x)] for x in o]
    return f"|{n[0]}~0|+|{n[1]}~0|{n[2]}~1|+|{n[3]}~0|{n[4]}~1|{n[5]}~2|"


def ops_to_index(ops) -> np.ndarray | int:
    """Op tuple(s) ``(..., 6)`` -> NB201 index(es)."""
    a = np.asarray(ops)
    if a.shape == (1, N_EDGES) and a.dtype.kind in "iu":  # a steady-state batch: the base-5 code in plain Python
        r = a[0].tolist()
        if min(r) >= 0 and max(r) < N_OPS:
            code = ((((r[0] * N_OPS + r[1]) * N_OPS + r[2]) * N_OPS + r[3]) * N_OPS + r[4]) * N_OPS + r[5]
            return _order()[1][code:code + 1].copy()
    o = _as_ops(a)
    idx = _order()[1][o @ _POW]
    return int(idx) if idx.ndim == 0 else idx


def index_to_ops(index) -> np.ndarray:
    """NB201 index(es) -> op tuple(s) as an int array of shape ``(..., 6)``."""
    code = _order()[0][_as_index(index)]
    return (code[..., None] // _POW) % N_OPS


def arch_to_index(arch) -> int | np.ndarray:
    """Arch string (or a sequence of them) -> NB201 index(es)."""
    if isinstance(arch, str):
        return ops_to_index(parse_arch(arch))
    return np.asarray([ops_to_index(parse_arch(a)) for a in arch], dtype=np.int64)


def index_to_arch(index) -> str | list[str]:
    ops = index_to_ops(index)
    if ops.ndim == 1:
        return format_arch(ops)
    return [format_arch(o) for o in ops.reshape(-1, N_EDGES)]


def ops_to_onehot(ops) -> np.ndarray:
    """Op tuple(s) ``(..., 6)`` -> one-hot ``(..., 6, 5)`` (float32)."""
    o = _as_ops(ops)
    return (o[..., None] == np.arange(N_OPS)).astype(np.float32)


def onehot_to_ops(onehot) -> np.ndarray:
    """One-hot ``(..., 6, 5)`` -> op tuple(s); every row must hold exactly one 1."""
    a = np.asarray(onehot)
    if a.shape[-2:] != (N_EDGES, N_OPS):
        raise InvalidArchError(f"an NB201 one-hot has shape (..., 6, 5); got {a.shape}")
    if not (np.all((a == 0) | (a == 1)) and np.all(a.sum(-1) == 1)):
        raise InvalidArchError("each edge row of a one-hot must hold exactly one 1 and zeros elsewhere")
    return a.argmax(-1)


def decode_alpha(alpha) -> np.ndarray:
    """Real architecture parameters ``(..., 6, 5)`` -> op tuple(s) by per-edge argmax (``none`` can win)."""
    a = np.asarray(alpha, dtype=float)
    if a.shape[-2:] != (N_EDGES, N_OPS):
        raise InvalidArchError(f"NB201 architecture parameters have shape (..., 6, 5); got {a.shape}")
    return a.argmax(-1)


def to_index(arch) -> int:
    """Accept one index, arch string or op tuple and return its NB201 index."""
    if isinstance(arch, (int, np.integer)):
        return int(_as_index(arch))
    if isinstance(arch, str):
        s = arch.strip()
        if s.isascii() and s.lstrip("-").isdigit():  # ASCII only: "²" and other odd digits pass isdigit()
            return int(_as_index(int(s)))
        return arch_to_index(s)
    return int(ops_to_index(arch))


# ---------------------------------------------------------------------------------------------- structure
def is_disconnected(ops) -> np.ndarray | bool:
    """True where no path of non-``none`` edges leads from the input node to the output node."""
    o = _as_ops(ops) != 0
    r1 = o[..., 0]
    r2 = o[..., 1] | (r1 & o[..., 2])
    r3 = o[..., 3] | (r1 & o[..., 4]) | (r2 & o[..., 5])
    res = ~r3
    return bool(res) if res.ndim == 0 else res


def isomorphism_class(ops) -> str:
    """Canonical string of the computation a cell performs; equal strings mean the same network up to weights.

    Reproduces NATS-Bench's unique string exactly (checked against all 15,625 archs when the store is built):
    node 0 is ``0``; an edge contributes ``#`` if its op is ``none`` or its source is ``#``, the source string for
    ``skip_connect``, else ``(src)@op``; a node is the sorted '+'-join of its terms. 6,466 classes.
    """
    o = [int(x) for x in _as_ops(ops)]
    nodes = ["0"]
    e = 0
    for i in range(1, 4):
        terms = []
        for j in range(i):
            op, src = o[e], nodes[j]
            e += 1
            terms.append("#" if op == 0 or src == "#" else src if op == 1 else f"({src})@{OPS[op]}")
        nodes.append("+".join(sorted(terms)))
    return nodes[3]


def neighbours(ops) -> np.ndarray:
    """All 24 architectures that differ from ``ops`` on exactly one edge, shape ``(24, 6)``."""
    o = _as_ops(ops)
    if o.ndim != 1:
        raise InvalidArchError("neighbours takes one op tuple")
    out = np.repeat(o[None, :], N_EDGES * (N_OPS - 1), axis=0)
    row = 0
    for e in range(N_EDGES):
        for op in range(N_OPS):
            if op != o[e]:
                out[row, e] = op
                row += 1
    return out


def edge_distance(a, b) -> np.ndarray | int:
    """Number of edges on which two architectures (broadcastable op tuples) differ (Hamming, 0..6)."""
    d = (_as_ops(a) != _as_ops(b)).sum(-1)
    return int(d) if np.ndim(d) == 0 else d


def jaccard_distance(a, b) -> np.ndarray | float:
    """NEvoNAS's edge distance: with c equal edges, 1 - c / (12 - c) (0 for equal archs, 1 for disjoint)."""
    c = (_as_ops(a) == _as_ops(b)).sum(-1)
    d = 1.0 - c / (2 * N_EDGES - c)
    return float(d) if np.ndim(d) == 0 else d


def pairwise_jaccard(a, b) -> np.ndarray:
    """:func:`jaccard_distance` of every op tuple of ``a`` ``(n, 6)`` with every one of ``b`` ``(m, 6)``, as an
    ``(n, m)`` matrix: the same numbers, the equal-edge counts taken from one product of one-hot matrices (exact:
    whole numbers up to 6) instead of an ``(n, m, 6)`` comparison (NEvoNAS's novelty against its archive, each
    generation)."""
    A, B = _as_ops(a), _as_ops(b)
    if A.ndim != 2 or B.ndim != 2:
        raise InvalidArchError(f"pairwise_jaccard takes two (n, {N_EDGES}) arrays; got {A.shape} and {B.shape}")
    c = _flat_onehot(A) @ _flat_onehot(B).T
    return 1.0 - c / (2 * N_EDGES - c)


def _flat_onehot(ops: np.ndarray) -> np.ndarray:
    return (ops[:, :, None] == np.arange(N_OPS)).reshape(len(ops), N_EDGES * N_OPS).astype(np.float64)


def random_ops(rng: np.random.Generator, n: int | None = None) -> np.ndarray:
    """Uniformly random op tuple(s) drawn from the given Generator."""
    shape = (N_EDGES,) if n is None else (n, N_EDGES)
    return rng.integers(0, N_OPS, size=shape)


__all__ = [
    "OPS", "EDGES", "N_EDGES", "N_OPS", "N_ARCHS", "parse_arch", "format_arch", "ops_to_index", "index_to_ops",
    "arch_to_index", "index_to_arch", "ops_to_onehot", "onehot_to_ops", "decode_alpha", "to_index",
    "is_disconnected", "isomorphism_class", "neighbours", "edge_distance", "jaccard_distance", "pairwise_jaccard",
    "random_ops",
]
