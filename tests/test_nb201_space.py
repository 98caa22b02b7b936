import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nasbench_eval.errors import InvalidArchError
from nasbench_eval.spaces import nb201

ALL = np.arange(nb201.N_ARCHS)
ops_st = st.lists(st.integers(0, 4), min_size=6, max_size=6)


def test_index_order_is_not_base5_and_is_a_bijection():
    ops = nb201.index_to_ops(ALL)
    assert ops.shape == (15625, 6)
    assert np.array_equal(nb201.ops_to_index(ops), ALL)
    assert len({tuple(o) for o in ops}) == 15625
    assert nb201.index_to_arch(0) == \
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"


def test_known_optimum_string_and_index():
    s = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
    assert nb201.arch_to_index(s) == 6111
    assert tuple(nb201.parse_arch(s)) == (3, 3, 3, 1, 3, 2)


@given(ops_st)
@settings(max_examples=200, deadline=None)
def test_round_trips(ops):
    s = nb201.format_arch(ops)
    assert list(nb201.parse_arch(s)) == ops
    i = nb201.ops_to_index(ops)
    assert list(nb201.index_to_ops(i)) == ops
    oh = nb201.ops_to_onehot(ops)
    assert oh.shape == (6, 5) and list(nb201.onehot_to_ops(oh)) == ops
    assert list(nb201.decode_alpha(oh)) == ops


@pytest.mark.parametrize("bad, match", [
    ("|nor_conv_3x3~0|+|nor_conv_3x3~0|", "3 nodes"),
    ("|conv~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "unknown op"),
    ("|nor_conv_3x3~0|+|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "2 incoming"),
    ("|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "read from"),
    ("nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|", "syntax"),
])
def test_strict_parsing_errors(bad, match):
    with pytest.raises(InvalidArchError, match=match):
        nb201.parse_arch(bad)


def test_bad_tuples_and_indices():
    with pytest.raises(InvalidArchError, match="6 entries"):
        nb201.ops_to_index([1, 2, 3])
    with pytest.raises(InvalidArchError, match="0..4"):
        nb201.ops_to_index([1, 2, 3, 4, 5, 0])
    with pytest.raises(InvalidArchError, match="out of range"):
        nb201.index_to_ops(15625)
    with pytest.raises(InvalidArchError, match="exactly one 1"):
        nb201.onehot_to_ops(np.zeros((6, 5)))


def test_disconnected_count_matches_data_readme():
    # 341 cells have no path from input to output through non-none edges (shared/data/README.md)
    assert nb201.is_disconnected(nb201.index_to_ops(ALL)).sum() == 341
    assert nb201.is_disconnected([0, 0, 0, 0, 0, 0])
    assert not nb201.is_disconnected([0, 0, 0, 1, 0, 0])  # skip 3<-0
    assert not nb201.is_disconnected([3, 0, 0, 0, 2, 0])  # 1<-0 then 3<-1


def test_isomorphism_classes_match_nats_count():
    classes = {nb201.isomorphism_class(o) for o in nb201.index_to_ops(ALL)}
    assert len(classes) == 6466  # NATS-Bench tss unique strings (the build checks string-for-string)
    # a conv into a node that never reaches the output changes nothing; one on the output path does
    assert nb201.isomorphism_class([0, 3, 0, 1, 0, 0]) == nb201.isomorphism_class([0, 0, 0, 1, 0, 0])
    assert nb201.isomorphism_class([0, 3, 0, 1, 0, 1]) != nb201.isomorphism_class([0, 0, 0, 1, 0, 1])


def test_neighbours_and_distances():
    o = np.array([3, 3, 3, 1, 3, 2])
    nb = nb201.neighbours(o)
    assert nb.shape == (24, 6)
    assert np.all(nb201.edge_distance(nb, o) == 1)
    assert len({tuple(x) for x in nb}) == 24
    assert nb201.edge_distance(o, o) == 0
    assert nb201.jaccard_distance(o, o) == 0.0
    assert nb201.jaccard_distance(o, (o + 1) % 5) == 1.0
    assert nb201.jaccard_distance(o, nb[0]) == pytest.approx(1 - 5 / 7)


def test_to_index_accepts_all_forms():
    assert nb201.to_index(6111) == 6111
    assert nb201.to_index("6111") == 6111
    assert nb201.to_index(nb201.index_to_arch(6111)) == 6111
    assert nb201.to_index((3, 3, 3, 1, 3, 2)) == 6111
