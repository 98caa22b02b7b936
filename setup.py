"""Package layout only (metadata lives in pyproject.toml).

The repository keeps ``algorithms/`` and ``reproductions/`` at its top level, but they are installed under the
package's namespace as ``nasbench_eval.algorithms`` and ``nasbench_eval.reproductions``: generic top-level names
such as ``algorithms`` would clash with other distributions in site-packages.
"""
from setuptools import find_packages, setup

MAPPED = {"nasbench_eval.algorithms": "algorithms", "nasbench_eval.reproductions": "reproductions"}

setup(packages=find_packages(include=["nasbench_eval", "nasbench_eval.*"]) + sorted(MAPPED), package_dir=MAPPED)
