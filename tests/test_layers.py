"""The import-layer checker: the code base has no circle and no upward arrow, and the checker catches new ones."""
import subprocess
import sys
from pathlib import Path

from nasbench_eval.devtools import layers

ROOT = Path(__file__).resolve().parents[1]


def _tree(tmp_path, files: dict[str, str]) -> Path:
    for rel, text in {"nasbench_eval/__init__.py": "", **files}.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        for parent in list(p.parents)[:-1]:  # every folder up to tmp_path is a package
            if parent != tmp_path and parent.is_relative_to(tmp_path) and not (parent / "__init__.py").exists():
                (parent / "__init__.py").write_text("")
        p.write_text(text)
    return tmp_path


def test_this_code_base_has_no_violation():
    problems, edges = layers.check(ROOT)
    assert problems == []
    # the checker really saw the code base: the runner imports the search layer, spaces import nothing above
    assert "nasbench_eval.search" in edges["nasbench_eval.runner"]
    assert edges["nasbench_eval.spaces"] <= {"nasbench_eval.errors"}


def test_command_line_exit_status():
    out = subprocess.run([sys.executable, "-m", "nasbench_eval.devtools.layers"], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0, out.stdout
    assert "0 violation(s)" in out.stderr


def test_an_upward_arrow_is_reported_with_file_and_line(tmp_path):
    root = _tree(tmp_path, {"nasbench_eval/spaces/x.py": "import numpy\n\ndef f():\n    from ..tables import store\n",
                            "nasbench_eval/tables/store.py": "from ..spaces import x\n"})
    problems, _ = layers.check(root)
    up = [p for p in problems if "arrow up" in p]
    assert len(up) == 1 and "spaces/x.py:4" in up[0] and "'spaces' to 'tables'" in up[0]
    assert any("circle" in p and "nasbench_eval.spaces <-> nasbench_eval.tables" in p for p in problems)
    assert main_status(root) == 1


def test_circle_within_one_layer_and_algorithms_import_are_reported(tmp_path):
    root = _tree(tmp_path, {"nasbench_eval/live/a.py": "from nasbench_eval.supernet import b\n",
                            "nasbench_eval/supernet/b.py": "import importlib\nimportlib.import_module('nasbench_eval.live.a')\n",
                            "nasbench_eval/search/c.py": "from nasbench_eval.algorithms import rea\n",
                            "algorithms/rea.py": "from nasbench_eval.search import c\n",
                            "nasbench_eval/newpkg/d.py": "from ..spaces import nb201\n",
                            "nasbench_eval/spaces/nb201.py": ""})
    problems, _ = layers.check(root)
    text = "\n".join(problems)
    assert "import circle between units: nasbench_eval.live <-> nasbench_eval.supernet" in text
    assert "never imports the algorithms package" in text
    assert "nasbench_eval.newpkg.d imports nasbench_eval.spaces.nb201: module outside the layer table" in text


def test_allow_list_silences_one_named_arrow(tmp_path, monkeypatch):
    root = _tree(tmp_path, {"nasbench_eval/problems/p.py": "from ..judge import j\n", "nasbench_eval/judge/j.py": ""})
    assert any("arrow up" in p for p in layers.check(root)[0])
    monkeypatch.setitem(layers.ALLOWED, ("nasbench_eval.problems", "nasbench_eval.judge"), "test")
    assert layers.check(root)[0] == []


def test_unit_is_the_longest_prefix():
    assert layers.unit_of("nasbench_eval.supernet.driver") == "nasbench_eval.supernet.driver"
    assert layers.unit_of("nasbench_eval.supernet.training") == "nasbench_eval.supernet"
    assert layers.unit_of("nasbench_eval") == "nasbench_eval"
    assert layers.unit_of("numpy") is None


def main_status(root) -> int:
    return layers.main(["--root", str(root)])
