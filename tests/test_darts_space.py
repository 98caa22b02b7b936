"""DARTS space: the standard parse on hand-made alphas, genotype text, alpha-hat, keys, distance (numpy only)."""
import subprocess
import sys

import numpy as np
import pytest

from nasbench_eval.errors import InvalidArchError
from nasbench_eval.spaces import NB201Space
from nasbench_eval.spaces.darts import OPS, DartsSpace, edge_row

SPACE = DartsSpace()
DARTS_V2 = ("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
            "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], "
            "normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), "
            "('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), "
            "('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])")


def test_parse_hand_made_alpha_known_answer():
    a = np.zeros((28, 8))
    # normal cell: node 0 keeps both inputs; on input 1 `none` dominates but is never selected
    a[edge_row(0, 0), OPS.index("sep_conv_3x3")] = 3
    a[edge_row(0, 1), [0, OPS.index("avg_pool_3x3")]] = [10, 1]
    # node 1: input 2 strongest, input 0 second; input 1's argmax is none (weak non-none weight) -> dropped
    a[edge_row(1, 2), OPS.index("dil_conv_5x5")] = 4
    a[edge_row(1, 0), OPS.index("max_pool_3x3")] = 2
    a[edge_row(1, 1), [0, OPS.index("sep_conv_5x5")]] = [10, 3]
    # node 2: inputs 3 and 1
    a[edge_row(2, 3), OPS.index("skip_connect")] = 2
    a[edge_row(2, 1), OPS.index("sep_conv_5x5")] = 1
    # node 3: inputs 4 and 0
    a[edge_row(3, 4), OPS.index("dil_conv_3x3")] = 5
    a[edge_row(3, 0), OPS.index("avg_pool_3x3")] = 4
    a[14 + edge_row(0, 1), OPS.index("max_pool_3x3")] = 1  # reduce: otherwise uniform (ties -> lowest ids)
    g = SPACE.to_string(SPACE.decode_alpha(a))
    assert g == ("Genotype(normal=[('sep_conv_3x3', 0), ('avg_pool_3x3', 1), ('max_pool_3x3', 0), "
                 "('dil_conv_5x5', 2), ('sep_conv_5x5', 1), ('skip_connect', 3), ('avg_pool_3x3', 0), "
                 "('dil_conv_3x3', 4)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
                 "('max_pool_3x3', 1), ('max_pool_3x3', 0), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
                 "('max_pool_3x3', 1), ('max_pool_3x3', 0), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])")


def test_decode_is_vectorised_and_never_none():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 3, 28, 8))
    a[..., 0] += 3  # `none` usually the argmax
    archs = SPACE.decode_alpha(a)
    assert archs.shape == (5, 3, 32)
    assert (archs.reshape(5, 3, 16, 2)[..., 0] != 0).all()
    assert np.array_equal(archs[2, 1], SPACE.decode_alpha(a[2, 1]))


def test_genotype_text_round_trip_and_canonical_order():
    arch = SPACE.parse(DARTS_V2)
    assert SPACE.parse(SPACE.to_string(arch)).tolist() == arch.tolist()
    swapped = DARTS_V2.replace("('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0)",
                               "('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 0)", 1)
    assert SPACE.key(SPACE.parse(swapped)) == SPACE.key(arch)
    assert SPACE.parse(DARTS_V2.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=range(2, 6)")).tolist() == \
        arch.tolist()
    rng = np.random.default_rng(1)
    for a in SPACE.random(rng, 30):
        assert SPACE.parse(SPACE.to_string(a)).tolist() == a.tolist()


@pytest.mark.parametrize("bad", [DARTS_V2.replace("sep_conv_3x3", "conv_7x7", 1),
                                 DARTS_V2.replace("('dil_conv_3x3', 2)", "('dil_conv_3x3', 7)"),
                                 DARTS_V2.replace("('sep_conv_3x3', 1), ('skip_connect', 0)",
                                                  "('sep_conv_3x3', 0), ('skip_connect', 0)"),
                                 "Genotype(normal=[])", DARTS_V2.replace("[2, 3, 4, 5]", "[2, 3]", 1)])
def test_parse_rejects_bad_genotypes(bad):
    with pytest.raises(InvalidArchError):
        SPACE.parse(bad)


def _softmax(a):
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def test_alpha_hat_soft_one_hot_values():
    arch = SPACE.parse(DARTS_V2)
    hat = SPACE.alpha_hat(arch)
    assert hat.shape == (28, 8) and hat.sum() == 16
    w = _softmax(hat)
    sel = hat.any(1)
    assert np.allclose(w[hat == 1], np.e / (np.e + 7)) and abs(np.e / (np.e + 7) - 0.280) < 1e-3
    assert np.allclose(w[sel][hat[sel] == 0], 1 / (np.e + 7))
    assert np.allclose(w[~sel], 0.125)
    assert SPACE.decode_alpha(hat).tolist() == arch.tolist()  # alpha-hat decodes back to its genotype
    nb = NB201Space()
    ops = nb.random(np.random.default_rng(0), 4)
    wn = _softmax(nb.alpha_hat(ops).astype(float))
    assert np.allclose(wn.max(-1), np.e / (np.e + 4)) and abs(np.e / (np.e + 4) - 0.405) < 1e-3


def test_keys_validity_and_distance():
    rng = np.random.default_rng(2)
    archs = SPACE.random(rng, 200)
    keys = SPACE.key(archs)
    assert keys.dtype == np.int64 and (keys >= 0).all() and (keys < SPACE.size).all()
    assert np.array_equal(SPACE.from_key(keys), archs)
    assert SPACE.is_valid(archs).all()
    bad = archs[:2].copy()
    bad[0, 0] = 0  # `none`
    bad[1, 1], bad[1, 3] = 0, 0  # same input twice
    assert not SPACE.is_valid(bad).any()
    with pytest.raises(InvalidArchError):
        SPACE.alpha_hat(bad[0])
    assert SPACE.distance(archs[0], archs[0]) == 0.0
    d = SPACE.distance(archs[0], archs[1:])
    assert ((d > 0) & (d <= 1)).all()
    a = SPACE.parse(DARTS_V2)
    b = a.copy()
    b[0] = 5  # change one op in normal node 0 -> c = 15, sim = 15/17
    assert np.isclose(SPACE.distance(a, b), 1 - 15 / 17)


def test_darts_space_does_not_import_torch():
    code = "import sys, nasbench_eval.spaces.darts, nasbench_eval.evaluators; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
