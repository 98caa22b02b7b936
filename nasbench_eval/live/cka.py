"""Linear CKA and the RMI loss (RMI-NAS, Zheng et al., CVPR 2022; CKA: Kornblith et al., ICML 2019).

For features ``X`` (n x p) and ``Y`` (n x q) of the same n inputs, with linear Gram matrices ``K = X X^T`` and
``L = Y Y^T`` centred as ``K~ = H K H`` (``H = I - 11^T/n``)::

    CKA(X, Y) = <K~, L~>_F / (||K~||_F ||L~||_F)

Numerical care: features are centred column-wise *before* the Gram product (``H K H = (HX)(HX)^T``, which avoids
the cancellation of centring a large Gram matrix), everything is accumulated in float64, and a degenerate
(constant) representation, whose centred Gram is 0, gets CKA 0 with a finite gradient instead of 0/0 = NaN.
The RMI loss is ``sum_i (1 - CKA(student_i, teacher_i))`` over the matched taps (range [0, #taps]).
"""
from __future__ import annotations

import torch

__all__ = ["centred_gram", "linear_cka", "TeacherGrams", "rmi_loss"]

_TINY = 1e-300  # floor for squared norms: a zero Gram matrix gives CKA 0, never NaN


def centred_gram(features: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """``H X X^T H`` for ``features`` of shape (n, ...) flattened to (n, d), computed in ``dtype``."""
    with torch.autocast(features.device.type, enabled=False):  # mixed-precision training: the Gram stays in dtype
        x = features.reshape(features.shape[0], -1).to(dtype)
        x = x - x.mean(dim=0, keepdim=True)
        return x @ x.T


def _cka_from_grams(k: torch.Tensor, l_unit: torch.Tensor) -> torch.Tensor:
    """CKA given a centred Gram ``k`` and a centred Gram ``l_unit`` already scaled to unit Frobenius norm."""
    norm_k = torch.sqrt(torch.clamp((k * k).sum(), min=_TINY))
    return (k * l_unit).sum() / norm_k


def _unit(l: torch.Tensor) -> torch.Tensor:
    return l / torch.sqrt(torch.clamp((l * l).sum(), min=_TINY))


def linear_cka(x: torch.Tensor, y: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Linear CKA of two representations of the same n inputs (0-dim tensor in ``dtype``, in [0, 1])."""
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"linear_cka needs the same number of inputs in both representations; got {x.shape[0]} "
                         f"and {y.shape[0]}")
    return _cka_from_grams(centred_gram(x, dtype), _unit(centred_gram(y, dtype)))


class TeacherGrams:
    """The teacher's centred, unit-norm Gram matrices of one fixed batch: computed once, reused every step."""

    def __init__(self, teacher_features, dtype: torch.dtype = torch.float64):
        with torch.no_grad():
            self.units = [_unit(centred_gram(f.detach(), dtype)) for f in teacher_features]
        self.dtype = dtype

    def __len__(self) -> int:
        return len(self.units)

    def ckas(self, student_features) -> list[torch.Tensor]:
        """CKA of each student tap with the matching teacher tap (differentiable w.r.t. the student)."""
        if len(student_features) != len(self.units):
            raise ValueError(f"{len(student_features)} student taps for {len(self.units)} teacher taps")
        return [_cka_from_grams(centred_gram(f, self.dtype), u) for f, u in zip(student_features, self.units)]


def rmi_loss(student_features, teacher: TeacherGrams) -> torch.Tensor:
    """RMI loss ``sum_i (1 - CKA_i)`` (lower = more similar to the teacher)."""
    return sum(1.0 - c for c in teacher.ckas(student_features))
