"""Hooks into a search run (:func:`nasbench_eval.search.run`): observe it, stop it, keep extra state with its
checkpoints. Subclass :class:`Callback` and override what you need; every hook does nothing by default.

Order within one batch: ``ask`` -> evaluate -> ``tell`` (an algorithm may announce a stage from inside ``ask`` or
``tell``: :meth:`Callback.on_stage`) -> :meth:`Callback.on_batch` -> (every ``checkpoint_every`` batches)
:meth:`Callback.on_checkpoint`, then the run's own checkpoint file is replaced. A run that resumes replays the
recorded batches through ``ask``/``tell`` without evaluating (``state.replaying`` is True meanwhile; stages are
announced again, ``on_batch`` is not called), then calls :meth:`Callback.on_resume` and goes on.
"""
from __future__ import annotations


class RunState:
    """What a callback sees: the run's live state, updated in place (read it; set ``stop`` to end the run).

    algorithm: the run's own copy of the algorithm (never the caller's object); problem, budget.
    batches: batches told so far; evaluations: evaluations charged; cost: summed cost; requests: archs proposed.
    archs / evaluation: the last batch told (None before the first); history: the trajectory so far
    (:class:`~nasbench_eval.search.history.History`); replaying: True while a resumed run replays its record.
    stop: set it to True in a hook to end the run after the current batch (``stopped_by = "callback"``).
    """

    __slots__ = ("algorithm", "problem", "budget", "batches", "evaluations", "cost", "requests", "archs",
                 "evaluation", "replaying", "stop", "truncated")

    def __init__(self, algorithm, problem, budget):
        self.algorithm, self.problem, self.budget = algorithm, problem, budget
        self.batches, self.evaluations, self.cost, self.requests = 0, 0, 0.0, 0
        self.archs = self.evaluation = None
        self.replaying = self.stop = self.truncated = False

    @property
    def history(self):
        return self.algorithm.history


class Callback:
    def on_stage(self, state: RunState, stage: int, **info) -> None:
        """The algorithm started stage ``stage`` (pEvoNAS: ``info["op_mask"]``, the ops each edge keeps)."""

    def on_batch(self, state: RunState) -> None:
        """A batch was evaluated and told (``state.archs``, ``state.evaluation``)."""

    def on_checkpoint(self, state: RunState, directory) -> None:
        """Save whatever this callback restores in :meth:`on_resume` under ``directory``, tagged with
        ``state.batches`` (called just before the run's own checkpoint names that batch count as done)."""

    def on_resume(self, state: RunState, directory) -> None:
        """The record was replayed up to ``state.batches``: restore what :meth:`on_checkpoint` saved for it."""

    def on_end(self, result) -> None:
        """The run ended; ``result`` is its :class:`~nasbench_eval.search.run.RunResult`."""


def dispatch(callbacks, state: RunState):
    """The ``emit(event, **info)`` function a run hands to its algorithm: calls ``on_<event>(state, **info)``."""
    def emit(event: str, **info) -> None:
        for cb in callbacks:
            getattr(cb, f"on_{event}")(state, **info)

    return emit
