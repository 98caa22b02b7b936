"""Training, fine-tuning and evaluation of a :class:`~nasbench_eval.studies.betavae.model.BetaVAE`.

Model selection uses the validation split only: after every epoch the validation accuracy (z = mu) is measured
and the weights of the best epoch (earliest on ties) are kept. The test split is never looked at here.
Mini-batch order and reparameterisation noise come from the one ``torch.Generator`` passed in.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .model import BetaVAE, betavae_loss, recon_nll

EVAL_CHUNK = 2048


@dataclass
class FitResult:
    """What :func:`fit` chose: the selected epoch (0 = the weights it started from) and the per-epoch history."""

    best_epoch: int
    best_val_accuracy: float
    val_accuracy: list[float] = field(default_factory=list)
    train_loss: list[dict] = field(default_factory=list)


@torch.no_grad()
def encode_all(model: BetaVAE, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return ``(logits, mu, logvar)`` for all of ``x`` with z = mu, in chunks."""
    model.eval()
    out = [model(x[i:i + EVAL_CHUNK], sample=False) for i in range(0, len(x), EVAL_CHUNK)]
    return (torch.cat([o[0] for o in out]), torch.cat([o[2] for o in out]), torch.cat([o[3] for o in out]))


@torch.no_grad()
def reconstruction_error(model: BetaVAE, x: torch.Tensor) -> float:
    """Mean over images of the Bernoulli NLL summed over pixels (nats), decoding z = mu."""
    model.eval()
    tot = 0.0
    for i in range(0, len(x), EVAL_CHUNK):
        xb = x[i:i + EVAL_CHUNK]
        _, x_logits, _, _ = model(xb, sample=False)
        tot += float(recon_nll(x_logits, xb).sum())
    return tot / len(x)


def accuracy(model: BetaVAE, x: torch.Tensor, y: torch.Tensor) -> float:
    """Top-1 accuracy (fraction) of the classifier on z = mu."""
    logits, _, _ = encode_all(model, x)
    return float((logits.argmax(1) == y).float().mean())


def _snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def fit(model: BetaVAE, x_train, y_train, x_val, y_val, *, beta: float, recon_weight: float, epochs: int,
        lr: float, batch_size: int, generator: torch.Generator, ce_weight: float = 1.0,
        include_start: bool = False) -> FitResult:
    """Train ``model`` in place with Adam and leave it holding the best-by-validation-accuracy epoch's weights.

    ``include_start``: the starting weights (epoch 0) are a candidate too (used for fine-tuning after pruning,
    so fine-tuning can never select something worse on validation than no fine-tuning). Pruning masks, if any,
    stay applied: the optimiser updates ``weight_orig`` and the mask keeps pruned weights at zero.
    """
    sample = beta > 0
    best_epoch, best_acc, best_state = 0, -1.0, None
    val_hist: list[float] = []
    if include_start or epochs == 0:
        best_acc, best_state = accuracy(model, x_val, y_val), _snapshot(model)
        val_hist.append(best_acc)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    n = len(x_train)
    losses: list[dict] = []
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(n, generator=generator)
        sums: dict[str, float] = {}
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            xb, yb = x_train[idx], y_train[idx]
            logits, x_logits, mu, logvar = model(xb, generator=generator if sample else None, sample=sample)
            terms = betavae_loss(logits, x_logits, mu, logvar, xb, yb, beta, recon_weight, ce_weight)
            opt.zero_grad(set_to_none=True)
            terms["total"].backward()
            opt.step()
            for k, v in terms.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach()) * len(idx)
        losses.append({k: v / n for k, v in sums.items()})
        acc = accuracy(model, x_val, y_val)
        val_hist.append(acc)
        if acc > best_acc:
            best_epoch, best_acc, best_state = epoch, acc, _snapshot(model)
    model.load_state_dict(best_state)
    return FitResult(best_epoch, best_acc, val_hist, losses)
