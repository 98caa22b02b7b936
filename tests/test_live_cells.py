"""Live problems (``supernet``, ``rmi``) as runner cells: specs, per-cell seeding, run / resume / report."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

from nasbench_eval.errors import ConfigError
from nasbench_eval.problems.spec import ProblemSpec
from nasbench_eval.runner import compare_results, load_results, parse_spec, run_experiment

TINY_SUPERNET = {"type": "supernet", "dataset": "digits", "image_size": 8, "C": 4, "cells": 1, "epochs": 3,
                 "batch_size": 64, "max_batches": 1}
NB201_REF = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"


def test_live_specs_validate_and_label_without_importing_torch():
    code = ("import sys, json; from nasbench_eval.runner import parse_spec; "
            "s = parse_spec({'name': 'x', 'root_seed': 1, 'seeds': 2, 'budget': 4, 'algorithms': ['random'], "
            "'problems': [{'type': 'supernet', 'dataset': 'digits'}, {'type': 'rmi', 'config': 'small'}]}); "
            "print(json.dumps([p['label'] for p in s.problems]), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ['["supernet-nb201-digits",', '"rmi-digits-small"]', "False"]


@pytest.mark.parametrize("entry, words", [
    ({"type": "supernet", "dataset": "digits", "epoch": 3}, ["'epoch'", "epochs", "max_batches"]),
    ({"type": "supernet", "dataset": "cifar10"}, ["data_root is required", "'cifar10'"]),
    ({"type": "supernet", "dataset": "mnist"}, ["dataset", "'mnist'", "digits, mnist-5k, cifar10"]),
    ({"type": "supernet", "train_mode": "D"}, ["train_mode", "A, B, C", "'D'"]),
    ({"type": "supernet", "image_size": 4}, ["image_size", ">= 8", "4"]),
    ({"type": "rmi", "config": "huge"}, ["config", "paper, small", "'huge'"]),
    ({"type": "rmi", "steps": 0}, ["steps", ">= 1", "0"]),
    ({"type": "rmi", "seed": -1}, ["seed", ">= 0", "-1"]),
])
def test_bad_live_entries_name_the_key_the_allowed_values_and_the_value(entry, words):
    with pytest.raises(ConfigError) as e:
        ProblemSpec.from_mapping(entry)
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_each_cell_gets_a_fresh_problem_seeded_by_its_seed():
    import torch

    from nasbench_eval.runner.cell import problem_for_cell

    entry = ProblemSpec.from_mapping(TINY_SUPERNET).to_dict()
    a, b, c = problem_for_cell(entry, 3), problem_for_cell(entry, 3), problem_for_cell(entry, 4)
    assert a is not b and a.evaluator.trainer is not b.evaluator.trainer
    wa, wb, wc = (next(p.evaluator.trainer.net.parameters()).detach() for p in (a, b, c))
    assert torch.equal(wa, wb) and not torch.equal(wa, wc)
    assert a.info["seed"] == 3 and c.info["seed"] == 4
    fixed = problem_for_cell({**entry, "seed": 9}, 3)  # an explicit seed wins over the cell's
    assert fixed.info["seed"] == 9
    ev = a.evaluate(a.space.random(np.random.default_rng(0), 2))
    assert a.evaluator.trainer.epoch == 1 and ev.values["supernet_valid_acc"].shape == (2,)
    assert b.evaluator.trainer.epoch == 0  # searching one cell's problem leaves the others untouched


def _reference(tmp_path):
    from nasbench_eval.cli import main

    ref = tmp_path / "ref.pt"
    assert main(["rmi", "train-reference", "--dataset", "digits", "--out", str(ref), "--arch", NB201_REF,
                 "--C", "4", "--N", "1", "--epochs", "1", "--device", "cpu", "--threads", "1"]) == 0
    return ref


@pytest.mark.slow
def test_live_grid_runs_resumes_and_reports_like_a_tabular_one(tmp_path, capsys):
    """supernet + rmi cells through `nasbench-eval run`: interrupted, resumed, equal to a clean run; `report` works."""
    from nasbench_eval.cli import main

    spec = {"name": "live", "root_seed": 5, "seeds": 2, "budget": {"evaluations": 6},
            "algorithms": ["random", {"name": "rea", "params": {"population_size": 3, "sample_size": 2}}],
            "problems": [TINY_SUPERNET,
                         {"type": "rmi", "dataset": "digits", "config": "small", "reference": str(_reference(tmp_path)),
                          "C": 4, "N": 1, "steps": 2, "batch_size": 16}]}
    path = tmp_path / "live.yaml"
    path.write_text(yaml.safe_dump(spec))
    seen = []

    def boom(cell_id):
        seen.append(cell_id)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # an interrupt after three cells (as Ctrl-C in the CLI would)
        run_experiment(parse_spec(spec), tmp_path / "resumed", progress=False, on_cell=boom)
    assert not json.loads((tmp_path / "resumed" / "manifest.json").read_text())["complete"]
    assert main(["run", str(path), "--out", str(tmp_path / "resumed"), "--no-progress"]) == 0
    assert main(["run", str(path), "--out", str(tmp_path / "clean"), "--no-progress"]) == 0
    # measured seconds are the only differences: the live cost is wall time
    timing = ("wall_seconds", "cost", "cum_cost", "total_cost")
    assert compare_results(tmp_path / "resumed", tmp_path / "clean", exclude=timing) == []

    r = load_results(tmp_path / "clean")
    assert r.manifest["complete"] and len(r.runs) == 8
    assert set(r.runs["problem_type"]) == {"supernet", "rmi"}
    assert (r.runs["evaluations"] == 6).all() and np.isfinite(r.runs["best_fitness"]).all()
    sup = r.evaluations[r.evaluations["problem"] == "supernet-nb201-digits"]
    assert sup["supernet_valid_acc"].between(0, 100).all()
    rmi = r.evaluations[r.evaluations["problem"] == "rmi-digits-small"]
    assert (rmi["fitness"] == -rmi["rmi_loss"]).all()
    # each cell's supernet / RMI candidates are seeded by the cell's own seed
    assert [json.loads(i)["seed"] for i in r.runs["problem_info"]] == r.runs["seed"].tolist()

    for d in ("resumed", "clean"):
        assert main(["report", str(tmp_path / d), "--metric", "best_fitness", "--baseline", "random"]) == 0
    a = (tmp_path / "resumed" / "report" / "summary.csv").read_text()
    b = (tmp_path / "clean" / "report" / "summary.csv").read_text()
    assert a == b and "supernet-nb201-digits" in a and "rmi-digits-small" in a
    tests = (tmp_path / "clean" / "report" / "tests_vs_baseline.csv").read_text()
    assert "rea" in tests


def test_example_live_grid_is_a_valid_spec():
    from pathlib import Path

    from nasbench_eval.runner import load_spec

    s = load_spec(Path(__file__).resolve().parents[1] / "examples" / "live_grid.yaml")
    assert [p["type"] for p in s.problems] == ["supernet", "rmi"] and s.n_cells == 18
