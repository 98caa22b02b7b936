"""Chunked result parts: a cell is wholly saved or absent, resume mid-chunk, checksums per chunk file, older Arrow
parts are refused with one line, and the merged files do not depend on how the cells were chunked (same bytes, also
when a column is missing from some cells)."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from nasbench_eval.runner import ResultStoreError, compare_results, parse_spec, run_experiment
from nasbench_eval.runner.cell import cell_tables
from nasbench_eval.runner.experiment import cell_seeds
from nasbench_eval.runner.parts import TABLES, ChunkWriter
from nasbench_eval.runner.store import ResultStore


def spec(seeds=3, evals=30):
    """Two problems with different columns (nb201 vs hardware-aware) so chunks mix column sets."""
    return parse_spec({"name": "perf", "root_seed": 5, "seeds": seeds, "budget": {"evaluations": evals},
                       "algorithms": ["random", {"name": "rea", "params": {"population_size": 10, "sample_size": 3}}],
                       "problems": [{"type": "nb201", "dataset": "cifar10"},
                                    {"type": "hw", "dataset": "cifar10", "device": "fpga", "metric": "latency",
                                     "quantile": 0.5}]})


@pytest.fixture(scope="module")
def computed():
    s = spec()
    seeds = cell_seeds(s.root_seed, s.n_cells)
    return s, {c.cell: cell_tables(c, seeds[c.cell], s.budget) for c in s.cells()}


def opened(out, s) -> ResultStore:
    """A result folder opened as ``run_experiment`` opens it (data hash + code provenance), so it resumes."""
    from nasbench_eval.runner.provenance import collect
    from nasbench_eval.tables.locate import get_store

    store = ResultStore(out)
    store.open(s, get_store().content_sha256, provenance=collect(s))
    return store


def write(out, s, tables, chunks) -> dict:
    """Save ``tables`` grouped as ``chunks`` (lists of cell ids) and merge; returns the manifest."""
    store = opened(out, s)
    for ids in chunks:
        store.write_chunk([(c, tables[c]) for c in ids])
    return store.merge(s)


def shas(m, names=TABLES):
    return {n: m["files"][n]["sha256"] for n in names}


def test_merged_bytes_do_not_depend_on_chunking(computed, tmp_path):
    s, tables = computed
    ids = list(range(s.n_cells))
    one = write(tmp_path / "one", s, tables, [ids])
    singles = write(tmp_path / "singles", s, tables, [[c] for c in ids])
    rng = np.random.default_rng(0)
    perm = [int(c) for c in rng.permutation(ids)]
    mixed = write(tmp_path / "mixed", s, tables, [perm[:5], perm[5:6], perm[6:]])  # overlapping cell ranges
    assert one["complete"] and one["cells_done"] == s.n_cells
    assert shas(one) == shas(singles) == shas(mixed)
    assert compare_results(tmp_path / "one", tmp_path / "mixed") == []
    parts = sorted(p.name for p in (tmp_path / "mixed" / "parts").iterdir())
    assert len(parts) == 3 and all(p.startswith("chunk-") for p in parts)


def test_merged_tables_equal_the_cells_tables(computed, tmp_path):
    """Column order = first appearance over the cells in canonical order; values as each cell produced them."""
    import pandas as pd

    from nasbench_eval.runner import load_results

    s, tables = computed
    write(tmp_path / "r", s, tables, [list(range(s.n_cells))[::-1][i:i + 4] for i in range(0, s.n_cells, 4)])
    r = load_results(tmp_path / "r")
    for name in TABLES:
        want = pd.concat([pd.DataFrame(tables[c][name]) for c in range(s.n_cells)], ignore_index=True)
        got = getattr(r, name)
        assert list(got.columns) == list(want.columns)
        pd.testing.assert_frame_equal(got, want, check_dtype=False, check_exact=True)
    assert "hv" in " ".join(r.runs.columns) or "gap" in " ".join(r.runs.columns)  # hw indicators present


def test_joblib_and_serial_give_the_same_bytes(tmp_path):
    s = spec(seeds=4)
    a = run_experiment(s, tmp_path / "serial", progress=False)
    b = run_experiment(s, tmp_path / "joblib", backend="joblib", jobs=2, progress=False)
    assert a["complete"] and b["complete"]
    ma = json.loads((tmp_path / "serial" / "manifest.json").read_text())
    mb = json.loads((tmp_path / "joblib" / "manifest.json").read_text())
    assert shas(ma, ("evaluations", "chosen")) == shas(mb, ("evaluations", "chosen"))  # runs: wall_seconds differ
    assert compare_results(tmp_path / "serial", tmp_path / "joblib") == []


def test_resume_after_a_worker_died_mid_chunk(computed, tmp_path):
    """A chunk being written when the process died leaves only a temporary folder: its cells are absent, rerun on
    resume, and the store equals a clean run."""
    s, tables = computed
    out = tmp_path / "r"
    store = opened(out, s)
    store.write_chunk([(c, tables[c]) for c in (0, 1, 2)])
    half = store.parts / ".tmp-000003-dead"  # what os.replace never moved into place
    half.mkdir()
    (half / "evaluations.npz").write_bytes(b"partial")
    assert store.done_cells() == {0, 1, 2}
    ran = []
    r = run_experiment(s, out, progress=False, on_cell=ran.append)
    assert r["skipped"] == 3 and sorted(ran) == list(range(3, s.n_cells)) and r["complete"]
    assert not half.exists()
    run_experiment(s, tmp_path / "clean", progress=False)
    assert compare_results(out, tmp_path / "clean") == []


def test_a_failing_cell_keeps_the_finished_ones(tmp_path, monkeypatch):
    import nasbench_eval.runner.backends as backends

    s = spec(seeds=2)
    real, calls = backends.cell_tables, []

    def flaky(cell, ss, budget):
        calls.append(cell.cell)
        if len(calls) == 4:
            raise RuntimeError("boom")
        return real(cell, ss, budget)

    monkeypatch.setattr(backends, "cell_tables", flaky)
    with pytest.raises(RuntimeError, match="boom"):
        run_experiment(s, tmp_path / "r", progress=False)
    assert ResultStore(tmp_path / "r").done_cells() == set(calls[:3])
    monkeypatch.setattr(backends, "cell_tables", real)
    r = run_experiment(s, tmp_path / "r", progress=False)
    assert r["skipped"] == 3 and r["complete"]


def test_chunk_writer_flushes_by_count_and_on_demand(computed, tmp_path):
    s, tables = computed
    store = ResultStore(tmp_path / "r")
    store.open(s, None)
    w = ChunkWriter(store, max_cells=3, max_seconds=1e9)
    saved = [w.add(c, tables[c]) for c in range(5)]
    assert saved == [[], [], [0, 1, 2], [], []] and store.done_cells() == {0, 1, 2}
    assert w.flush() == [3, 4] and w.flush() == []
    assert sorted(p.name for p in store.parts.iterdir()) == ["chunk-000000-000002", "chunk-000003-000004"]


@pytest.mark.parametrize("damage, words", [
    (lambda p: p.joinpath("evaluations.npz").write_bytes(_flip(p / "evaluations.npz")), "checksum"),
    (lambda p: p.joinpath("chosen.npz").write_bytes(p.joinpath("chosen.npz").read_bytes()[:40]), "checksum"),
    (lambda p: p.joinpath("runs.npz").unlink(), "cannot be read"),
    (lambda p: _edit_index(p, lambda ix: ix["columns"]["runs"]["sets"][0][0].__setitem__(1, "decimal")), "readable"),
    (lambda p: _edit_index(p, lambda ix: ix.update(cells=ix["cells"][:-1])), "readable|other cells"),
    (lambda p: p.joinpath("checksums.json").write_text("{"), "readable"),
])
def test_a_damaged_chunk_is_refused_at_merge(computed, tmp_path, damage, words):
    s, tables = computed
    out = tmp_path / "r"
    write(out, s, tables, [[0, 1, 2], list(range(3, s.n_cells))])
    chunk = out / "parts" / "chunk-000000-000002"
    damage(chunk)
    (out / "runs.parquet").write_bytes(b"")  # forces a re-merge
    with pytest.raises(ResultStoreError, match=words) as e:
        run_experiment(s, out, progress=False)
    assert str(chunk) in str(e.value) and "delete" in str(e.value)


def test_older_arrow_parts_are_refused_with_one_line(computed, tmp_path):
    """Older versions saved cells as Arrow files (one-cell ``cell-*`` folders, then Arrow chunks): this version cannot
    read them, so resuming or re-merging such a folder is refused with one line; a complete folder whose merged
    tables are intact is still accepted (nothing to run) and read."""
    from nasbench_eval.runner import load_results

    s, tables = computed
    out = tmp_path / "old"
    m = write(out, s, tables, [[0, 1, 2], list(range(3, s.n_cells))])
    chunk = out / "parts" / "chunk-000000-000002"

    def to_arrow(ix):  # the index an older version wrote: Arrow files, no format, columns as plain names
        for name in TABLES:
            ix[f"{name}.arrow"] = ix.pop(f"{name}.npz")
            ix["columns"][name]["sets"] = [[c for c, _ in cols] for cols in ix["columns"][name]["sets"]]
        del ix["format"]

    _edit_index(chunk, to_arrow)
    r = run_experiment(s, out, progress=False)  # complete, tables intact: nothing to read from the parts
    assert r["ran"] == 0 and r["complete"] and shas(load_results(out).manifest) == shas(m)
    (out / "runs.parquet").write_bytes(b"")  # a re-merge would need the Arrow chunk
    with pytest.raises(ResultStoreError, match="Arrow files by an older nasbench-eval") as e:
        run_experiment(s, out, progress=False)
    assert "new --out" in str(e.value) and len(str(e.value).splitlines()) == 1

    out2 = tmp_path / "older"
    store = opened(out2, s)
    d = store.parts / "cell-000005"  # the one-cell folders of the first versions
    d.mkdir()
    (d / "runs.arrow").write_bytes(b"ARROW1")
    (d / "checksums.json").write_text(json.dumps({"runs.arrow": "0" * 64}))
    assert store.done_cells() == {5}
    with pytest.raises(ResultStoreError, match="cell-000005.*new --out"):
        run_experiment(s, out2, progress=False)


def test_column_kinds_are_unified_over_cells_whatever_the_chunking(computed, tmp_path):
    """A column present in some cells only, or holding missing values, gets the same type whatever the chunks:
    int -> float64 with NaN, bool -> object (True / False / None), text -> object with None. A cell's tables may
    be dicts of numpy columns (what cells return) or DataFrames: the same bytes."""
    import pandas as pd

    from nasbench_eval.runner import load_results

    s, tables = computed
    ids = list(range(s.n_cells))
    extra = {}
    for c in ids:
        t = {k: dict(v) for k, v in tables[c].items()}
        if c % 3 == 0:
            t["runs"]["x_int"] = np.array([7 * c])
            t["runs"]["x_bool"] = np.array([c % 2 == 0])
        if c % 4 == 1:
            t["runs"]["x_text"] = np.array([f"t{c}"], dtype=object)
            t["runs"]["x_none"] = np.array([None], dtype=object)
        if c == 5:
            t["runs"]["x_only"] = np.array([3])  # in one cell only
        extra[c] = t
    as_frames = {c: {k: pd.DataFrame(v) for k, v in t.items()} if c % 2 else t for c, t in extra.items()}
    a = write(tmp_path / "a", s, extra, [ids])
    b = write(tmp_path / "b", s, extra, [[c] for c in ids])
    c3 = write(tmp_path / "c", s, extra, [[5], [0, 3, 6, 9], [c for c in ids if c not in (0, 3, 5, 6, 9)]])
    d = write(tmp_path / "d", s, as_frames, [ids])
    assert shas(a) == shas(b) == shas(c3) == shas(d)
    runs = load_results(tmp_path / "c").runs
    assert runs["x_int"].dtype == float and runs["x_int"].isna().sum() == s.n_cells - len(ids[::3])
    assert runs.loc[runs["cell"] == 3, "x_int"].item() == 21.0
    assert runs["x_bool"].dtype == object and set(runs["x_bool"].map(repr)) == {"True", "False", "None"}
    assert runs["x_text"].dtype == object and runs.loc[runs["cell"] == 5, "x_text"].item() == "t5"
    assert runs["x_text"].isna().sum() == s.n_cells - len([c for c in ids if c % 4 == 1])
    assert runs["x_none"].dtype == object and runs["x_none"].isna().all()
    assert runs["x_only"].dtype == float and runs["x_only"].notna().sum() == 1
    assert runs["cell"].dtype == "int64" and runs["seed"].dtype == "int64"
    ev = load_results(tmp_path / "c").evaluations
    assert ev["cached"].dtype == bool and ev["algorithm"].dtype == object and ev["key"].dtype == "int64"
    pd.testing.assert_frame_equal(ev, load_results(tmp_path / "a").evaluations, check_exact=True)


def test_a_cell_saved_twice_is_refused(computed, tmp_path):
    s, tables = computed
    out = tmp_path / "r"
    write(out, s, tables, [list(range(s.n_cells))])
    twin = out / "parts" / "chunk-000001-000001"
    shutil.copytree(out / "parts" / "chunk-000000-000011", twin)
    ix = json.loads((twin / "checksums.json").read_text())
    assert ix["cells"][0] == 0
    with pytest.raises(ResultStoreError, match="saved twice"):
        ResultStore(out).merge(s)


def _flip(path):
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    return bytes(raw)


def _edit_index(path, fn):
    ix = json.loads((path / "checksums.json").read_text())
    fn(ix)
    (path / "checksums.json").write_text(json.dumps(ix))


def test_text_columns_are_coded_as_pandas_codes_them():
    """Text columns are kinded, conformed and coded with numpy (a worker never imports pandas for them); anything
    else (missing values, numpy strings, mixed objects) goes to pandas. Both ways give pandas' answers."""
    import pandas as pd

    from nasbench_eval.runner.columns import _factorize, column_kind, conform_columns

    rng = np.random.default_rng(0)
    words = np.array(["b", "a", "", "c c", "ä", "a"], dtype=object)
    for trial in range(300):
        col = words[rng.integers(0, len(words), int(rng.integers(0, 30)))].copy()
        if trial % 4 == 1 and len(col):
            col[rng.integers(len(col))] = [None, np.nan][trial % 2]
        codes, texts = _factorize(col)
        want_codes, want_texts = pd.factorize(col, use_na_sentinel=True)
        assert np.array_equal(codes, want_codes) and list(texts) == list(want_texts)
        if len(col):
            assert column_kind(col) == {"string": "str", "empty": "null"}[pd.api.types.infer_dtype(col, skipna=True)]
            got = conform_columns({"t": col}, {"t": "str"})["t"]
            assert [None if pd.isna(x) else x for x in col] == list(got)


def test_a_worker_running_tabular_cells_imports_neither_pandas_nor_scipy(tmp_path):
    """A worker's path for numeric cells (NB201 accuracy problems, the NSGA-II driver included) stays free of
    pandas and scipy: their imports were a second of every parallel run's start-up."""
    import pickle
    import subprocess
    import sys

    spec = parse_spec({"name": "w", "root_seed": 1, "seeds": 1, "budget": {"evaluations": 60},
                       "algorithms": ["random", "rea", "evnas", {"name": "nsga2", "params": {"population_size": 10}}],
                       "problems": [{"type": "nb201", "dataset": "cifar10"}]})
    seeds = cell_seeds(spec.root_seed, spec.n_cells)
    task = tmp_path / "task.pkl"
    task.write_bytes(pickle.dumps(([(c, seeds[c.cell]) for c in spec.cells()], spec.budget)))
    ResultStore(tmp_path / "out").parts.mkdir(parents=True)
    code = ("import pickle, sys\n"
            "from nasbench_eval.runner.backends import _job_chunk\n"
            f"task, budget = pickle.loads(open({str(task)!r}, 'rb').read())\n"
            f"assert len(_job_chunk(task, budget, {str(tmp_path / 'out')!r})) == 4\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'scipy'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_chunks_of_the_previous_format_are_still_merged(computed, tmp_path):
    """The previous version wrote one ``.npz`` array per column (``format: npz``); a folder holding such chunks
    (e.g. resumed with --allow-code-change) merges into the same tables as this version's chunks by kind."""
    import hashlib

    from nasbench_eval.runner.parts import read_chunk_index

    s, tables = computed
    ids = list(range(s.n_cells))
    new = write(tmp_path / "new", s, tables, [ids[:5], ids[5:]])
    out = tmp_path / "old"
    write(out, s, tables, [ids[:5], ids[5:]])
    for chunk in sorted((out / "parts").iterdir()):
        part = read_chunk_index(chunk)
        ix = json.loads((chunk / "checksums.json").read_text())
        for name in TABLES:  # rewrite each table as the previous version did: arrays "i", "i.codes" / "i.texts"
            cols, arrays = part.read(name), {"rows": np.array([len(part.read(name)["cell"])], dtype=np.int64)}
            for i, (c, kind) in enumerate(ix["kinds"][name]):
                v = cols[c]
                if kind in ("int64", "float64", "bool"):
                    arrays[str(i)] = v
                elif kind == "bool?":
                    arrays[str(i)] = np.array([-1 if x is None else int(x) for x in v], dtype=np.int8)
                elif kind == "str":
                    texts = list(dict.fromkeys(x for x in v if x is not None))
                    arrays[f"{i}.codes"] = np.array([-1 if x is None else texts.index(x) for x in v], dtype=np.int32)
                    arrays[f"{i}.texts"] = np.array(texts, dtype=str) if texts else np.zeros(0, dtype="<U1")
            np.savez(chunk / f"{name}.npz", **arrays)
            ix[f"{name}.npz"] = hashlib.sha256((chunk / f"{name}.npz").read_bytes()).hexdigest()
        ix["format"] = "npz"
        (chunk / "checksums.json").write_text(json.dumps(ix, sort_keys=True))
    (out / "runs.parquet").write_bytes(b"")  # forces a re-merge from the rewritten chunks
    store = ResultStore(out)
    assert all(read_chunk_index(c).index["format"] == "npz" for c in store.parts.iterdir())
    assert shas(store.merge(s)) == shas(new)
