"""`rmi score` answered wholly from its cache: no torch, no reference or data loaded; any changed input misses."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("torch")

ARCHS = ["|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|", "6111"]
TINY = ["--C", "4", "--N", "1", "--batch-size", "32", "--steps", "3", "--device", "cpu", "--threads", "1"]


def fresh_process(*args) -> tuple[list[dict], bool]:
    """Run ``nasbench-eval ARGS`` in a fresh process; (JSON lines printed, whether torch got imported)."""
    code = ("import sys, json; from nasbench_eval.cli import main; rc = main(sys.argv[1:]); "
            "print(json.dumps({'rc': rc, 'torch': 'torch' in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
    assert lines[-1]["rc"] == 0
    return lines[:-1], lines[-1]["torch"]


@pytest.fixture
def scored(capsys, monkeypatch):
    """Run ``nasbench-eval ARGS`` here; (JSON lines printed, whether the evaluator was built = the normal path)."""
    from nasbench_eval.cli import main
    from nasbench_eval.evaluators.rmi import RMIEvaluator

    built = []
    real = RMIEvaluator.from_checkpoint.__func__
    monkeypatch.setattr(RMIEvaluator, "from_checkpoint", classmethod(lambda cls, *a, **k: built.append(1) or
                                                                     real(cls, *a, **k)))

    def run(*args):
        built.clear()
        assert main([str(a) for a in args]) == 0
        return [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")], bool(built)
    return run


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    from nasbench_eval.cli import main

    ckpt = tmp_path_factory.mktemp("ref") / "ref.pt"
    assert main(["rmi", "train-reference", "--dataset", "digits", "--out", str(ckpt), "--arch", ARCHS[0], "--C", "4",
                 "--N", "1", "--epochs", "1", "--device", "cpu", "--threads", "1"]) == 0
    return ckpt


def test_a_repeated_request_is_answered_without_torch(reference, tmp_path, scored):
    cache = tmp_path / "c.jsonl"
    first, normal = scored("rmi", "score", "--reference", reference, "--cache", cache, *TINY, "--json", *ARCHS)
    assert normal and not any(r["cached"] for r in first)
    again, used_torch = fresh_process("rmi", "score", "--reference", reference, "--cache", cache, *TINY, "--json",
                                      *ARCHS)
    assert not used_torch
    assert [r["rmi_loss"] for r in again] == [r["rmi_loss"] for r in first] and all(r["cached"] for r in again)
    recs = [json.loads(x) for x in cache.read_text().splitlines()]
    assert sum("request" in r for r in recs) == 1 and sum("key" in r for r in recs) == 2
    assert scored("rmi", "score", "--reference", reference, "--cache", cache, *TINY, "--json", *ARCHS)[1] is False

    # other settings, a new arch, or a touched checkpoint: scored (or checked) the normal way
    other, normal = scored("rmi", "score", "--reference", reference, "--cache", cache, *TINY[:-6], "--steps", "2",
                           "--device", "cpu", "--json", ARCHS[0])
    assert normal and not other[0]["cached"]
    assert scored("rmi", "score", "--reference", reference, "--cache", cache, *TINY, "--json", ARCHS[0], "0")[1]
    st = reference.stat()
    os.utime(reference, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    same, normal = scored("rmi", "score", "--reference", reference, "--cache", cache, *TINY, "--json", ARCHS[0])
    assert normal and same[0]["cached"]  # same bytes: the full fingerprint matches, the score is reused
    assert not scored("rmi", "score", "--reference", reference, "--cache", cache, *TINY, "--json", ARCHS[0])[1]


def test_cache_reader_skips_a_torn_line_and_keeps_requests(tmp_path):
    from nasbench_eval.evaluators.rmi_cache import append_record, arch_key, cached_losses, read_cache

    cache = tmp_path / "c.jsonl"
    append_record(cache, {"key": arch_key("a", "fp"), "rmi_loss": 1.5})
    append_record(cache, {"request": "r1", "fingerprint": "fp"})
    with open(cache, "a") as fh:
        fh.write('{"key": "torn')
    append_record(cache, {"key": arch_key("b", "fp"), "rmi_loss": "inf"})
    scores, requests = read_cache(cache)
    assert requests == {"r1": "fp"} and len(scores) == 2
    assert cached_losses(cache, "r1", ["a", "b"]) == [1.5, float("inf")]
    assert cached_losses(cache, "r1", ["a", "c"]) is None and cached_losses(cache, "r2", ["a"]) is None
