"""One problem specification (ProblemSpec): the CLI, YAML specs and the runner validate and build problems alike."""
from __future__ import annotations

import argparse

import pytest

from nasbench_eval.errors import ConfigError
from nasbench_eval.problems.spec import PROBLEM_TYPES, ProblemSpec


def test_kind_rule_is_the_same_for_yaml_and_cli():
    from nasbench_eval.cli.search import problem_spec

    def args(**kw):
        base = dict(dataset="cifar10", device="pixel3", metric="latency", threshold=None, quantile=None, kind=None,
                    proxy="valid", proxy_noise_tau=None, seed=0, allow_cifar10_costs=False)
        return argparse.Namespace(**{**base, **kw})

    for kw, kind in (({}, "bi-objective"), ({"quantile": 0.3}, "constrained"), ({"threshold": 7.5}, "constrained"),
                     ({"quantile": 0.3, "kind": "bi"}, "bi-objective")):
        yaml_entry = {"type": "hw", "device": "pixel3", **{k: v for k, v in kw.items()}}
        assert ProblemSpec.from_mapping(yaml_entry).get("kind") == kind
        assert problem_spec(args(**kw)).get("kind") == kind
        assert problem_spec(args(**kw)).key == ProblemSpec.from_mapping(yaml_entry).key


@pytest.mark.parametrize("alias", ["bi", "biobjective", "mo", "bi-objective"])
def test_kind_aliases_are_one_table(alias):
    assert ProblemSpec.from_mapping({"type": "hw", "device": "fpga", "kind": alias}).get("kind") == "bi-objective"


@pytest.mark.parametrize("entry, msg", [
    ({"type": "hw", "device": "fpgaa"}, "unknown device 'fpgaa'; allowed: edgegpu"),
    ({"type": "hw", "device": "fpga", "quantile": 1.5}, r"quantile must be a quantile strictly between 0 and 1, got 1.5"),
    ({"type": "hw", "device": "fpga", "threshold": 0}, "threshold must be a positive"),
    ({"type": "hw", "device": "fpga", "threshold": 3, "quantile": 0.2}, "not both"),
    ({"type": "hw", "device": "fpga", "kind": "constrained"}, "needs 'threshold'"),
    ({"type": "hw", "device": "fpga", "quantiles": []}, "non-empty list"),
    ({"type": "nb201", "fitness": "test"}, "test split"),
    ({"type": "nb201", "dataset": "cifar11"}, "unknown dataset 'cifar11'; allowed: cifar10, cifar100, ImageNet16-120"),
    ({"type": "nb201", "devcie": "fpga"}, r"unknown key\(s\) \['devcie'\]"),
    ({"type": "nope"}, "unknown problem type 'nope'; allowed: nb201, hw"),
    ({"type": "nb201", "proxy_noise_tau": 1.5}, r"Kendall tau in \(-1, 1\]"),
])
def test_bad_entries_name_the_field_and_the_allowed_values(entry, msg):
    with pytest.raises(ConfigError, match=msg):
        ProblemSpec.from_mapping(entry, where="problems[3]")


def test_labels_and_normalised_form_are_stable():
    # the normalised form is hashed into result folders: keep it stable (labels, keys, None for unset values)
    s = ProblemSpec.from_mapping({"type": "hw", "device": "pixel3", "metric": "latency", "quantile": 0.3})
    assert s.to_dict() == {"type": "hw", "dataset": "cifar10", "device": "pixel3", "metric": "latency",
                           "kind": "constrained", "threshold": None, "quantile": 0.3,
                           "label": "hw-cifar10-pixel3-latency-q0.3"}
    assert ProblemSpec.from_mapping({"type": "nb201", "proxy_noise_tau": 0.5}).label == "nb201-cifar10-tau0.5"
    assert ProblemSpec.from_mapping(s.to_dict()) == s  # idempotent


def test_build_matches_the_python_builders():
    from nasbench_eval.problems import hw_problem, nb201_problem

    p = ProblemSpec.from_mapping({"type": "hw", "device": "fpga", "quantile": 0.2}).build()
    q = hw_problem("cifar10", "fpga", "latency", kind="constrained", quantile=0.2)
    assert p.describe() == q.describe() and p.thresholds == q.thresholds
    assert ProblemSpec.from_mapping({"dataset": "cifar100"}).build().describe() == nb201_problem("cifar100").describe()


def test_runner_and_cli_share_the_problem_types():
    from nasbench_eval.runner.spec import parse_spec

    spec = parse_spec({"root_seed": 0, "seeds": 1, "budget": 10, "algorithms": ["random"],
                       "problems": [{"type": "hw", "device": "fpga", "threshold": 4.0}]})
    assert spec.problems[0] == ProblemSpec.from_mapping({"type": "hw", "device": "fpga", "threshold": 4.0}).to_dict()
    assert {"nb201", "hw"} <= set(PROBLEM_TYPES)
