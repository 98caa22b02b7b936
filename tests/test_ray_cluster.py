"""A real two-node Ray cluster on 127.0.0.1 (a head and a second node, one CPU each, started and stopped here): a
grid run through ``--ray-address`` is bit-identical to the serial one, and cells ask for the resources of their
problem type."""
from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from nasbench_eval.errors import ConfigError
from nasbench_eval.runner.backends import cell_resources, get_backend, ray_address
from nasbench_eval.runner.spec import Cell


def _cell(problem: dict) -> Cell:
    return Cell(cell=0, algorithm={"name": "random", "params": {}, "label": "random"}, problem=problem, seed=0,
                seed_index=0)


def test_resources_follow_the_problem_type():
    assert cell_resources(_cell({"type": "nb201", "dataset": "cifar10"}), 4) == {"num_cpus": 1}
    assert cell_resources(_cell({"type": "hw", "dataset": "cifar10"}), 4) == {"num_cpus": 1}
    live = {"type": "supernet", "dataset": "cifar10"}
    assert cell_resources(_cell({**live, "device": "cuda"}), 2) == {"num_cpus": 1, "num_gpus": 1}
    assert cell_resources(_cell({**live, "device": "auto"}), 2) == {"num_cpus": 1, "num_gpus": 1}
    assert cell_resources(_cell({**live, "device": "auto"}), 0) == {"num_cpus": 1}  # no GPU anywhere: CPU
    assert cell_resources(_cell({"type": "rmi", "device": "cpu"}), 2) == {"num_cpus": 1}
    with pytest.raises(ConfigError, match="has no GPU"):
        cell_resources(_cell({**live, "device": "cuda"}), 0)


def test_ray_address_comes_from_the_flag_then_the_environment(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert ray_address(None) is None
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.5:6379")
    assert ray_address(None) == "10.0.0.5:6379" and ray_address("auto") == "auto"
    for bad in ("nohost", "host:port", ":6379", "h:70000"):
        with pytest.raises(ConfigError, match="--ray-address must be"):
            ray_address(bad)
    with pytest.raises(ConfigError, match="only applies to --backend ray"):
        get_backend("joblib", address="auto")


def _free_ports(n: int, avoid: range = range(0)) -> list[int]:
    """``n`` distinct free ports outside ``avoid`` (the worker-port ranges: Ray refuses a port used twice)."""
    socks, ports = [], []
    while len(ports) < n:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        if s.getsockname()[1] not in avoid:
            ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def _ray_start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    """``ray start ... --block`` in its own process group (so this test stops exactly what it started)."""
    ray_exe = Path(sys.executable).with_name("ray")
    fh = open(log, "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([str(ray_exe), "start", "--block", "--disable-usage-stats", *args], env=env, stdout=fh,
                            stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)  # the group this test created: the node's raylet, GCS, workers
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def two_node_cluster(tmp_path, store, monkeypatch):
    ray = pytest.importorskip("ray")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # a throw-away local cluster: no token (nodes and driver)
    if ray.is_initialized():
        ray.shutdown()
    temp = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))  # short: Ray's socket paths must stay < 108 chars
    env = {**os.environ, "NASBENCH_EVAL_STORE": str(store.path), "RAY_USAGE_STATS_ENABLED": "0",
           "RAY_AUTH_MODE": "disabled"}
    env.pop("RAY_ADDRESS", None)
    lo = random.Random(os.getpid()).randrange(20000, 50000, 200)
    gcs, *ports = _free_ports(15, avoid=range(lo, lo + 200))

    def node_ports(k: int) -> list[str]:
        p = ports[7 * k:7 * k + 7]
        return ["--num-cpus", "1", "--num-gpus", "0",
                "--node-manager-port", str(p[0]), "--object-manager-port", str(p[1]),
                "--dashboard-agent-listen-port", str(p[2]), "--dashboard-agent-grpc-port", str(p[3]),
                "--metrics-export-port", str(p[4]), "--runtime-env-agent-port", str(p[5]),
                "--min-worker-port", str(lo + 100 * k), "--max-worker-port", str(lo + 100 * k + 99)]

    head = _ray_start(["--head", "--port", str(gcs), "--temp-dir", str(temp), "--include-dashboard", "false",
                       *node_ports(0)], env, tmp_path / "head.log")
    nodes = [head]
    try:
        address = f"127.0.0.1:{gcs}"
        _wait_nodes(ray, address, 1, head, tmp_path / "head.log")  # the GCS listens on every interface
        nodes.append(_ray_start(["--address", address, *node_ports(1)], env, tmp_path / "node2.log"))
        _wait_nodes(ray, address, 2, nodes[1], tmp_path / "node2.log")
        yield address
    finally:
        if ray.is_initialized():
            ray.shutdown()
        for p in reversed(nodes):
            _stop(p)
        shutil.rmtree(temp, ignore_errors=True)


def _wait_nodes(ray, address: str, n: int, proc, log: Path, timeout: float = 120) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            pytest.fail(f"ray start exited with {proc.returncode}: {log.read_text()[-2000:]}")
        host, _, port = address.rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=2).close()  # GCS up? (ray.init would block)
        except OSError:
            time.sleep(2)
            continue
        try:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
            alive = [x for x in ray.nodes() if x["Alive"]]
            ray.shutdown()
            if len(alive) >= n:
                return
        except (ConnectionError, RuntimeError):
            if ray.is_initialized():
                ray.shutdown()
        time.sleep(2)
    pytest.fail(f"the Ray cluster did not reach {n} node(s) in {timeout} s: {log.read_text()[-2000:]}")


@pytest.mark.ray
@pytest.mark.slow
def test_a_grid_on_a_two_node_cluster_equals_the_serial_run(two_node_cluster, tmp_path, monkeypatch):
    """About a minute: two `ray start` nodes (1 CPU each) on 127.0.0.1, 8 cells through RAY_ADDRESS."""
    import ray

    from nasbench_eval.runner import compare_results, parse_spec, run_experiment

    spec = parse_spec({"name": "cluster", "root_seed": 3, "seeds": 2, "budget": {"evaluations": 40},
                       "algorithms": ["random", {"name": "rea", "params": {"population_size": 10}}],
                       "problems": [{"type": "nb201", "dataset": "cifar10"},
                                    {"type": "hw", "dataset": "cifar10", "device": "fpga", "metric": "latency",
                                     "kind": "constrained", "quantile": 0.5}]})
    run_experiment(spec, tmp_path / "serial", progress=False)
    monkeypatch.setenv("RAY_ADDRESS", two_node_cluster)  # honoured like --ray-address
    hosts = []
    run_experiment(spec, tmp_path / "ray", backend="ray", progress=False, on_cell=hosts.append)
    assert not ray.is_initialized()  # the driver disconnected; the cluster keeps running (stopped by the fixture)
    assert compare_results(tmp_path / "serial", tmp_path / "ray") == []
    assert sorted(hosts) == list(range(spec.n_cells))
    # the cluster really had two raylets with one CPU each (so cells ran on both)
    ray.init(address=two_node_cluster, log_to_driver=False, configure_logging=False)
    try:
        alive = [x for x in ray.nodes() if x["Alive"]]
        assert len(alive) == 2 and ray.cluster_resources().get("CPU") == 2
    finally:
        ray.shutdown()
