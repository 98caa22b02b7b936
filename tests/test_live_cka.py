"""Linear CKA (RMI-NAS's similarity) properties: identity, invariances, degenerate inputs."""
import numpy as np
import pytest
import torch

from nasbench_eval.live.cka import TeacherGrams, centred_gram, linear_cka, rmi_loss


def _x(n=40, d=25, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).normal(size=(n, d)))


def test_cka_of_itself_is_one():
    x = _x()
    assert float(linear_cka(x, x)) == pytest.approx(1.0, abs=1e-12)
    conv_like = _x(16, 3 * 8 * 8, 1).reshape(16, 3, 8, 8).float()
    assert float(linear_cka(conv_like, conv_like)) == pytest.approx(1.0, abs=1e-7)


def test_cka_invariant_to_orthogonal_transform_and_isotropic_scaling():
    x, y = _x(seed=1), _x(d=12, seed=2)
    q, _ = np.linalg.qr(np.random.default_rng(3).normal(size=(25, 25)))
    base = float(linear_cka(x, y))
    assert float(linear_cka(x @ torch.from_numpy(q), y)) == pytest.approx(base, abs=1e-12)
    assert float(linear_cka(7.5 * x, 0.01 * y)) == pytest.approx(base, abs=1e-12)
    assert float(linear_cka(y, x)) == pytest.approx(base, abs=1e-12)  # symmetric
    assert float(linear_cka(x + 3.0, y)) == pytest.approx(base, abs=1e-12)  # centring removes offsets
    assert 0.0 <= base <= 1.0


def test_centred_gram_matches_hkh():
    x = _x(10, 7)
    h = torch.eye(10, dtype=torch.float64) - 1.0 / 10
    assert torch.allclose(centred_gram(x), h @ (x @ x.T) @ h, atol=1e-12)


def test_float32_features_accumulate_in_float64():
    x = _x(64, 4096, 4).float() * 1e3 + 1e4  # large offset: naive float32 centring of the Gram loses digits
    assert centred_gram(x).dtype == torch.float64
    assert float(linear_cka(x, x)) == pytest.approx(1.0, abs=1e-10)


def test_constant_representation_gives_zero_cka_and_finite_gradient():
    s = torch.zeros(8, 5, dtype=torch.float64, requires_grad=True)
    teacher = TeacherGrams([_x(8, 6)])
    loss = rmi_loss([s], teacher)
    loss.backward()
    assert float(loss.detach()) == pytest.approx(1.0)
    assert torch.isfinite(s.grad).all()


def test_rmi_loss_is_sum_of_one_minus_cka():
    t = [_x(20, 9, 5), _x(20, 4, 6), _x(20, 3, 7)]
    s = [_x(20, 9, 8), t[1], _x(20, 2, 9)]
    expected = sum(1 - float(linear_cka(a, b)) for a, b in zip(s, t))
    assert float(rmi_loss(s, TeacherGrams(t))) == pytest.approx(expected, abs=1e-12)
    assert float(rmi_loss(t, TeacherGrams(t))) == pytest.approx(0.0, abs=1e-12)
