"""Hostile or careless input against the CLI: one case (at least) per guarantee of the README's "Guarantees".

Every case asserts the exit code, ONE line on stderr without a traceback, that nothing outside the target changed,
and that no marker file from a payload exists.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from nasbench_eval._io import LOCK, MARKER
from nasbench_eval.cli import main
from nasbench_eval.runner.store import ResultStore
from nasbench_eval.tables.store import default_store_dir, load_store

PAYLOAD = "PWNED"


# ---------------------------------------------------------------------------------------------- helpers
def snapshot(root: Path) -> dict:
    """Every file under ``root`` (hidden ones too) -> sha256 of its bytes; links and folders by name."""
    out = {}
    for p in sorted(Path(root).rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = "link->" + os.readlink(p)
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


def cli(capsys, *args, rc: int = 2, match: str | None = None) -> str:
    """Run the CLI in-process; assert the exit code and ONE stderr line without a traceback; return that line
    (or stdout when ``rc`` is 0). argparse refusals arrive as ``SystemExit(2)``."""
    try:
        got = main([str(a) for a in args])
    except SystemExit as exc:
        got = exc.code
    out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert got == rc, (got, out, err)
    assert "Traceback" not in out + err
    if rc == 0:
        return out
    assert len(lines) == 1 and lines[0].startswith("nasbench-eval"), err
    if match:
        assert match in lines[0], lines[0]
    return lines[0]


def no_payload(*roots: Path) -> None:
    for r in roots:
        assert not list(Path(r).rglob(PAYLOAD)), f"a payload marker exists under {r}"


@pytest.fixture
def foreign(tmp_path):
    """A user's folder that must survive everything."""
    d = tmp_path / "thesis"
    d.mkdir()
    (d / "thesis.txt").write_text("four years of work")
    (d / "meta.json").write_text('{"mine": true}')
    return d


@pytest.fixture(scope="module")
def store_copy(tmp_path_factory):
    """A pristine copy of the built store, per test module."""
    src = default_store_dir()
    d = tmp_path_factory.mktemp("store") / "store"
    shutil.copytree(src, d)
    return d


def tampered(store_copy, tmp_path, edit) -> Path:
    d = tmp_path / "tampered"
    shutil.copytree(store_copy, d)
    edit(d)
    return d


def spec_file(tmp_path, **over) -> Path:
    d = {"name": "tiny", "root_seed": 1, "seeds": 1, "budget": {"evaluations": 6}, "algorithms": ["random"],
         "problems": [{"type": "nb201", "dataset": "cifar10"}]}
    d.update(over)
    p = tmp_path / "spec.yaml"
    p.write_text(yaml.safe_dump(d))
    return p


# ------------------------------------------------------------------ 1. never destroy what is not ours
@pytest.mark.parametrize("argv", [
    lambda d: ["data", "info", "--store", d],
    lambda d: ["data", "build", "--store", d],
])
def test_store_commands_never_touch_a_foreign_folder(capsys, foreign, argv):
    before = snapshot(foreign.parent)
    cli(capsys, *argv(foreign))
    assert snapshot(foreign.parent) == before  # thesis.txt intact, no marker written


def test_env_store_is_only_read(capsys, foreign, monkeypatch):
    monkeypatch.setenv("NASBENCH_EVAL_STORE", str(foreign))
    before = snapshot(foreign.parent)
    cli(capsys, "query", "6111", match="no benchmark store")
    assert snapshot(foreign.parent) == before and not (foreign / MARKER).exists()


def test_build_refuses_a_plain_file(capsys, tmp_path):
    f = tmp_path / "notes"
    f.write_text("keep me")
    cli(capsys, "data", "build", "--store", f, match="not a folder")
    assert f.read_text() == "keep me" and sorted(p.name for p in tmp_path.iterdir()) == ["notes"]


def test_result_folders_refuse_foreign_files_and_dangling_links(capsys, tmp_path, foreign):
    spec = spec_file(tmp_path)
    before = snapshot(foreign.parent)
    cli(capsys, "run", spec, "--out", foreign, "--no-progress", match="not a nasbench-eval result folder")
    f = tmp_path / "afile"
    f.write_text("x")
    cli(capsys, "run", spec, "--out", f, "--no-progress", match="not a folder")
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "nowhere")
    cli(capsys, "run", spec, "--out", link, "--no-progress", match="dangling")
    assert not (tmp_path / "nowhere").exists() and f.read_text() == "x"
    assert snapshot(foreign) == {k[len("thesis/"):]: v for k, v in before.items() if k.startswith("thesis/")}


def test_report_writes_nothing_into_a_foreign_or_missing_folder(capsys, tmp_path, foreign):
    before = snapshot(tmp_path)
    cli(capsys, "report", foreign, match="not a nasbench-eval result folder")
    cli(capsys, "report", tmp_path / "missing", match="not a folder")
    assert snapshot(tmp_path) == before


# ------------------------------------------------------------------ 2. never serve a tampered number
def _flip_byte(d):
    raw = bytearray((d / "values.npy").read_bytes())
    raw[-1000] ^= 0x01
    (d / "values.npy").write_bytes(bytes(raw))


def _swap_columns(d):
    meta = json.loads((d / "meta.json").read_text())
    c = meta["columns"]
    c[0], c[1] = c[1], c[0]
    (d / "meta.json").write_text(json.dumps(meta))


def _roll_rows(d):
    v = np.load(d / "values.npy")
    np.save(d / "values.npy", np.roll(v, 1, axis=1))


def _fortran(d):
    raw = (d / "values.npy").read_bytes()
    (d / "values.npy").write_bytes(raw.replace(b"'fortran_order': False", b"'fortran_order': True ", 1))


@pytest.mark.parametrize("edit", [_flip_byte, _swap_columns, _roll_rows, _fortran])
def test_a_tampered_store_is_refused(capsys, store_copy, tmp_path, monkeypatch, edit):
    d = tampered(store_copy, tmp_path, edit)
    monkeypatch.setenv("NASBENCH_EVAL_STORE", str(d))
    before = snapshot(d)
    line = cli(capsys, "query", "6111")
    assert "checksum" in line or "corrupted" in line
    assert snapshot(d) == before  # refused, never rebuilt or "repaired"


def test_run_records_the_computed_hash_and_refuses_an_edited_part(capsys, tmp_path):
    out = tmp_path / "out"
    spec = spec_file(tmp_path, seeds=2)
    cli(capsys, "run", spec, "--out", out, "--no-progress", rc=0)
    m = json.loads((out / "manifest.json").read_text())
    assert m["data_sha256"] == load_store(default_store_dir()).content_sha256
    assert (out / MARKER).exists() and not (out / LOCK).exists()  # the lock is released
    part = ResultStore(out).part_file(1, "runs")  # the chunk file holding cell 1's rows
    raw = bytearray(part.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    part.write_bytes(bytes(raw))
    (out / "runs.parquet").write_bytes(b"")  # forces a re-merge
    cli(capsys, "run", spec, "--out", out, "--no-progress", match=str(part))


# ------------------------------------------------------------------ 3. one line, never a traceback
def test_odd_digits_and_bad_files_are_one_line(capsys, tmp_path, store_copy, monkeypatch):
    cli(capsys, "query", "²")
    bad = tmp_path / "bad-store"
    shutil.copytree(store_copy, bad)
    (bad / "meta.json").write_text("[1, 2")
    monkeypatch.setenv("NASBENCH_EVAL_STORE", str(bad))
    cli(capsys, "query", "1", match="corrupted")
    res = tmp_path / "res"
    res.mkdir()
    (res / "manifest.json").write_text("{not json")
    cli(capsys, "report", res, match="manifest.json")
    spec = tmp_path / "bin.yaml"
    spec.write_bytes(b"\xff\xfe\x00name: x")
    cli(capsys, "run", spec, "--check", match="UTF-8")


def test_the_real_entry_point_prints_no_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "nasbench_eval", "query", "²"], capture_output=True, text=True,
                       cwd=tmp_path, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_a_second_run_on_the_same_folder_is_refused_and_a_stale_lock_taken_over(capsys, tmp_path):
    spec = spec_file(tmp_path)
    out = tmp_path / "out"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        out.mkdir()  # as the first run leaves it while it works: marked as ours, locked by its pid
        (out / MARKER).write_text(json.dumps({"kind": "results"}))
        (out / LOCK).write_text(json.dumps({"pid": sleeper.pid, "host": os.uname().nodename}))
        cli(capsys, "run", spec, "--out", out, "--no-progress", match=f"pid {sleeper.pid}")
        assert not (out / "manifest.json").exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    cli(capsys, "run", spec, "--out", out, "--no-progress", rc=0)  # its process is gone: the lock is stale
    assert not (out / LOCK).exists() and (out / "runs.parquet").exists()


def test_os_errors_name_the_path(capsys, tmp_path):
    cli(capsys, "run", spec_file(tmp_path), "--out", "/proc/nasbench-eval-test/out", "--no-progress",
        match="/proc/nasbench-eval-test")


# ------------------------------------------------------------------ 4. invalid values are refused, not replaced
@pytest.mark.parametrize("argv", [
    ["search", "random", "--budget", "0"],
    ["search", "random", "--seed", "-1"],
    ["run", "x.yaml", "--jobs", "0"],
    ["supernet", "search", "-C", "0"],
    ["supernet", "search", "--batch-size", "0"],
    ["supernet", "search", "--max-batches", "-1"],
    ["report", ".", "--alpha", "nan"],
    ["report", ".", "--alpha", "2"],
    ["supernet", "train-final", "G", "--lr", "nan"],
])
def test_out_of_range_options_are_refused(capsys, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    cli(capsys, *argv, match="must be")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("param", ["population_size=0", "population_size=.inf", "mutation_rate=.nan",
                                   "mutation_rate=5"])
def test_algorithm_parameters_go_through_the_declared_constraints(capsys, param):
    cli(capsys, "search", "rea" if "population" in param else "evnas", "--budget", "5", "--param", param,
        match="must be")


def test_duplicate_yaml_keys_are_refused(capsys, tmp_path):
    spec = tmp_path / "dup.yaml"
    spec.write_text("name: a\nroot_seed: 1\nseeds: 1\nseeds: 30\nbudget: 5\nalgorithms: [random]\n"
                    "problems: [{type: nb201}]\n")
    cli(capsys, "run", spec, "--check", match="'seeds' is given twice")


# ------------------------------------------------------------------ 5. no code from input
def test_module_attr_resolves_only_to_algorithm_subclasses(capsys, tmp_path, monkeypatch):
    (tmp_path / "evilmod.py").write_text(textwrap.dedent(f"""
        from pathlib import Path
        def hook(**kw):
            Path({str(tmp_path)!r}, {PAYLOAD!r}).write_text("ran")
        class NotAnAlgorithm:
            def __init__(self, **kw):
                Path({str(tmp_path)!r}, {PAYLOAD!r}).write_text("ran")
            @classmethod
            def from_params(cls, kw):
                return cls(**kw)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for ref in ("os:system", "evilmod:hook", "evilmod:NotAnAlgorithm", "subprocess:Popen"):
        cli(capsys, "search", ref, "--budget", "5", match="not a")
    no_payload(tmp_path)


def test_checkpoint_bit_generator_must_be_numpys(tmp_path):
    pytest.importorskip("torch")
    from nasbench_eval.errors import StoreError
    from nasbench_eval.supernet.checkpoint import build_net, read_meta

    meta = {"format": 1, "net_class": "NB201Supernet", "net_config": {}, "hparams": {}, "epoch": 0, "version": 0,
            "rng_state": {"bit_generator": "get_state"}}
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(StoreError, match="bit_generator must be one of"):
        read_meta(tmp_path)
    with pytest.raises(StoreError, match="num_classes"):  # 6.: declared shapes are bounded
        build_net("NB201Supernet", {"C": 8, "N": 1, "num_classes": 100_000_000})
    (tmp_path / "meta.json").write_text('{"format": 1')
    with pytest.raises(StoreError, match="meta.json"):
        read_meta(tmp_path)


def test_html_report_escapes_user_strings(capsys, tmp_path):
    evil = "<img src=x onerror=alert(1)>"
    spec = spec_file(tmp_path, name="xss", seeds=2, algorithms=[{"name": "random", "label": evil}, "rea"])
    out = tmp_path / "out"
    cli(capsys, "run", spec, "--out", out, "--no-progress", rc=0)
    cli(capsys, "report", out, "--format", "html", rc=0)
    html = (out / "report" / "report.html").read_text()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and evil not in html
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "report.md").write_text("my own report")
    cli(capsys, "report", out, "--out", mine, match="no .nasbench-eval marker")  # 1.: --out is never a user's
    assert [p.name for p in mine.iterdir()] == ["report.md"] and (mine / "report.md").read_text() == "my own report"


# ------------------------------------------------------------------ 6. bounded resources
def test_yaml_alias_bomb_and_huge_counts_are_refused(capsys, tmp_path):
    bomb = tmp_path / "bomb.yaml"
    levels = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
    bomb.write_text("l0: &l0 [x, x, x, x, x, x, x, x, x]\n" + levels)
    assert bomb.stat().st_size < 1024
    cli(capsys, "run", bomb, "--check", match="aliases expand")
    cli(capsys, "run", spec_file(tmp_path, seeds=1_000_000_000), "--check", match="seeds")
    cli(capsys, "run", spec_file(tmp_path, budget={"evaluations": 10**12}), "--check", match="budget.evaluations")
    cli(capsys, "search", "random", "--budget", str(10**12), match="budget")


def test_a_spec_name_never_decides_a_path_outside(capsys, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    spec = spec_file(tmp_path, name="../../escaped")
    before = snapshot(tmp_path)
    cli(capsys, "run", spec, "--no-progress", match="name")
    assert snapshot(tmp_path) == before and not (tmp_path.parent / "escaped").exists()
