"""Unit tests of the shared GA operators (algorithms/_ga.py) used by EvNAS and pEvoNAS."""
from __future__ import annotations

import numpy as np
import pytest

from algorithms import _ga
from nasbench_eval.errors import ConfigError


def test_tournament_picks_the_best_of_distinct_samples():
    rng = np.random.default_rng(0)
    fit = rng.permutation(10).astype(float)  # distinct fitness values 0..9
    best, second = int(np.argmax(fit)), int(np.argsort(fit)[-2])
    # size = population: every member is sampled once -> always the global best
    assert np.all(_ga.tournament(fit, 10, 500, rng) == best)
    # size 9 of 10 without replacement: the winner is the best unless it was left out (prob 1/10), then the 2nd
    picks = _ga.tournament(fit, 9, 20_000, rng)
    assert set(picks.tolist()) == {best, second}
    assert abs(np.mean(picks == second) - 0.1) < 0.01
    # size 2: the worst can never win (two DISTINCT members are compared)
    assert int(np.argmin(fit)) not in set(_ga.tournament(fit, 2, 5_000, rng).tolist())


def test_tournament_win_probabilities_match_sampling_without_replacement():
    rng = np.random.default_rng(1)
    P, k, n = 6, 3, 60_000
    fit = np.arange(P, dtype=float)  # member i has rank i (P-1 best)
    picks = _ga.tournament(fit, k, n, rng)
    from math import comb

    expected = [comb(i, k - 1) / comb(P, k) for i in range(P)]  # i wins iff it is sampled with k-1 worse ones
    assert np.allclose(np.bincount(picks, minlength=P) / n, expected, atol=0.01)


def test_row_uniform_crossover_takes_whole_rows_from_a_parent():
    rng = np.random.default_rng(2)
    p1, p2 = rng.random((400, 6, 5)), rng.random((400, 6, 5))
    child = _ga.row_uniform_crossover(p1, p2, rng, 0.5)
    from1 = np.all(child == p1, axis=2)
    from2 = np.all(child == p2, axis=2)
    assert np.all(from1 ^ from2)  # every row is exactly one parent's row
    assert abs(from2.mean() - 0.5) < 0.03
    assert np.array_equal(_ga.row_uniform_crossover(p1, p2, rng, 0.0), p1)  # mutation-only ablation


def test_row_reset_mutation_rate_and_fresh_rows():
    rng = np.random.default_rng(3)
    alpha = np.full((2000, 6, 5), 7.0)  # outside [0,1): a reset row is recognisable
    out = _ga.row_reset_mutation(alpha, rng, 0.1)
    reset = np.all(out != 7.0, axis=2)
    assert np.all(reset | np.all(out == 7.0, axis=2))  # rows are reset whole or left alone
    assert abs(reset.mean() - 0.1) < 0.01
    assert np.all((out[reset] >= 0) & (out[reset] < 1))
    assert np.all(alpha == 7.0)  # input untouched
    assert np.array_equal(_ga.row_reset_mutation(alpha, rng, 0.0), alpha)


def test_elitism_keeps_the_best_unchanged():
    rng = np.random.default_rng(4)
    pop = rng.random((50, 6, 5))
    fit = rng.random(50)
    fit[[3, 7]] = 2.0  # a tie: the earlier member is the elite
    assert _ga.elites(fit, 2).tolist() == [3, 7]
    nxt = _ga.next_generation(pop, fit, rng, n_elites=1, tournament_size=10, mutation_rate=1.0)
    assert nxt.shape == pop.shape
    assert np.array_equal(nxt[0], pop[3])  # elite first, not mutated although every other row was reset
    assert not any(np.array_equal(nxt[i], pop[j]) for i in range(1, 50) for j in range(50))
    two = _ga.next_generation(pop, fit, rng, n_elites=2, tournament_size=10)
    assert np.array_equal(two[:2], pop[[3, 7]])


def test_next_generation_is_deterministic_per_generator():
    pop = np.random.default_rng(5).random((20, 6, 5))
    fit = np.random.default_rng(6).random(20)
    a = _ga.next_generation(pop, fit, np.random.default_rng(9), tournament_size=5)
    b = _ga.next_generation(pop, fit, np.random.default_rng(9), tournament_size=5)
    c = _ga.next_generation(pop, fit, np.random.default_rng(10), tournament_size=5)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_nan_fitness_members_lose_tournaments():
    rng = np.random.default_rng(7)
    fit = np.array([-np.inf, 1.0, -np.inf, 0.5])
    assert 0 not in _ga.tournament(fit, 4, 100, rng) and 2 not in _ga.tournament(fit, 4, 100, rng)


def test_cross_parameter_check_names_both_parameters():
    class Algo:
        name, population_size, tournament_size, n_elites = "ga", 10, 11, 9

    with pytest.raises(ConfigError, match=r"parameter 'tournament_size' of algorithm 'ga' must be at most "
                                          r"population_size = 10; got 11"):
        _ga.check_fits_population(Algo(), ("tournament_size", 0), ("n_elites", 1))
    Algo.tournament_size = 10
    _ga.check_fits_population(Algo(), ("tournament_size", 0), ("n_elites", 1))  # n_elites 9 = 10 - 1 is allowed


def test_deb_key_makes_a_feasible_member_win_every_tournament_it_enters():
    from nasbench_eval.search.selection import deb_key

    fit = np.array([95.0, 60.0, 94.0, 93.0])  # the fittest (0) and 2 violate a constraint
    key = deb_key(fit, np.array([0.5, 0.0, 0.1, 0.0]))
    winners = _ga.tournament(key, 2, 500, np.random.default_rng(3))
    assert set(winners.tolist()) <= {1, 2, 3} and 3 in winners
    assert _ga.elites(key, 2).tolist() == [3, 1]
