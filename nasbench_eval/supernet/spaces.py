"""Space objects for the supernet path: ``get_space('darts' | 'nb201')``.

DARTS uses :class:`nasbench_eval.spaces.darts.DartsSpace`. For NB201 the public ``NB201Space`` wrapper is used when
``nasbench_eval.spaces.nb201`` provides one; until then :class:`_NB201Adapter` offers the same methods over the
module's functions (private: it disappears once the public class exists).
"""
from __future__ import annotations

import numpy as np

from ..errors import unknown
from ..spaces import nb201
from ..spaces.darts import DartsSpace


class _NB201Adapter:
    name = "nb201"
    n_edges = nb201.N_EDGES
    n_ops = nb201.N_OPS
    ops = nb201.OPS
    arch_shape = (nb201.N_EDGES,)

    def decode_alpha(self, alpha):
        return nb201.decode_alpha(alpha)

    def alpha_hat(self, archs):
        return nb201.ops_to_onehot(archs).astype(np.float64)

    def random(self, rng, n=None):
        return nb201.random_ops(rng, n)

    def to_string(self, arch):
        return nb201.format_arch(arch)

    def parse(self, string):
        return np.asarray(nb201.parse_arch(string), dtype=np.int64)

    def key(self, arch):
        return tuple(int(x) for x in np.asarray(arch).reshape(-1))

    def distance(self, a, b):
        return nb201.jaccard_distance(a, b)


def get_space(name: str):
    """The space object for ``name`` (``'darts'`` or ``'nb201'``)."""
    if name == "darts":
        return DartsSpace()
    if name == "nb201":
        cls = getattr(nb201, "NB201Space", None)
        return cls() if cls is not None else _NB201Adapter()
    raise unknown("space", name, ("darts", "nb201"))
