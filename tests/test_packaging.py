"""The package travels without the repository: the shipped store equals a fresh build, unpacks verified into the user's
cache, refuses damage; the tabular path never imports torch and a live command without torch names the extra."""
from __future__ import annotations

import re

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import numpy as np
import pytest

from nasbench_eval._io import FolderRefusedError, marker_kind
from nasbench_eval.errors import StoreError
from nasbench_eval.tables import packaged
from nasbench_eval.tables.build import build_store, find_source
from nasbench_eval.tables.store import STORE_KIND, load_store

ROOT = Path(__file__).resolve().parents[1]
SOURCE = find_source(required=False)
needs_sources = pytest.mark.skipif(SOURCE is None, reason="the source tables (../shared/data or "
                                   "$NASBENCH_EVAL_DATA) are absent: the shipped store cannot be rebuilt here")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A store built from the source tables now, in a temporary folder."""
    return build_store(SOURCE, tmp_path_factory.mktemp("fresh") / "store")


@needs_sources
def test_shipped_store_equals_a_fresh_build_bit_for_bit(fresh, tmp_path):
    prov = packaged.package_store(fresh, tmp_path)
    shipped = packaged.read_members()  # checks the archive and member hashes against provenance.json
    rebuilt = packaged.read_members(tmp_path)
    for name in packaged.MEMBERS:
        assert rebuilt[name] == shipped[name], f"{name} differs: rerun `{packaged.COMMAND}` and commit the result"
    assert prov == packaged.read_provenance(), "provenance.json differs from a fresh `data build --package`"
    assert (tmp_path / packaged.ARCHIVE).read_bytes() == packaged.packaged_paths()[0].read_bytes()
    assert packaged.compare_stores(packaged._store_files(fresh), shipped, "shipped") == []


@needs_sources
def test_a_changed_value_is_found_by_the_comparison(fresh, tmp_path):
    from nasbench_eval.tables.store import seal_meta

    bad = tmp_path / "bad"
    shutil.copytree(fresh, bad)
    v = np.load(bad / "values.npy")
    meta = json.loads((bad / "meta.json").read_text())
    j = meta["columns"].index("cifar100/test_acc_200ep/nb201-v1_1")
    v[j, 9930] = np.nextafter(v[j, 9930], 0)  # one ulp on the CIFAR-100 optimum
    np.save(bad / "values.npy", v)
    (bad / "meta.json").write_text(json.dumps(seal_meta(meta, bad / "values.npy")))
    load_store(bad)  # a consistently resealed store opens: only the comparison with the sources finds it
    diffs = packaged.compare_stores(packaged._store_files(fresh), packaged._store_files(bad), "current store")
    assert diffs[0] == "current store: column cifar100/test_acc_200ep/nb201-v1_1: 1 value(s) differ bit for bit"


def test_provenance_records_every_column_with_its_source_and_hash():
    prov = packaged.read_provenance()
    members = packaged.read_members()
    meta = json.loads(members["meta.json"])
    values = np.load(__import__("io").BytesIO(members["values.npy"]))
    assert list(prov["columns"]) == meta["columns"] and prov["n_archs"] == 15625
    assert [c["values_sha256"] for c in prov["columns"].values()] == packaged.column_sha256(values)
    c = prov["columns"]["cifar10-valid/valid_acc_200ep/nb201-v1_1"]
    assert c["source_repo"] == "Zhenhan-Huang/NASGraph-Public" and len(c["source_commit"]) == 40
    assert prov["command"] == "nasbench-eval data build --package"
    licences = (packaged.PACKAGE_DATA / "LICENSES.md").read_text()
    for repo in {c["source_repo"] for c in prov["columns"].values()} - {"derived (closed form, see combined/"
                                                                          "PROVENANCE.md)"}:
        assert repo in licences, repo
    assert meta["source_dir"] is None and "packaged" in meta["built_at"]  # nothing of the build machine


def test_unpack_into_a_cache_folder_is_marked_and_verified(tmp_path, store):
    out = packaged.unpack_store(tmp_path / "cache" / "store")
    assert marker_kind(out) == STORE_KIND
    s = load_store(out)
    assert s.meta["values_sha256"] == store.meta["values_sha256"]  # the same numbers as this checkout's store
    assert s.column("cifar10-valid/valid_acc_200ep/nb201-v1_1")[6111] == pytest.approx(91.60666665039064)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("a user's file")
    with pytest.raises(FolderRefusedError, match="refusing to write into it"):
        packaged.unpack_store(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "a user's file"


def test_a_damaged_archive_is_refused_and_nothing_is_written(tmp_path):
    pk = tmp_path / "pk"
    shutil.copytree(packaged.PACKAGE_DATA, pk)
    raw = bytearray((pk / packaged.ARCHIVE).read_bytes())
    raw[len(raw) // 2] ^= 1
    (pk / packaged.ARCHIVE).write_bytes(bytes(raw))
    with pytest.raises(StoreError, match="does not match its recorded sha256"):
        packaged.unpack_store(tmp_path / "store", folder=pk)
    assert not (tmp_path / "store").exists()


def test_get_store_without_env_or_checkout_unpacks_once_into_the_cache(tmp_path, monkeypatch, capsys):
    from nasbench_eval.tables import store as store_mod
    from nasbench_eval.tables.locate import clear_store_cache, get_store

    monkeypatch.delenv("NASBENCH_EVAL_STORE", raising=False)
    cache = tmp_path / "xdg" / "nasbench-eval" / "store"
    monkeypatch.setattr(store_mod, "default_store_dir", lambda: cache)  # as in an installed wheel
    s = get_store()
    assert "unpacking the packaged benchmark store" in capsys.readouterr().err
    assert s.path == cache.resolve() and marker_kind(cache) == STORE_KIND
    before = (cache / "values.npy").stat().st_mtime_ns
    get_store()
    assert (cache / "values.npy").stat().st_mtime_ns == before and capsys.readouterr().err == ""
    clear_store_cache()


def test_default_store_dir_outside_a_checkout_is_the_user_cache(monkeypatch, tmp_path):
    from nasbench_eval.tables import store as store_mod

    monkeypatch.delenv("NASBENCH_EVAL_STORE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    fake = tmp_path / "site-packages" / "nasbench_eval" / "tables" / "store.py"
    monkeypatch.setattr(store_mod, "__file__", str(fake))
    assert store_mod.default_store_dir() == tmp_path / "nasbench-eval" / "store"


def test_data_verify_without_sources_says_so(tmp_path, monkeypatch, capsys):
    from nasbench_eval.cli import main

    monkeypatch.setenv("NASBENCH_EVAL_DATA", str(tmp_path / "nowhere"))
    assert main(["data", "verify"]) == 2
    out, err = capsys.readouterr()
    assert "ok: packaged store" in out and "content hash OK" in out
    assert "source tables were not found" in err and "--source DIR" in err


# ----------------------------------------------------------------------------------------------- torch optional
def _python(code: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=300)


def test_the_tabular_path_never_imports_torch():
    code = ("import sys\nfrom nasbench_eval.cli import main\n"
            "assert main(['query', '6111']) == 0\n"
            "assert main(['search', 'rea', '--budget', '60', '--seed', '1']) == 0\n"
            "assert main(['search', 'nsga2', '--device', 'fpga', '--budget', '60']) == 0\n"
            "import nasbench_eval as ne; [getattr(ne, n) for n in ne.__all__]\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision', 'nas_201_api'))\n"
            "print('TORCH', bad)\n")
    r = _python(code)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "TORCH []" in r.stdout


def test_a_live_command_without_torch_names_the_extra_in_one_line():
    code = ("import sys\nsys.modules['torch'] = None\nsys.modules['torchvision'] = None\n"
            "from nasbench_eval.cli import main\n"
            "sys.exit(main(['rmi', 'score', '--reference', 'ref.pt', '0']))\n")
    r = _python(code)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "pip install 'nasbench-eval[live]'" in lines[0] and "torch==2.14.1 torchvision==0.29.1" in lines[0]


# ----------------------------------------------------------------------------------------------- a real wheel
@pytest.mark.slow
def test_wheel_in_a_clean_venv_answers_without_the_repository(tmp_path):
    """Build the wheel, install it (no extras) into a fresh venv and use it from an empty folder with an empty home:
    no ../shared, no source checkout, no torch (about 2-4 minutes, mostly pip)."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist),
                    str(ROOT)], check=True, capture_output=True, timeout=600)
    wheel = next(dist.glob("nasbench_eval-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-compile", str(wheel)], check=True, timeout=900)
    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NASBENCH_EVAL", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "home" / ".cache"))
    exe = env_dir / "bin" / "nasbench-eval"

    def run(*args):
        r = subprocess.run([exe, *args], cwd=work, env=env, capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, r.stderr[-2000:]
        return r

    assert "91.6067" in run("query", "6111").stdout
    run("search", "rea", "--budget", "100", "--seed", "0")
    run("reproduce", "nb201", "--quick", "--out", "rq")
    site = next(env_dir.glob("lib/python*/site-packages"))
    assert not (site / "algorithms").exists() and not (site / "reproductions").exists()
    assert (site / "nasbench_eval" / "algorithms" / "rea.py").is_file()
    assert not (site / "torch").exists()
    size = sum(f.stat().st_size for f in env_dir.rglob("*") if f.is_file())
    # installed as the README's first command does (--no-compile: .pyc only for what is imported): 486 MB by du
    # (458 MB of files) after the README's first job, measured by benchmarks/venv_size.sh since fastparquet replaced
    # pyarrow (166 MB; the venv was 637 MB). This bound catches pyarrow, torch (about 6 GB) or another heavy
    # dependency coming back
    assert size < 530e6, f"tabular venv is {size / 1e6:.0f} MB"
    assert (tmp_path / "home" / ".cache" / "nasbench-eval" / "store" / ".nasbench-eval").is_file()


# ----------------------------------------------------------------------------------------------- newcomer friction
def test_help_states_the_defaults_of_seed_and_dataset(capsys):
    from nasbench_eval.cli import main

    with pytest.raises(SystemExit):
        main(["search", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--seed SEED seed of the run (every random choice derives from it) (default: 0)" in text
    assert "(default: cifar10)" in text and "(default: None)" not in text


def test_text_output_rounds_floats_and_json_keeps_them(capsys):
    from nasbench_eval.cli import main
    from nasbench_eval.cli._format import num, rounded

    assert num(7.503159999999999) == "7.50316" and num(3) == "3" and num(float("nan")) == "n/a"
    assert rounded({"a": [7.503159999999999, 1], "b": np.float64(0.8566666666666691)}) == {"a": [7.50316, 1],
                                                                                            "b": 0.856667}
    assert main(["search", "hw-evrsnas", "--device", "pixel3", "--quantile", "0.3", "--budget", "60"]) == 0
    out = capsys.readouterr().out
    assert '"threshold": 7.50316,' in out and "7.503159999999999" not in out
    assert main(["search", "hw-evrsnas", "--device", "pixel3", "--quantile", "0.3", "--budget", "60", "--json"]) == 0
    assert "7.503159999999999" in capsys.readouterr().out


def test_reproduce_list_says_time_and_how_small_quick_is(capsys):
    from nasbench_eval.cli import main

    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    assert "nb201" in out and "--quick: 5 seeds (full: 30)" in out
    readme = (ROOT / "README.md").read_text()
    times = re.findall(r"^ +about ([0-9.]+) min on 2 cores", out, re.M)
    names = re.findall(r"^(\S+) {2,}", out, re.M)
    assert len(times) == len(names) >= 5
    for name, minutes in zip(names, times):  # the README's table and the catalogue agree
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}` |") and " min" in line)
        assert f"about {minutes} min" in row, (name, minutes, row)


def test_html_report_is_one_file(tmp_path):
    from nasbench_eval.report import make_report
    from nasbench_eval.runner import parse_spec, run_experiment

    spec = parse_spec({"name": "h", "root_seed": 1, "seeds": 3, "budget": {"evaluations": 30},
                       "algorithms": ["random", "rea"], "problems": [{"type": "nb201", "dataset": "cifar10"}]})
    run_experiment(spec, tmp_path / "r", progress=False)
    page = make_report(tmp_path / "r", fmt="html", baseline="random").read_text()
    assert page.count('<img src="data:image/png;base64,') >= 2 and '<img src="' not in page.replace(
        '<img src="data:', "")
