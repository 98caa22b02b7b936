"""Declared parameter constraints and the one validator (nasbench_eval.search.params)."""
from __future__ import annotations

import numpy as np
import pytest

from nasbench_eval import Algorithm
from nasbench_eval.errors import ConfigError
from nasbench_eval.search.params import (
    Boolean,
    Interval,
    Optional,
    Options,
    Sequence,
    invalid_values,
    validate_params,
)


@pytest.mark.parametrize("c, good, bad, text", [
    (Interval(int, 1, None), [1, 7, np.int64(3)], [0, -1, 1.0, 2.5, True, "3", None], "an int in [1, inf)"),
    (Interval(float, 0, 1), [0, 1, 0.5, np.float32(0.25)], [-0.1, 1.01, float("nan"), False, "0.5"],
     "a float in [0, 1]"),
    (Interval(float, 0, 1, closed="neither"), [0.5], [0.0, 1.0], "a float in (0, 1)"),
    (Interval(float, 0, None, closed="right"), [1e9], [0.0, -1.0], "a float in (0, inf)"),
    (Interval(int, None, 5, closed="left"), [-10, 4], [5, 6], "an int in (-inf, 5)"),
    (Options("a", "b"), ["a", "b"], ["c", None, 1], "one of 'a', 'b'"),
    (Options(1, 2), [1, 2], [True, 1.0, 3], "one of 1, 2"),
    (Boolean(), [True, False, np.bool_(True)], [0, 1, "true", None], "a bool (true or false)"),
    (Optional(Interval(int, 1, None)), [None, 3], [0, "x"], "None or an int in [1, inf)"),
    (Sequence(Interval(int, 0, 4), min_len=2), [[0, 4], (1, 2, 3)], [[0], [0, 5], "01", None, [0, 1.5]],
     "a list of at least 2 items, each item an int in [0, 4]"),
])
def test_constraints_accept_refuse_and_say_what_they_allow(c, good, bad, text):
    assert all(c.is_satisfied_by(v) for v in good), [v for v in good if not c.is_satisfied_by(v)]
    assert not any(c.is_satisfied_by(v) for v in bad), [v for v in bad if c.is_satisfied_by(v)]
    assert str(c) == text
    inv = invalid_values(c)
    assert inv and not any(c.is_satisfied_by(v) for v in inv)


@pytest.mark.parametrize("args", [(str, 0, 1), (int, 2, 1), (float, 0, 1, "open")])
def test_a_malformed_interval_is_refused(args):
    with pytest.raises(ConfigError):
        Interval(*args)


class Toy(Algorithm):
    name = "toy"
    parameter_constraints = {"mutation_rate": Interval(float, 0, 1), "mode": Options("fast", "slow"),
                             "sizes": Sequence(Interval(int, 1, None), min_len=1), "verbose": Boolean()}

    def __init__(self, mutation_rate=0.1, mode="fast", sizes=(4, 8), verbose=False, undeclared=10, free=None):
        self.mutation_rate, self.mode, self.sizes, self.verbose = mutation_rate, mode, sizes, verbose
        self.undeclared, self.free = undeclared, free

    def ask(self):
        return self.space.random(self.rng, 1)


def test_the_message_names_algorithm_parameter_allowed_and_received():
    with pytest.raises(ConfigError) as e:
        Toy.from_params({"mutation_rate": 2})
    assert str(e.value) == "parameter 'mutation_rate' of algorithm 'toy' must be a float in [0, 1]; got 2"
    with pytest.raises(ConfigError, match=r"parameter 'mode' of algorithm 'toy' must be one of 'fast', 'slow'; "
                                          r"got 'medium'"):
        Toy.from_params({"mode": "medium"})
    with pytest.raises(ConfigError, match=r"unknown parameter\(s\) \['mutation'\] for algorithm 'toy'; allowed: "
                                          r"mutation_rate=0.1, mode='fast'"):
        Toy.from_params({"mutation": 0.5})


def test_undeclared_parameters_fall_back_to_the_type_of_their_default():
    assert Toy.from_params({"undeclared": np.int64(3), "free": object()}).undeclared == 3
    with pytest.raises(ConfigError, match=r"parameter 'undeclared' of algorithm 'toy' must be an int \(default "
                                          r"10\); got 'ten'"):
        Toy.from_params({"undeclared": "ten"})
    with pytest.raises(ConfigError, match="'undeclared'.*got True"):
        Toy.from_params({"undeclared": True})


def test_setup_validates_an_object_built_directly(c10_problem):
    bad = Toy(sizes=[4, 0])
    with pytest.raises(ConfigError, match=r"parameter 'sizes' of algorithm 'toy' must be a list of at least 1 "
                                          r"items, each item an int in \[1, inf\); got \[4, 0\]"):
        bad.setup(c10_problem, np.random.default_rng(0))
    Toy(mutation_rate=1).setup(c10_problem, np.random.default_rng(0))  # an int is a valid float


def test_validate_params_takes_a_class_or_an_instance():
    validate_params(Toy, {"verbose": True})
    with pytest.raises(ConfigError, match="'verbose'"):
        validate_params(Toy(), {"verbose": 1})


def test_a_malformed_declaration_is_refused():
    class Broken(Toy):
        parameter_constraints = {"mode": "fast|slow"}

    with pytest.raises(ConfigError, match="a parameter constraint must be"):
        Broken.from_params({"mode": "fast"})
