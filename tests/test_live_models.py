"""NB201 torch network: parameter count equals NB201's params column; seeded init without global RNG."""
from pathlib import Path

import numpy as np
import pytest
import torch

from nasbench_eval.live.models import (
    CifarResNet,
    NB201Network,
    build_model,
    count_parameters,
)
from nasbench_eval.spaces import nb201

PARAMS = Path("/work/shared/data/combined/nb201_flops_params_computed.csv.gz")


@pytest.mark.skipif(not PARAMS.is_file(), reason="shared NB201 params table not present")
def test_param_count_equals_nb201_params_column_for_250_archs():
    import pandas as pd

    df = pd.read_csv(PARAMS, usecols=["arch_index", "arch_str", "params_M_cifar10", "params_M_cifar100"])
    rows = df.iloc[np.random.default_rng(0).choice(len(df), size=250, replace=False)]
    for idx, arch, p10, p100 in rows.itertuples(index=False):
        assert nb201.ops_to_index(nb201.parse_arch(arch)) == idx
        with torch.device("meta"):  # counting needs no memory
            n10 = count_parameters(NB201Network(arch, num_classes=10))
        assert abs(n10 / 1e6 - p10) <= 1e-6, arch
        assert abs((n10 + 90 * (64 + 1)) / 1e6 - p100) <= 1e-6, arch  # 100-class head: 90 more rows of 64 + bias
    with torch.device("meta"):
        assert count_parameters(NB201Network(rows.arch_str.iloc[0], num_classes=100)) == n100_first(rows)


def n100_first(rows) -> int:
    return int(round(rows.params_M_cifar100.iloc[0] * 1e6))


def test_resnet_param_counts_and_taps():
    with torch.device("meta"):
        counts = [count_parameters(CifarResNet(d)) for d in (20, 56, 110)]
    assert counts == [269_722, 853_018, 1_727_962]
    model = build_model("resnet20", 10, seed=0)
    logits, feats = model(torch.zeros(2, 3, 32, 32), with_features=True)
    assert logits.shape == (2, 10)
    assert [tuple(f.shape[1:]) for f in feats] == [(16, 32, 32), (32, 16, 16), (64, 8, 8)]


def test_nb201_taps_and_configurable_macro():
    net = build_model("|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|",
                      7, C=4, N=2, seed=1)
    logits, feats = net(torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(0)), with_features=True)
    assert logits.shape == (3, 7)
    assert [tuple(f.shape[1:]) for f in feats] == [(4, 32, 32), (8, 16, 16), (16, 8, 8)]
    assert len(net.stage1) == 2 and len(net.stage2) == 3


def test_seeded_init_is_deterministic_and_leaves_global_rng_alone():
    state = torch.random.get_rng_state()
    a = build_model((3, 3, 0, 2, 1, 4), 10, C=4, N=1, seed=5).state_dict()
    b = build_model((3, 3, 0, 2, 1, 4), 10, C=4, N=1, seed=5).state_dict()
    c = build_model((3, 3, 0, 2, 1, 4), 10, C=4, N=1, seed=6).state_dict()
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_bad_arch_names_are_rejected():
    from nasbench_eval.errors import ConfigError, InvalidArchError

    with pytest.raises(ConfigError, match="resnet20"):
        build_model("resnet18", 10, seed=0)
    with pytest.raises(InvalidArchError):
        build_model((0, 1, 2, 3, 4, 5), 10, seed=0)
    with pytest.raises(ConfigError, match="seed"):
        build_model("resnet20", 10)
