"""benchmarks/gpu_check.sh --tiny runs on a CPU in seconds, so the prepared GPU benchmark cannot rot."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("RMI score", "DARTS supernet epoch", "DARTS supernet fitness", "NB201 supernet epoch",
            "NB201 supernet fitness", "DARTS final training step")


def test_gpu_check_tiny_writes_json_and_markdown(tmp_path):
    r = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--tiny", "--out", str(tmp_path),
                        "--threads", "1", "--data-root", str(tmp_path / "no-cifar-here")],
                       capture_output=True, text=True, env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"},
                       timeout=400)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "accelerator = cpu" in r.stdout  # says which device ran what
    out = json.loads((tmp_path / "gpu_check.json").read_text())
    assert out["tiny"] is True and out["complete"] is True and out["images"].startswith("CIFAR-shaped random tensors made on the fly")
    rows = out["rows"]
    for role in ("accelerator", "cpu comparison"):
        got = {r["section"].split(" (")[0] for r in rows if r["role"] == role}
        assert got == set(SECTIONS), role
    assert all(r["seconds"] > 0 and r["device"].startswith("cpu") for r in rows)
    rmi = {r["variant"]: r for r in rows if r["section"].startswith("RMI") and r["role"] == "accelerator"}
    assert set(rmi) == {"ours, float32", "ours, bf16 + channels-last", "per-step loop"}
    assert rmi["per-step loop"]["max_abs_loss_diff_vs_float32"] < 1e-5  # the two implementations agree
    assert {r["variant"] for r in rows if r["section"].startswith("DARTS final")} == {"float32", "bf16 + channels-last"}
    assert len(out["ratios"]) == len(SECTIONS) + 1  # + the per-step loop's RMI row
    md = (tmp_path / "gpu_check.md").read_text()
    assert "| measurement | variant | role | device |" in md and "No GPU ran here" in md
