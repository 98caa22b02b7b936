"""Beta-VAE with a classifier head on the latent, and its loss (after Shneider et al., arXiv 2307.09994).

Encoder: two 3x3 convolutions (the second with stride 2) and a hidden linear layer, then two linear heads giving
``mu`` and ``logvar`` of q(z|x) = N(mu, diag(exp(logvar))). Decoder: a two-layer MLP from z to the image
(sigmoid output, in [0, 1]). Classifier: a two-layer MLP from z to class logits.

Loss per batch (each term is a mean over the batch of a per-image sum)::

    total = w_rec * BCE_sum(x_hat, x)  +  beta * KL(q(z|x) || N(0, I))  +  w_ce * CE(classifier(z), y)

BCE_sum is the Bernoulli negative log-likelihood summed over pixels (the likelihood of Higgins et al.'s beta-VAE;
pixel intensities in [0, 1] are used as soft targets), so with w_rec = 1 and beta = 1 the first two terms are the
negative ELBO in nats.

During training z = mu + exp(logvar / 2) * eps with eps drawn from an explicit ``torch.Generator``; at evaluation
the classifier reads z = mu. **beta = 0** is the plain-classifier baseline: the KL term is dropped entirely (not
multiplied by zero), no noise is drawn (z = mu, so the logvar head is unused) and the reconstruction weight is
the caller's choice (the sweep uses ``baseline_recon_weight``, default 0, making the loss exactly CE of
encoder -> mu -> classifier).

Weights are initialised from an explicit generator: modules are built on the ``meta`` device (the global RNG is
never touched) and then filled with the default PyTorch initialisation schemes drawn from ``generator``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ...nn_init import init_parameters


class BetaVAE(nn.Module):
    """Encoder -> (mu, logvar) -> z; decoder(z) -> x_hat; classifier(z) -> logits.

    ``image_shape`` is (C, H, W) with even H and W. Build with :func:`build_model` to get seeded weights.
    """

    def __init__(self, image_shape, n_classes: int = 10, latent_dim: int = 10, channels=(16, 32),
                 hidden: int = 128, device=None):
        super().__init__()
        c, h, w = image_shape
        c1, c2 = channels
        kw = {"device": device}
        self.image_shape = tuple(image_shape)
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Conv2d(c, c1, 3, padding=1, **kw), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1, **kw), nn.ReLU(),
            nn.Flatten(), nn.Linear(c2 * ((h + 1) // 2) * ((w + 1) // 2), hidden, **kw), nn.ReLU())
        self.fc_mu = nn.Linear(hidden, latent_dim, **kw)
        self.fc_logvar = nn.Linear(hidden, latent_dim, **kw)
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden, **kw), nn.ReLU(),
                                     nn.Linear(hidden, c * h * w, **kw))
        self.classifier = nn.Sequential(nn.Linear(latent_dim, hidden // 2, **kw), nn.ReLU(),
                                        nn.Linear(hidden // 2, n_classes, **kw))

    def encode(self, x):
        hid = self.encoder(x)
        return self.fc_mu(hid), self.fc_logvar(hid)

    def decode(self, z):
        return torch.sigmoid(self.decode_logits(z))

    def decode_logits(self, z):
        return self.decoder(z).view(z.shape[0], *self.image_shape)

    def forward(self, x, generator: torch.Generator | None = None, sample: bool = True):
        """Return ``(logits, x_logits, mu, logvar)``; z is sampled with ``generator`` iff ``sample`` (else z = mu).

        ``x_logits`` are the decoder's pre-sigmoid outputs (``sigmoid(x_logits)`` is the reconstruction).
        """
        mu, logvar = self.encode(x)
        if sample:
            if generator is None:
                raise ValueError("forward(sample=True) needs an explicit torch.Generator (no global RNG)")
            eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
            z = mu + torch.exp(0.5 * logvar) * eps
        else:
            z = mu
        return self.classifier(z), self.decode_logits(z), mu, logvar

    def classification_path(self) -> list[tuple[str, nn.Module]]:
        """Weighted layers that the test-time prediction x -> mu -> logits goes through (what gets pruned)."""
        mods = [(f"encoder.{n}", m) for n, m in self.encoder.named_children()]
        mods += [("fc_mu", self.fc_mu)]
        mods += [(f"classifier.{n}", m) for n, m in self.classifier.named_children()]
        return [(n, m) for n, m in mods if isinstance(m, (nn.Conv2d, nn.Linear))]


def build_model(image_shape, n_classes: int, latent_dim: int, generator: torch.Generator, **kw) -> BetaVAE:
    """Build a :class:`BetaVAE` on CPU whose initial weights depend only on ``generator``."""
    model = BetaVAE(image_shape, n_classes, latent_dim, device="meta", **kw).to_empty(device="cpu")
    with torch.no_grad():
        init_parameters(model, generator)
    return model


def kl_per_dim(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, 1)) per sample and latent dimension, shape (N, D)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def recon_nll(x_logits, x):
    """Bernoulli negative log-likelihood summed over pixels, per image, shape (N,)."""
    return F.binary_cross_entropy_with_logits(x_logits, x, reduction="none").flatten(1).sum(1)


def betavae_loss(logits, x_logits, mu, logvar, x, y, beta: float, recon_weight: float,
                 ce_weight: float = 1.0) -> dict:
    """Loss terms as a dict: ``total``, ``recon``, ``ce`` and, only when beta > 0, ``kl``.

    With beta == 0 the KL term is not computed at all, so it contributes no value and no gradient.
    With recon_weight == 0 the reconstruction is reported (detached) but adds nothing to ``total``.
    """
    recon = recon_nll(x_logits, x).mean()
    ce = F.cross_entropy(logits, y)
    terms = {"recon": recon, "ce": ce}
    total = ce_weight * ce + recon_weight * recon if recon_weight > 0 else ce_weight * ce
    if recon_weight == 0:
        terms["recon"] = recon.detach()
    if beta > 0:
        kl = kl_per_dim(mu, logvar).sum(1).mean()
        terms["kl"] = kl
        total = total + beta * kl
    terms["total"] = total
    return terms
