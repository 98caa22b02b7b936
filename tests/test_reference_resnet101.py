"""ResNet-101, RMI-NAS's CIFAR-100 reference: bottleneck blocks 3-4-23-3, 3x3 stem without max-pool (the authors'
XNAS teacher), taps conv2_x / conv4_x / conv5_x."""
import pytest

torch = pytest.importorskip("torch")

from nasbench_eval.live.models import BottleneckResNet, build_model, count_parameters  # noqa: E402


def closed_form(blocks=(3, 4, 23, 3), classes=100) -> int:
    """Parameters counted by hand: convs (no bias), BN (weight + bias), projection shortcuts, the linear head."""
    bn = lambda c: 2 * c  # noqa: E731
    n, c_in = 3 * 3 * 3 * 64 + bn(64), 64
    for width, k in zip((64, 128, 256, 512), blocks):
        for i in range(k):
            out = 4 * width
            n += c_in * width + bn(width) + 9 * width * width + bn(width) + width * out + bn(out)
            if i == 0:  # the first block of every stage changes the channel count: 1x1 projection + BN
                n += c_in * out + bn(out)
            c_in = out
    return n + c_in * classes + classes


def test_resnet101_parameter_count():
    m = build_model("resnet101", 100, seed=0)
    assert isinstance(m, BottleneckResNet)
    assert count_parameters(m) == closed_form() == 42_697_380
    tv = pytest.importorskip("torchvision")
    imagenet_style = sum(p.numel() for p in tv.models.resnet101(num_classes=100).parameters())
    assert count_parameters(m) == imagenet_style - 7 * 7 * 3 * 64 + 3 * 3 * 3 * 64  # only the stem differs


def test_resnet101_taps_and_checkpoint_round_trip(tmp_path):
    m = build_model("resnet101", 100, seed=0).eval()
    with torch.no_grad():
        logits, taps = m(torch.randn(2, 3, 32, 32), with_features=True)
    assert logits.shape == (2, 100)
    assert [tuple(t.shape[1:]) for t in taps] == [(256, 32, 32), (1024, 8, 8), (2048, 4, 4)]
    from nasbench_eval.live.train import load_reference, save_checkpoint

    save_checkpoint(tmp_path / "r101.pt", m, {"arch": "resnet101", "num_classes": 100, "dataset": "cifar100"})
    back, meta = load_reference(tmp_path / "r101.pt", device="cpu")
    assert meta["arch"] == "resnet101" and count_parameters(back) == 42_697_380
