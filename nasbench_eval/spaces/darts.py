"""The DARTS cell space (Liu et al., "DARTS: Differentiable Architecture Search", ICLR 2019): numpy only.

A normal and a reduction cell, each with 2 input nodes and 4 intermediate nodes; node ``i`` (0..3) has ``2 + i``
candidate incoming edges, so 14 edges per cell and 28 rows in the architecture-parameter matrix alpha (normal rows
0..13, then reduce rows 14..27), 8 ops per edge in :data:`OPS` order.

Native integer encoding of a discrete architecture (a *genotype*): ``(32,)`` = ``(cell 2, node 4, kept edge 2,
(op id, input id) 2)`` flattened. It is canonical: within a node the two ``(op, input)`` pairs are sorted by
``(input, op)``, so one genotype always gives one array (``key`` is then a plain tuple).

The decoding of alpha is the standard DARTS parse (Liu et al., ICLR 2019): softmax per edge; per node keep the 2
incoming edges with the largest max non-``none`` weight; on each kept edge take the largest non-``none`` op (``none``
is never selected). ``alpha_hat`` builds the EvNAS "decoded" matrix (Sinha & Chen, GECCO 2021, arXiv 2012.12540): 1
at the 8 selected (edge, op) pairs per cell, 0 elsewhere -- the supernet still applies softmax to it (a *soft*
one-hot).
"""
from __future__ import annotations

import re

import numpy as np

from ..errors import InvalidArchError

OPS: tuple[str, ...] = ("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
                        "dil_conv_3x3", "dil_conv_5x5")
N_NODES = 4
EDGES_PER_CELL = 14
N_EDGES = 2 * EDGES_PER_CELL
N_OPS = len(OPS)
ARCH_SHAPE = (2 * N_NODES * 2 * 2,)
NODE_OFFSETS = (0, 2, 5, 9)  # first alpha row of node i within a cell
CONCAT = (2, 3, 4, 5)
_PAIR_RE = re.compile(r"\(\s*['\"]([A-Za-z0-9_]+)['\"]\s*,\s*(\d+)\s*\)")
_CELL_RE = {c: re.compile(c + r"\s*=\s*\[([^\]]*)\]") for c in ("normal", "reduce")}
_CONCAT_RE = {c: re.compile(c + r"_concat\s*=\s*(?:range\(\s*2\s*,\s*6\s*\)|\[([^\]]*)\])") for c in ("normal", "reduce")}


def edge_row(node: int, inp: int) -> int:
    """Row (within one cell) of the edge ``inp -> node`` (node 0..3, input 0..node+1)."""
    return NODE_OFFSETS[node] + inp


def _cell_view(archs) -> np.ndarray:
    a = np.asarray(archs)
    if a.shape[-1:] != ARCH_SHAPE or not np.issubdtype(a.dtype, np.integer):
        raise InvalidArchError(f"DARTS archs are integer arrays of shape (..., 32); got {a.dtype} {a.shape}")
    v = a.reshape(a.shape[:-1] + (2, N_NODES, 2, 2))
    ops, inp = v[..., 0], v[..., 1]
    limit = np.arange(N_NODES)[:, None] + 2
    if (ops < 1).any() or (ops >= N_OPS).any() or (inp < 0).any() or (inp >= limit).any():
        raise InvalidArchError("DARTS arch has an op id outside 1..7 or an input id outside 0..node+1")
    if (inp[..., 0] == inp[..., 1]).any():
        raise InvalidArchError("DARTS arch keeps the same input twice for one node")
    return v


def canonicalise(archs) -> np.ndarray:
    """Sort each node's two ``(op, input)`` pairs by ``(input, op)``; returns int64 ``(..., 32)``."""
    v = _cell_view(archs).astype(np.int64)
    ops, inp = v[..., 0], v[..., 1]
    swap = (inp[..., 0] > inp[..., 1]) | ((inp[..., 0] == inp[..., 1]) & (ops[..., 0] > ops[..., 1]))
    v = np.where(swap[..., None, None], v[..., ::-1, :], v)
    return v.reshape(v.shape[:-4] + ARCH_SHAPE)


def _softmax(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def decode_alpha(alpha) -> np.ndarray:
    """Standard DARTS parse of alpha ``(..., 28, 8)`` -> canonical archs ``(..., 32)`` (``none`` never chosen).

    Ties go to the lower edge / op index (DARTS' stable sort and first-max loop).
    """
    a = np.asarray(alpha, dtype=np.float64)
    if a.shape[-2:] != (N_EDGES, N_OPS):
        raise InvalidArchError(f"DARTS architecture parameters have shape (..., {N_EDGES}, {N_OPS}); got {a.shape}")
    w = _softmax(a)[..., 1:]  # drop `none`
    best_op = w.argmax(-1) + 1
    strength = w.max(-1)
    out = np.empty(a.shape[:-2] + (2, N_NODES, 2, 2), dtype=np.int64)
    for c in range(2):
        for i in range(N_NODES):
            rows = slice(c * EDGES_PER_CELL + NODE_OFFSETS[i], c * EDGES_PER_CELL + NODE_OFFSETS[i] + i + 2)
            top2 = np.argsort(-strength[..., rows], axis=-1, kind="stable")[..., :2]
            out[..., c, i, :, 1] = top2
            out[..., c, i, :, 0] = np.take_along_axis(best_op[..., rows], top2, axis=-1)
    return canonicalise(out.reshape(a.shape[:-2] + ARCH_SHAPE))


def alpha_hat(archs) -> np.ndarray:
    """EvNAS decoded alpha-hat ``(..., 28, 8)``: 1.0 at the 16 selected (edge, op) pairs, 0.0 elsewhere."""
    v = _cell_view(archs)
    lead = v.shape[:-4]
    out = np.zeros(lead + (N_EDGES, N_OPS), dtype=np.float64)
    flat = out.reshape(-1, N_EDGES, N_OPS)
    vv = v.reshape(-1, 2, N_NODES, 2, 2)
    offs = np.asarray(NODE_OFFSETS)[None, None, :, None] + EDGES_PER_CELL * np.arange(2)[None, :, None, None]
    rows = offs + vv[..., 1]
    idx = np.broadcast_to(np.arange(len(vv))[:, None, None, None], rows.shape)
    flat[idx, rows, vv[..., 0]] = 1.0
    return out


def random_archs(rng: np.random.Generator, n: int | None = None) -> np.ndarray:
    """Uniform random genotypes (2 distinct inputs per node, ops uniform over the 7 non-``none`` ops)."""
    m = 1 if n is None else n
    v = np.empty((m, 2, N_NODES, 2, 2), dtype=np.int64)
    for i in range(N_NODES):
        v[:, :, i, :, 1] = rng.random((m, 2, i + 2)).argsort(-1)[..., :2]
    v[..., 0] = rng.integers(1, N_OPS, size=(m, 2, N_NODES, 2))
    out = canonicalise(v.reshape(m, -1))
    return out[0] if n is None else out


def format_genotype(arch) -> str:
    """DARTS genotype text: ``Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], ...)``."""
    v = _cell_view(arch)
    if v.ndim != 4:
        raise InvalidArchError("format_genotype takes one arch of shape (32,)")
    cells = [", ".join(f"('{OPS[o]}', {j})" for o, j in v[c].reshape(-1, 2)) for c in range(2)]
    cc = list(CONCAT)
    return f"Genotype(normal=[{cells[0]}], normal_concat={cc}, reduce=[{cells[1]}], reduce_concat={cc})"


def parse_genotype(text: str) -> np.ndarray:
    """Parse DARTS genotype text (node by node, 2 pairs per node) into the canonical ``(32,)`` array."""
    if not isinstance(text, str):
        raise InvalidArchError(f"a DARTS genotype string is expected; got {type(text).__name__}")
    cells = []
    for c in ("normal", "reduce"):
        m = _CELL_RE[c].search(text)
        if m is None:
            raise InvalidArchError(f"DARTS genotype text has no '{c}=[...]' list: {text!r}")
        pairs = _PAIR_RE.findall(m.group(1))
        if len(pairs) != 2 * N_NODES:
            raise InvalidArchError(f"DARTS genotype '{c}' needs 8 (op, input) pairs; got {len(pairs)} in {text!r}")
        for op, _ in pairs:
            if op not in OPS[1:]:
                raise InvalidArchError(f"unknown DARTS op {op!r}; allowed: {', '.join(OPS[1:])}")
        cells.append([(OPS.index(op), int(j)) for op, j in pairs])
        cm = _CONCAT_RE[c].search(text)
        if cm is not None and cm.group(1) is not None:
            got = [int(x) for x in cm.group(1).replace(",", " ").split()]
            if got != list(CONCAT):
                raise InvalidArchError(f"{c}_concat must be [2, 3, 4, 5]; got {got}")
    return canonicalise(np.asarray(cells, dtype=np.int64).reshape(ARCH_SHAPE))


_PAIRS = [[(j0, j1) for j1 in range(i + 2) for j0 in range(j1)] for i in range(N_NODES)]  # input pairs, j0 < j1
_RADIX = [len(p) * 49 for p in _PAIRS]  # per node: input pairs x 7 x 7 op choices
_PAIR_ID = [{p: k for k, p in enumerate(ps)} for ps in _PAIRS]


def arch_to_key(archs) -> np.ndarray | int:
    """Exact integer id of canonical genotype(s): mixed radix over (cell, node), < 1.08e18 (fits int64)."""
    v = canonicalise(archs).reshape(np.shape(archs)[:-1] + (2, N_NODES, 2, 2))
    key = np.zeros(v.shape[:-4], dtype=np.int64)
    for c in range(2):
        for i in range(N_NODES):
            j0, j1 = v[..., c, i, 0, 1], v[..., c, i, 1, 1]
            pair = j1 * (j1 - 1) // 2 + j0  # index of (j0, j1) in _PAIRS[i]
            code = pair * 49 + (v[..., c, i, 0, 0] - 1) * 7 + (v[..., c, i, 1, 0] - 1)
            key = key * _RADIX[i] + code
    return int(key) if key.ndim == 0 else key


def key_to_arch(keys) -> np.ndarray:
    """Inverse of :func:`arch_to_key`."""
    k = np.asarray(keys, dtype=np.int64).copy()
    if (k < 0).any() or (k >= np.prod(_RADIX, dtype=np.float64) ** 2).any():
        raise InvalidArchError("DARTS key out of range")
    v = np.empty(k.shape + (2, N_NODES, 2, 2), dtype=np.int64)
    for c in (1, 0):
        for i in reversed(range(N_NODES)):
            code = k % _RADIX[i]
            k //= _RADIX[i]
            pair, ops = code // 49, code % 49
            j = np.asarray(_PAIRS[i])[pair]
            v[..., c, i, :, 1] = j
            v[..., c, i, 0, 0], v[..., c, i, 1, 0] = ops // 7 + 1, ops % 7 + 1
    return v.reshape(k.shape + ARCH_SHAPE)


def is_valid(archs) -> np.ndarray:
    """True where an integer array ``(..., 32)`` is a valid genotype (ops 1..7, 2 distinct inputs < node + 2)."""
    a = np.asarray(archs)
    if a.shape[-1:] != ARCH_SHAPE or not np.issubdtype(a.dtype, np.integer):
        return np.zeros(a.shape[:-1], dtype=bool)
    v = a.reshape(a.shape[:-1] + (2, N_NODES, 2, 2))
    ops, inp = v[..., 0], v[..., 1]
    limit = np.arange(N_NODES)[:, None] + 2
    ok = (ops >= 1) & (ops < N_OPS) & (inp >= 0) & (inp < limit)
    return ok.all((-1, -2, -3)) & (inp[..., 0] != inp[..., 1]).all((-1, -2))


def pair_matches(a, b) -> np.ndarray:
    """NEvoNAS count ``c`` (0..16): per cell and node, how many of a's (op, input) pairs appear among b's."""
    va, vb = _cell_view(a), _cell_view(b)
    eq = (va[..., :, None, :] == vb[..., None, :, :]).all(-1)  # (..., 2, 4, 2, 2)
    return eq.any(-1).sum((-1, -2, -3))


def jaccard_distance(a, b) -> np.ndarray | float:
    """NEvoNAS novelty distance ``1 - c / (32 - c)`` (Sinha & Chen, arXiv 2204.00188); 0 for equal genotypes."""
    c = pair_matches(a, b)
    d = 1.0 - c / (32.0 - c)
    return float(d) if np.ndim(d) == 0 else d


class DartsSpace:
    """The DARTS space object (see module doc): alpha rows = 14 normal then 14 reduce edges, 8 ops."""

    name = "darts"
    n_edges = N_EDGES
    n_ops = N_OPS
    ops = OPS
    arch_shape = ARCH_SHAPE
    #: values per position of the native encoding (op ids 0..7 -- 0 = none is invalid --, input ids 0..node+1)
    n_choices = np.array([[N_OPS, i + 2] * 2 for i in range(N_NODES)] * 2).reshape(-1)
    size = int(np.prod(_RADIX, dtype=np.int64)) ** 2

    def decode_alpha(self, alpha) -> np.ndarray:
        return decode_alpha(alpha)

    def alpha_hat(self, archs) -> np.ndarray:
        return alpha_hat(archs)

    def random(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        return random_archs(rng, n)

    def to_string(self, arch) -> str:
        return format_genotype(arch)

    def parse(self, string: str) -> np.ndarray:
        return parse_genotype(string)

    def key(self, archs):
        """Canonical integer id (int for one arch, int64 array for many); equal genotypes give equal keys."""
        return arch_to_key(archs)

    def from_key(self, keys) -> np.ndarray:
        return key_to_arch(keys)

    def is_valid(self, archs) -> np.ndarray:
        return is_valid(archs)

    def distance(self, a, b):
        return jaccard_distance(a, b)

    def __repr__(self) -> str:
        return "DartsSpace()"


__all__ = ["OPS", "N_EDGES", "N_OPS", "ARCH_SHAPE", "NODE_OFFSETS", "CONCAT", "DartsSpace", "edge_row",
           "canonicalise", "decode_alpha", "alpha_hat", "random_archs", "format_genotype", "parse_genotype",
           "arch_to_key", "key_to_arch", "is_valid", "pair_matches", "jaccard_distance"]
