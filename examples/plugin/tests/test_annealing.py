"""The shared nasbench-eval battery on the plug-in, as its authors run it in their own CI."""
import nasbench_eval as ne
from nasbench_eval.testing import check_algorithm

from nbe_annealing import SimulatedAnnealing


def test_simulated_annealing_passes_the_nasbench_eval_battery():
    check_algorithm(SimulatedAnnealing)


def test_it_is_found_through_the_entry_point():
    assert ne.get_algorithm("simulated-annealing") is SimulatedAnnealing
