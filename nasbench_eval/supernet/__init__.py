"""Weight-sharing supernets for the DARTS and NB201 spaces (the live path of EvNAS, CMANAS, pEvoNAS, NEvoNAS).

Importing this package imports torch; the rest of ``nasbench_eval`` never does at import time.
See ``docs/supernet.md`` for the driver contract between ask/tell algorithms and :class:`SupernetEvaluator`.
"""
from .checkpoint import load_checkpoint, save_checkpoint
from .darts_net import DartsSupernet
from .mixed import MixedOp, Supernet, inherit_weights, reset_parameters
from .nb201_net import NB201Supernet
from .training import MODES, SupernetTrainer, batch_alpha, pick_device, top1_accuracy

__all__ = ["DartsSupernet", "NB201Supernet", "Supernet", "MixedOp", "inherit_weights", "reset_parameters", "SupernetTrainer",
           "batch_alpha", "top1_accuracy", "pick_device", "MODES", "save_checkpoint", "load_checkpoint"]
