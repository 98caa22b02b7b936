"""Studies: self-contained experiments on the live side that are not architecture searches.

Each study has its own configuration, sweep, tidy result table and report, and reads image data through
:mod:`nasbench_eval.live.data`. Importing this package imports nothing heavy.

* :mod:`.betavae` -- Beta-VAE disentanglement vs pruning (Shneider et al., arXiv 2307.09994).
"""
