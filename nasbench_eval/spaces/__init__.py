"""Search spaces. A space object tells an algorithm what an architecture is, so one algorithm runs on any space.

Protocol (duck-typed; :class:`NB201Space` here, ``DartsSpace`` in :mod:`nasbench_eval.spaces.darts`):
``name``, ``n_edges`` x ``n_ops`` (shape of an architecture-parameter matrix alpha), ``arch_shape`` (native integer
encoding), ``decode_alpha``, ``alpha_hat``, ``random``, ``to_string``, ``parse``, ``key``, ``distance``,
``n_choices`` (values per position of the native encoding, for discrete operators) and ``is_valid``; optionally
``pairwise_distance(A, B)`` (the ``(len(A), len(B))`` matrix of ``distance``, computed faster; see
:func:`pairwise_distance`).
"""
from __future__ import annotations

import numpy as np

from . import nb201


class NB201Space:
    """NAS-Bench-201: 6 edges x 5 ops; native encoding = op tuple ``(6,)``; key = NB201 index."""

    name = "nb201"
    n_edges = nb201.N_EDGES
    n_ops = nb201.N_OPS
    arch_shape = (nb201.N_EDGES,)
    n_choices = np.full(nb201.N_EDGES, nb201.N_OPS)
    size = nb201.N_ARCHS

    decode_alpha = staticmethod(nb201.decode_alpha)
    to_string = staticmethod(nb201.format_arch)
    parse = staticmethod(nb201.parse_arch)
    distance = staticmethod(nb201.jaccard_distance)
    pairwise_distance = staticmethod(nb201.pairwise_jaccard)

    @staticmethod
    def alpha_hat(archs) -> np.ndarray:
        """Decoded one-hot alpha-hat ``(..., 6, 5)`` (the supernet applies softmax to it, EvNAS decoding)."""
        return nb201.ops_to_onehot(archs)

    @staticmethod
    def random(rng: np.random.Generator, n: int) -> np.ndarray:
        return nb201.random_ops(rng, n)

    @staticmethod
    def key(archs):
        """NB201 index (int for one arch, array for many): the canonical identity of an architecture."""
        return nb201.ops_to_index(archs)

    @staticmethod
    def from_key(keys) -> np.ndarray:
        return nb201.index_to_ops(keys)

    @staticmethod
    def is_valid(archs) -> np.ndarray:
        a = np.asarray(archs)
        if a.ndim == 2 and len(a) == 1 and a.dtype.kind in "iu":  # a steady-state batch: plain Python is cheaper
            row = a[0].tolist()
            return np.array([len(row) == nb201.N_EDGES and min(row) >= 0 and max(row) < nb201.N_OPS])
        if a.dtype.kind in "iu":  # one unsigned comparison catches negatives and ids >= N_OPS alike
            return (a.shape[-1] == nb201.N_EDGES) & (a.astype(np.uint64, copy=False) < nb201.N_OPS).all(axis=-1)
        return (a.shape[-1] == nb201.N_EDGES) & np.all((a >= 0) & (a < nb201.N_OPS), axis=-1)

    def __repr__(self) -> str:
        return "NB201Space()"


def pairwise_distance(space, A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``space.distance`` of every architecture of ``A`` with every one of ``B``, an ``(len(A), len(B))`` float
    matrix: the space's own ``pairwise_distance`` when it has one, else ``distance`` broadcast over the pairs."""
    fast = getattr(space, "pairwise_distance", None)
    if fast is not None:
        return np.asarray(fast(A, B), dtype=float)
    return np.asarray(space.distance(A[:, None], B[None, :]), dtype=float).reshape(len(A), len(B))


def get_space(name: str):
    from ..errors import unknown

    if name == "nb201":
        return NB201Space()
    if name == "darts":
        from .darts import DartsSpace

        return DartsSpace()
    raise unknown("search space", name, ["nb201", "darts"])


__all__ = ["NB201Space", "get_space", "nb201", "pairwise_distance"]
