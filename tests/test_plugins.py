"""Plug-ins: ``module:Class`` names everywhere a name is accepted, ``register()`` under joblib (fresh worker
processes), and the clear refusal when a registered class cannot be imported by a worker."""
from __future__ import annotations

import json

import pytest

import nasbench_eval as ne
from nasbench_eval.cli import main
from nasbench_eval.errors import ConfigError, NasbenchEvalError
from nasbench_eval.runner import compare_results, load_results, parse_spec, run_experiment
from nasbench_eval.search import registry
from nasbench_eval.search.params import Interval


class PluginRandom(ne.Algorithm):
    """Uniform sampling, defined in a test module (importable by worker processes as test_plugins:PluginRandom)."""

    name = "plugin-random"
    summary = "uniform sampling (plug-in test)"
    parameter_constraints = {"batch_size": Interval(int, 1, None)}

    def __init__(self, batch_size: int = 5):
        self.batch_size = batch_size

    def ask(self):
        return self.space.random(self.rng, self.batch_size)


class DiesInWorker(PluginRandom):
    """Kills the worker process that runs it (as an out-of-memory kill would); harmless in the test process itself."""

    name = "dies-in-worker"
    driver_pid = None

    def ask(self):
        import os

        if os.getpid() != DiesInWorker.driver_pid:
            os._exit(1)
        return super().ask()


@pytest.fixture
def clean_registry():
    before = dict(registry._extra)
    yield
    registry._extra.clear()
    registry._extra.update(before)


def _spec(algorithms, seeds=2):
    return parse_spec({"name": "plug", "root_seed": 3, "seeds": seeds, "budget": {"evaluations": 30},
                       "algorithms": algorithms, "problems": [{"type": "nb201", "dataset": "cifar10"}]})


def test_module_class_resolves_and_bad_references_are_clear():
    assert ne.get_algorithm(f"{__name__}:PluginRandom") is PluginRandom
    for ref, words in [("no_such_module_xyz:Algo", "cannot be imported"), ("json:NoSuch", "has no attribute"),
                       ("json:dumps", "not a class"), (":Algo", "package.module:ClassName")]:
        with pytest.raises(ConfigError, match=words):
            ne.get_algorithm(ref)
    with pytest.raises(NasbenchEvalError, match="unknown algorithm 'nope'; allowed: .*random.*package.module:ClassName"):
        ne.get_algorithm("nope")


def test_search_cli_accepts_module_class(capsys):
    rc = main(["search", f"{__name__}:PluginRandom", "--budget", "20", "--param", "batch_size=4", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["algorithm"] == "plugin-random" and out["evaluations"] == 20
    assert main(["search", f"{__name__}:PluginRandom", "--param", "batch_size=0"]) != 0
    assert "parameter 'batch_size' of algorithm 'plugin-random' must be an int in [1, inf); got 0" in \
        capsys.readouterr().err


def test_run_with_module_class_and_registered_names_under_joblib_equals_serial(tmp_path, clean_registry):
    ne.register(PluginRandom, name="my-random")
    spec = _spec([f"{__name__}:PluginRandom", {"name": "my-random", "params": {"batch_size": 3}}])
    assert spec.algorithms[1]["ref"] == f"{__name__}:PluginRandom"  # what a fresh worker imports
    assert "ref" not in spec.algorithms[0]
    run_experiment(spec, tmp_path / "serial", progress=False)
    run_experiment(spec, tmp_path / "joblib", backend="joblib", jobs=2, progress=False)
    assert compare_results(tmp_path / "serial", tmp_path / "joblib") == []
    runs = load_results(tmp_path / "joblib").runs
    assert sorted(set(runs["algorithm"])) == sorted([f"{__name__}:PluginRandom", "my-random"])
    assert (runs["evaluations"] == 30).all()


@pytest.mark.parametrize("fork", [True, False])
def test_a_registered_class_workers_cannot_import_is_refused_clearly(tmp_path, clean_registry, monkeypatch, fork):
    """Forked workers (which inherit the driver's memory) refuse it exactly as fresh loky workers do."""
    import nasbench_eval.runner.backends as backends

    monkeypatch.setattr(backends, "fork_is_safe", lambda work: fork)

    class InNotebook(PluginRandom):  # like a class defined in __main__ or a notebook cell
        name = "in-notebook"

    ne.register(InNotebook)
    spec = _spec(["in-notebook"], seeds=2)
    assert "ref" not in spec.algorithms[0]
    run_experiment(spec, tmp_path / "serial", progress=False)  # same process: fine
    with pytest.raises(ConfigError, match="'in-notebook' is not known in this worker process.*importable module"):
        run_experiment(spec, tmp_path / "joblib", backend="joblib", jobs=2, progress=False)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("fork", [True, False])
def test_a_worker_that_dies_ends_the_run_with_an_error_not_a_hang(tmp_path, monkeypatch, fork):
    import os
    from concurrent.futures.process import BrokenProcessPool

    import nasbench_eval.runner.backends as backends
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    monkeypatch.setattr(backends, "fork_is_safe", lambda work: fork)
    monkeypatch.setattr(DiesInWorker, "driver_pid", os.getpid())
    spec = _spec([f"{__name__}:DiesInWorker"], seeds=2)
    with pytest.raises(BrokenProcessPool if fork else TerminatedWorkerError):
        run_experiment(spec, tmp_path / "r", backend="joblib", jobs=2, progress=False)


# ------------------------------------------------------------------------------------------------ docs/plugins.md
ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def test_docs_show_the_example_package_verbatim():
    import re

    doc = (ROOT / "docs" / "plugins.md").read_text()
    shown = dict(re.findall(r"`(examples/plugin/[^`]+)`:\n\n```\w*\n(.*?)```\n", doc, flags=re.S))
    files = {str(p.relative_to(ROOT)) for p in (ROOT / "examples" / "plugin").rglob("*")
             if p.is_file() and not {"build", "__pycache__"} & set(p.parts) and ".egg-info" not in str(p)}
    assert set(shown) == files
    for path, text in shown.items():
        assert (ROOT / path).read_text() == text, f"docs/plugins.md shows an outdated {path}"


@pytest.mark.slow
def test_the_example_plugin_installs_passes_the_battery_and_runs_in_a_joblib_grid(tmp_path):
    """pip-installs examples/plugin into a private folder (the main environment is untouched), then runs its own
    test (check_algorithm) and a joblib grid through the CLI, as a user would."""
    import os
    import subprocess
    import sys

    import shutil

    src, site = tmp_path / "plugin", tmp_path / "site"
    shutil.copytree(ROOT / "examples" / "plugin", src, ignore=shutil.ignore_patterns("build", "*.egg-info",
                                                                                      "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(src)], check=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), *sys.path]))
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", str(src / "tests")], check=True,
                   env=env, cwd=tmp_path)
    out = tmp_path / "grid"
    subprocess.run([sys.executable, "-m", "nasbench_eval", "run", str(ROOT / "examples" / "plugin" / "grid.yaml"),
                    "--out", str(out), "--backend", "joblib", "--jobs", "2", "--no-progress"], check=True, env=env)
    runs = load_results(out).runs
    sa = runs[runs["algorithm"] == "simulated-annealing"]
    assert len(sa) == 8 and (sa["evaluations"] == 150).all() and sa["chosen_feasible"].all()


@pytest.mark.slow
@pytest.mark.ray
def test_registered_plugin_class_under_ray_runs_where_workers_can_import_it(tmp_path, clean_registry, monkeypatch):
    """Ray workers import the recorded module:Class; they see the driver's environment, not its sys.path."""
    import os
    import sys
    from pathlib import Path

    ray = pytest.importorskip("ray")
    ne.register(PluginRandom, name="my-random")
    spec = _spec([{"name": "my-random", "params": {"batch_size": 3}}])
    run_experiment(spec, tmp_path / "serial", progress=False)

    def on_ray(out):
        try:
            run_experiment(spec, out, backend="ray", jobs=2, progress=False)
        finally:
            if ray.is_initialized():
                ray.shutdown()

    here = str(Path(__file__).parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in sys.path if p and p != here))
    with pytest.raises(Exception, match=f"module '{__name__}' cannot be imported.*PYTHONPATH"):
        on_ray(tmp_path / "ray-no-path")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in sys.path if p))
    on_ray(tmp_path / "ray")
    assert compare_results(tmp_path / "serial", tmp_path / "ray") == []
