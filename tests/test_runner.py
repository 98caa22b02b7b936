"""Runner: spec validation, seeding, backends give identical stores, resume after an interrupt, store checks."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from nasbench_eval.cli import main
from nasbench_eval.errors import ConfigError
from nasbench_eval.runner import (
    ResultStoreError,
    cell_seeds,
    compare_results,
    load_results,
    parse_spec,
    run_experiment,
)
from nasbench_eval.runner.store import ResultStore


def spec_dict(seeds=10, algos=("random", "rea", "nsga2"), problems=("cifar10", "cifar100"), evals=50):
    algs = [a if a != "nsga2" else {"name": "nsga2", "params": {"population_size": 10}} for a in algos]
    return {"name": "t", "root_seed": 11, "seeds": seeds, "budget": {"evaluations": evals}, "algorithms": algs,
            "problems": [{"type": "nb201", "dataset": d} for d in problems]}


# ---------------------------------------------------------------------------------------------- spec
@pytest.mark.parametrize("mutate, words", [
    (lambda d: d.update(seed=3), ["'seed'", "root_seed", "seeds"]),
    (lambda d: d["budget"].update(evals=3), ["'evals'", "evaluations", "cost"]),
    (lambda d: d["algorithms"].append("nope"), ["'nope'", "random", "rea"]),
    (lambda d: d["algorithms"].append({"name": "rea", "parms": {}}), ["'parms'", "params"]),
    (lambda d: d["algorithms"].append({"name": "rea", "label": "r2", "params": {"pop": 1}}), ["'pop'",
                                                                                               "population_size"]),
    (lambda d: d["problems"].append({"type": "nb201", "dataset": "cifar11"}), ["'cifar11'", "ImageNet16-120"]),
    (lambda d: d["problems"].append({"type": "nb2O1"}), ["'nb2O1'", "nb201, hw"]),
    (lambda d: d["problems"].append({"type": "nb201", "datset": "cifar10"}), ["'datset'", "dataset"]),
    (lambda d: d["problems"].append({"type": "nb201", "dataset": "cifar10"}), ["duplicate", "nb201-cifar10"]),
    (lambda d: d.update(seeds=[1, 1]), ["distinct"]),
    (lambda d: d.update(seeds=0), ["seeds", ">= 1"]),
    (lambda d: d.pop("budget"), ["'budget'"]),
    (lambda d: d["problems"].append({"type": "hw", "dataset": "cifar10", "device": "fpga", "metric": "latency",
                                     "kind": "constrained"}), ["threshold", "quantile"]),
])
def test_spec_errors_name_the_key_and_allowed_values(mutate, words):
    d = spec_dict()
    mutate(d)
    with pytest.raises(ConfigError) as e:
        parse_spec(d)
    for w in words:
        assert w in str(e.value)


def test_spec_normalises_and_enumerates_cells_in_canonical_order():
    s = parse_spec(spec_dict(seeds=[3, 7]))
    cells = s.cells()
    assert s.n_cells == len(cells) == 3 * 2 * 2
    assert [(c.algorithm["label"], c.problem["label"], c.seed) for c in cells[:3]] == [
        ("random", "nb201-cifar10", 3), ("random", "nb201-cifar10", 7), ("random", "nb201-cifar100", 3)]
    assert parse_spec(spec_dict(seeds=[3, 7])).hash == s.hash
    assert parse_spec({**spec_dict(seeds=[3, 7]), "name": "other"}).hash == s.hash  # labels only
    assert parse_spec(spec_dict(seeds=[3, 8])).hash != s.hash


def test_cell_seeds_are_spawned_children_of_the_root():
    seeds = cell_seeds(5, 4)
    for i, ss in enumerate(seeds):
        ref = np.random.SeedSequence(5, spawn_key=(i,))
        assert np.array_equal(ss.generate_state(4), ref.generate_state(4))


# ---------------------------------------------------------------------------------------------- backends
def test_serial_and_joblib_stores_are_identical(tmp_path):
    s = parse_spec(spec_dict(seeds=3, algos=("random", "nsga2"), problems=("cifar10",)))
    a = run_experiment(s, tmp_path / "serial", progress=False)
    b = run_experiment(s, tmp_path / "joblib", backend="joblib", jobs=2, progress=False)
    assert a["complete"] and b["complete"]
    assert compare_results(tmp_path / "serial", tmp_path / "joblib") == []
    r = load_results(tmp_path / "serial")
    assert len(r.evaluations) == 6 * 50 and len(r.runs) == 6 and (r.runs["evaluations"] == 50).all()
    assert r.manifest["data_sha256"] and r.manifest["wall_time_columns"] == ["runs.wall_seconds"]


@pytest.mark.ray
def test_ray_store_is_identical_to_serial(tmp_path):
    ray = pytest.importorskip("ray")
    s = parse_spec(spec_dict(seeds=2, algos=("random", "rea"), problems=("cifar10",)))
    run_experiment(s, tmp_path / "serial", progress=False)
    try:
        run_experiment(s, tmp_path / "ray", backend="ray", jobs=2, progress=False)
    finally:
        if ray.is_initialized():
            ray.shutdown()
    assert compare_results(tmp_path / "serial", tmp_path / "ray") == []


def test_ray_backend_without_ray_says_how_to_install(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)
    s = parse_spec(spec_dict(seeds=1, algos=("random",), problems=("cifar10",)))
    with pytest.raises(ConfigError, match="pip install"):
        run_experiment(s, tmp_path / "x", backend="ray", progress=False)


# ---------------------------------------------------------------------------------------------- resume
def test_interrupt_then_resume_equals_uninterrupted_run(tmp_path):
    """3 algorithms x 2 problems x 10 seeds: interrupted after 7 cells, resumed, same store as one clean run."""
    s = parse_spec(spec_dict())
    seen = []

    def boom(cell_id):
        seen.append(cell_id)
        if len(seen) == 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_experiment(s, tmp_path / "resumed", progress=False, on_cell=boom)
    m = json.loads((tmp_path / "resumed" / "manifest.json").read_text())
    assert not m["complete"]
    with pytest.raises(ResultStoreError, match="incomplete|missing"):
        load_results(tmp_path / "resumed")
    ran = []
    out = run_experiment(s, tmp_path / "resumed", progress=False, on_cell=ran.append)
    assert out["skipped"] == 7 and out["ran"] == 53 and out["complete"]
    assert not set(ran) & set(seen)
    run_experiment(s, tmp_path / "clean", progress=False)
    assert compare_results(tmp_path / "resumed", tmp_path / "clean") == []
    again = run_experiment(s, tmp_path / "clean", progress=False)
    assert again["ran"] == 0 and again["skipped"] == 60


@pytest.mark.parametrize("fork", [True, False])
def test_forked_and_loky_workers_give_the_serial_store(tmp_path, monkeypatch, fork):
    """The joblib backend forks its workers when that is safe, else starts loky workers: either way the store is the
    serial one (tabular and HW cells, a constrained problem, NSGA-II's pymoo path)."""
    import nasbench_eval.runner.backends as backends

    d = spec_dict(seeds=2, algos=("random", "rea", "nsga2"), problems=("cifar10",))
    d["problems"].append({"type": "hw", "dataset": "cifar10", "device": "pixel3", "kind": "constrained",
                          "quantile": 0.3})
    s = parse_spec(d)
    used = []
    real = backends._run_forked
    monkeypatch.setattr(backends, "fork_is_safe", lambda work: fork)
    monkeypatch.setattr(backends, "_run_forked", lambda *a: used.append(1) or real(*a))
    run_experiment(s, tmp_path / "serial", progress=False)
    run_experiment(s, tmp_path / "joblib", backend="joblib", jobs=2, progress=False)
    assert bool(used) == fork
    assert compare_results(tmp_path / "serial", tmp_path / "joblib") == []


def test_workers_are_forked_only_when_that_is_safe(monkeypatch):
    import sys
    import threading

    import nasbench_eval.runner.backends as backends

    s = parse_spec(spec_dict(seeds=1, algos=("random",), problems=("cifar10",)))
    work = [(c, None) for c in s.cells()]
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert backends.fork_is_safe(work) == sys.platform.startswith("linux")
    monkeypatch.setattr(threading, "active_count", lambda: 2)  # another thread may hold a lock at the fork
    assert not backends.fork_is_safe(work)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setitem(sys.modules, "torch", object())  # torch's thread pools do not survive a fork
    assert not backends.fork_is_safe(work)
    monkeypatch.delitem(sys.modules, "torch")
    live = work[0][0].__class__(**{**vars(work[0][0]), "problem": {**work[0][0].problem, "type": "supernet"}})
    assert not backends.fork_is_safe(work + [(live, None)])


def test_the_progress_bar_starts_no_thread(tmp_path, monkeypatch):
    """tqdm's monitor thread would make every run with a progress bar use loky workers instead of forked ones."""
    import threading

    import nasbench_eval.runner.backends as backends

    seen = []
    real = backends.fork_is_safe
    monkeypatch.setattr(backends, "fork_is_safe", lambda work: seen.append(threading.active_count()) or real(work))
    before = threading.active_count()
    run_experiment(parse_spec(spec_dict(seeds=1, algos=("random",), problems=("cifar10",))), tmp_path / "r",
                   backend="joblib", jobs=2, progress=True)
    assert seen == [before]


def test_subset_then_full_with_joblib_equals_serial(tmp_path):
    s = parse_spec(spec_dict(seeds=2, algos=("random", "rea"), problems=("cifar10",)))
    first = run_experiment(s, tmp_path / "a", progress=False, cells=[3, 1])
    assert first["ran"] == 2 and not first["complete"]
    rest = run_experiment(s, tmp_path / "a", backend="joblib", jobs=2, progress=False)
    assert rest["ran"] == 2 and rest["complete"]
    run_experiment(s, tmp_path / "b", progress=False)
    assert compare_results(tmp_path / "a", tmp_path / "b") == []


# ---------------------------------------------------------------------------------------------- foreign / corrupt
@pytest.fixture
def small_store(tmp_path):
    s = parse_spec(spec_dict(seeds=2, algos=("random",), problems=("cifar10",)))
    run_experiment(s, tmp_path / "r", progress=False)
    return s, tmp_path / "r"


def test_other_spec_in_the_same_folder_is_refused(small_store):
    s, out = small_store
    other = parse_spec(spec_dict(seeds=3, algos=("random",), problems=("cifar10",)))
    with pytest.raises(ResultStoreError, match="another experiment"):
        run_experiment(other, out, progress=False)


def test_truncated_table_and_part_and_foreign_folder_are_detected(small_store, tmp_path):
    s, out = small_store
    f = out / "evaluations.parquet"
    f.write_bytes(f.read_bytes()[:100])
    with pytest.raises(ResultStoreError, match="does not match its manifest"):
        load_results(out)
    part = ResultStore(out).part_file(1, "runs")  # the chunk file holding cell 1's rows
    part.write_bytes(part.read_bytes()[:50])
    with pytest.raises(ResultStoreError, match=re.escape(str(part))):
        run_experiment(s, out, progress=False)  # re-merge reads the parts
    (out / "manifest.json").write_text("{not json")
    with pytest.raises(ResultStoreError, match="not JSON"):
        load_results(out)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "data.csv").write_text("x")
    with pytest.raises(ResultStoreError, match="not a nasbench-eval result folder"):
        run_experiment(s, junk, progress=False)


def test_cli_run_and_errors_are_one_line(tmp_path, capsys):
    import yaml

    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump(spec_dict(seeds=1, algos=("random",), problems=("cifar10",))))
    assert main(["run", str(spec), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    assert "ran 1 cells" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**spec_dict(seeds=1), "sedes": 3}))
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "unknown key(s) ['sedes']" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    (tmp_path / "o" / "runs.parquet").write_bytes(b"PAR1garbage")
    assert main(["report", str(tmp_path / "o")]) == 2
    assert "does not match its manifest" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------- hw problems
def test_hw_problems_record_indicators(tmp_path):
    pytest.importorskip("nasbench_eval.problems.hw")
    d = {"root_seed": 3, "seeds": 2, "budget": {"evaluations": 60},
         "algorithms": [{"name": "nsga2", "params": {"population_size": 10}}],
         "problems": [{"type": "hw", "device": "fpga", "metric": "latency", "quantile": 0.5},
                      {"type": "hw", "device": "pixel3", "metric": "latency", "kind": "bi-objective"}]}
    s = parse_spec(d)
    assert [p["label"] for p in s.problems] == ["hw-cifar10-fpga-latency-q0.5", "hw-cifar10-pixel3-latency-bi"]
    run_experiment(s, tmp_path / "hw", progress=False)
    r = load_results(tmp_path / "hw")
    bi = r.runs[r.runs["n_obj"] == 2]
    assert (bi["hv_norm"] > 0).all() and (bi["hv_norm"] <= 1 + 1e-9).all() and bi["igd"].notna().all()
    assert r.runs["feasible_fraction"].between(0, 1).all()
    assert {"obj_0", "obj_1", "pixel3_latency_ms"} <= set(r.chosen.columns)
    with pytest.raises(ConfigError, match="cannot set up algorithm 'random'.*single-objective"):
        run_experiment(parse_spec({**d, "algorithms": ["random"]}), tmp_path / "x", progress=False)
    assert not (tmp_path / "x").exists()  # refused before the folder is created


# ---------------------------------------------------------------------------------------------- provenance
def _anneal(cooling_default: float):
    """A plug-in registered at run time; its `cooling` is checked at setup (like a constraint found at setup)."""
    from nasbench_eval.search import Algorithm

    class Anneal(Algorithm):
        name = "anneal"

        def __init__(self, batch_size: int = 5, cooling: float = cooling_default):
            self.batch_size, self.cooling = batch_size, cooling

        def _setup(self):
            if not 0 < self.cooling < 1:
                raise ConfigError(f"parameter 'cooling' of algorithm 'anneal' must be in (0, 1); got {self.cooling!r}")

        def ask(self):
            return self.space.random(self.rng, self.batch_size)

    return Anneal


@pytest.fixture
def plugins(monkeypatch):
    """Register plug-ins for one test only."""
    from nasbench_eval.search import registry

    return lambda cls, name: monkeypatch.setitem(registry._extra, name, cls)


def anneal_spec(**algo):
    return parse_spec({"name": "p", "root_seed": 4, "seeds": 2, "budget": {"evaluations": 20},
                       "algorithms": [{"name": "anneal", **algo}], "problems": [{"type": "nb201"}]})


def test_resume_after_a_changed_plugin_default_is_refused_then_allowed_and_recorded(tmp_path, plugins):
    plugins(_anneal(0.9), "anneal")
    s = anneal_spec()
    run_experiment(s, tmp_path / "r", progress=False, cells=[0])
    plugins(_anneal(0.5), "anneal")  # same spec (and spec hash), new default
    assert anneal_spec().hash == s.hash
    with pytest.raises(ResultStoreError) as e:
        run_experiment(s, tmp_path / "r", progress=False)
    msg = str(e.value)
    for w in ("'anneal'", "cooling 0.9 -> 0.5", "1 of 2 cells", "new --out", "--allow-code-change"):
        assert w in msg, (w, msg)
    assert "\n" not in msg
    out = run_experiment(s, tmp_path / "r", progress=False, allow_code_change=True)
    assert out["ran"] == 1 and out["complete"]
    r = load_results(tmp_path / "r")
    assert [json.loads(p)["cooling"] for p in r.runs["params"]] == [0.9, 0.5]  # each run's resolved params
    change = r.manifest["code_changes"][0]
    assert change["cells_done_before"] == [0] and "cooling 0.9 -> 0.5" in change["changes"][0]
    assert r.manifest["provenance"]["algorithms"]["anneal"]["params"] == {"batch_size": 5, "cooling": 0.5}
    assert run_experiment(s, tmp_path / "r", progress=False)["ran"] == 0  # the recorded change is the new normal


PLUGIN_SRC = """
from nasbench_eval.search import Algorithm


class Walk(Algorithm):
    name = "walk"

    def __init__(self, batch_size: int = 5):
        self.batch_size = batch_size

    def ask(self):
        return self.space.random(self.rng, {n})
"""


def test_resume_after_a_changed_plugin_source_is_refused(tmp_path, plugins, monkeypatch):
    import importlib
    import sys

    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "walk_plugin_src.py").write_text(PLUGIN_SRC.replace("{n}", "self.batch_size"))
    try:
        mod = importlib.import_module("walk_plugin_src")
        plugins(mod.Walk, "walk")
        s = parse_spec({"root_seed": 4, "seeds": 2, "budget": {"evaluations": 20}, "algorithms": ["walk"],
                        "problems": [{"type": "nb201"}]})
        run_experiment(s, tmp_path / "r", progress=False, cells=[1])
        prov = json.loads((tmp_path / "r" / "manifest.json").read_text())["provenance"]["algorithms"]["walk"]
        assert prov["class"] == "walk_plugin_src:Walk" and prov["distribution"] is None  # unpackaged: source hash
        assert set(prov["source_files"]) == {"walk_plugin_src.py"} and prov["params"] == {"batch_size": 5}
        (tmp_path / "walk_plugin_src.py").write_text(PLUGIN_SRC.replace("{n}", "2 * self.batch_size"))
        plugins(importlib.reload(mod).Walk, "walk")
        with pytest.raises(ResultStoreError, match=r"'walk'.*source [0-9a-f]{12} -> [0-9a-f]{12} "
                                                    r"\(walk_plugin_src.py edited\)"):
            run_experiment(s, tmp_path / "r", progress=False)
    finally:
        sys.modules.pop("walk_plugin_src", None)


def test_resolved_params_and_algorithm_distribution_are_recorded(tmp_path):
    s = parse_spec({"root_seed": 1, "seeds": 1, "budget": {"evaluations": 20},
                    "algorithms": [{"name": "rea", "params": {"population_size": 5}}], "problems": [{"type": "nb201"}]})
    run_experiment(s, tmp_path / "r", progress=False)
    r = load_results(tmp_path / "r")
    assert json.loads(r.runs["params"].iloc[0]) == {"population_size": 5, "sample_size": 3}  # default filled in
    from importlib.metadata import version

    a = r.manifest["provenance"]["algorithms"]["rea"]
    assert a["class"] == "nasbench_eval.algorithms.rea:REA" and a["params"] == {"population_size": 5, "sample_size": 3}
    assert a["distribution"] == "nasbench-eval" and a["version"] == version("nasbench-eval")
    assert "nasbench_eval/algorithms/rea.py" in a["source_files"] and len(a["source_sha256"]) == 64
    fw = r.manifest["provenance"]["framework"]
    assert fw["version"] == version("nasbench-eval") and "nasbench_eval/search/algorithm.py" in fw["source_files"]
    assert not any(f.startswith(("nasbench_eval/cli/", "nasbench_eval/report/")) for f in fw["source_files"])


def test_framework_change_refuses_an_incomplete_resume_and_warns_on_a_finished_folder(tmp_path):
    from nasbench_eval.runner.experiment import CodeChangeWarning

    s = parse_spec(spec_dict(seeds=2, algos=("random",), problems=("cifar10",), evals=20))
    run_experiment(s, tmp_path / "r", progress=False, cells=[0])
    mpath = tmp_path / "r" / "manifest.json"
    m = json.loads(mpath.read_text())
    m["provenance"]["framework"]["source_files"]["nasbench_eval/problems/base.py"] = "0" * 64
    m["provenance"]["framework"]["source_sha256"] = "f" * 64  # as if the folder was started by other code
    mpath.write_text(json.dumps(m))
    with pytest.raises(ResultStoreError, match=r"nasbench-eval: source ffffffffffff -> [0-9a-f]{12} "
                                                r"\(nasbench_eval/problems/base.py edited\)"):
        run_experiment(s, tmp_path / "r", progress=False)
    m["provenance"]["framework"]["git_commit"] = "0" * 40  # a commit alone is not a change
    del m["provenance"]  # a folder from before provenance was recorded cannot be vouched for
    mpath.write_text(json.dumps(m))
    with pytest.raises(ResultStoreError, match="predates code provenance"):
        run_experiment(s, tmp_path / "r", progress=False)
    run_experiment(s, tmp_path / "r", progress=False, allow_code_change=True)
    m = json.loads(mpath.read_text())
    m["provenance"]["algorithms"]["random"]["params"]["batch_size"] = 7
    mpath.write_text(json.dumps(m))
    with pytest.warns(CodeChangeWarning, match="batch_size 7 -> 10"):  # finished: nothing mixed, reused as is
        assert run_experiment(s, tmp_path / "r", progress=False)["ran"] == 0


def test_a_commit_alone_is_not_a_code_change(tmp_path):
    s = parse_spec(spec_dict(seeds=2, algos=("random",), problems=("cifar10",), evals=20))
    run_experiment(s, tmp_path / "r", progress=False, cells=[0])
    mpath = tmp_path / "r" / "manifest.json"
    m = json.loads(mpath.read_text())
    m["provenance"]["framework"]["git_commit"] = "0" * 40
    mpath.write_text(json.dumps(m))
    assert run_experiment(s, tmp_path / "r", progress=False)["ran"] == 1


# ---------------------------------------------------------------------------------------------- run --check
def test_check_sets_up_every_pair_and_names_algorithm_and_parameter(tmp_path, plugins, capsys):
    import yaml

    plugins(_anneal(0.9), "anneal")
    d = {"root_seed": 1, "seeds": 2, "budget": {"evaluations": 20},
         "algorithms": ["random", {"name": "anneal", "params": {"cooling": 2}}], "problems": [{"type": "nb201"}]}
    spec = tmp_path / "s.yaml"
    spec.write_text(yaml.safe_dump(d))
    assert main(["run", str(spec), "--check"]) == 2
    err = capsys.readouterr().err
    assert "algorithm 'anneal' (algorithms[1]) on problem 'nb201-cifar10'" in err and "'cooling'" in err
    assert "got 2" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    ran = []
    with pytest.raises(ConfigError, match="'cooling'"):
        run_experiment(parse_spec(d), tmp_path / "o", progress=False, on_cell=ran.append)
    assert ran == [] and not (tmp_path / "o").exists()  # nothing ran, not even the valid 'random' cells
    d["algorithms"][1]["params"]["cooling"] = 0.5
    spec.write_text(yaml.safe_dump(d))
    assert main(["run", str(spec), "--check"]) == 0 and "4 cells" in capsys.readouterr().out


def test_check_refuses_an_algorithm_that_declares_it_cannot_handle_constraints(tmp_path, plugins):
    from nasbench_eval.search import Algorithm

    if not hasattr(Algorithm, "handles_constraints"):
        pytest.skip("Algorithm.handles_constraints not available")
    pytest.importorskip("nasbench_eval.problems.hw")
    Naive = type("Naive", (_anneal(0.9),), {"name": "naive", "handles_constraints": False})
    plugins(Naive, "naive")
    hw = {"type": "hw", "device": "fpga", "metric": "latency", "quantile": 0.3}
    d = {"root_seed": 1, "seeds": 1, "budget": {"evaluations": 20}, "algorithms": ["naive"], "problems": [hw]}
    with pytest.raises(ConfigError, match=r"algorithm 'naive' \(algorithms\[0\]\) on problem "
                                          r"'hw-cifar10-fpga-latency-q0.3'.*handles_constraints"):
        run_experiment(parse_spec(d), tmp_path / "o", progress=False)
    assert not (tmp_path / "o").exists()
    d["problems"] = [{"type": "nb201"}]  # no constraint: accepted
    assert run_experiment(parse_spec(d), tmp_path / "ok", progress=False)["complete"]
