"""Search algorithms for nasbench-eval. Each registers through the ``nasbench_eval.algorithms`` entry point
(pyproject.toml), the same door a user's own package uses."""
