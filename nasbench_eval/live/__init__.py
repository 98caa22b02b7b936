"""Live path I: RMI scoring of NB201 architectures against a trained reference model (torch).

RMI-NAS (Zheng et al., "Neural Architecture Search with Representation Mutual Information", CVPR 2022) scores
a candidate by how closely, after a short training on one fixed batch, its hidden representations match those of a
pre-trained reference network, measured with linear CKA (Kornblith et al., ICML 2019).

Modules (each imports torch, except :mod:`.data.files`; nothing here is imported by ``import nasbench_eval``):

* :mod:`.models` -- NB201 cell network with three feature taps, CIFAR ResNet-20/56/110 references, seeded init.
* :mod:`.cka`    -- linear CKA on centred Gram matrices (float64) and the RMI loss.
* :mod:`.rmi`    -- single-batch training of a candidate: the RMI score.
* :mod:`.data`   -- the one data module of the live side (RMI, supernets, studies): CIFAR-10/100 (restricted
  unpickler + md5), MNIST, the offline digits demo; splits, batches, augmentation. Never downloads.
* :mod:`.train`  -- reference training, short real training, checkpoints (``weights_only`` loading).
"""
