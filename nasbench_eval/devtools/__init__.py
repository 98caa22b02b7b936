"""Developer tools that check the code base itself (not used at run time): ``python -m nasbench_eval.devtools.layers``."""
