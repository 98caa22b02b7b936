"""Column names of the benchmark store, and the dataset / device views users ask for.

A column name is ``{dataset}/{metric}/{source}``: the dataset (input) it belongs to, what it measures (with the
split, epochs and unit in the metric name) and the table it came from, e.g. ``cifar100/test_acc_200ep/nb201-v1_1``
or ``cifar10/fpga_latency_ms/hw-nas-bench``.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import unknown

DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
NB201_DATASETS = ("cifar10-valid", "cifar100", "ImageNet16-120")  # the NB201 v1_1 training settings

# HW-NAS-Bench: the six devices and their metrics, unit per metric.
HW_DEVICES = ("edgegpu", "raspi4", "edgetpu", "pixel3", "eyeriss", "fpga")
HW_METRICS: dict[str, tuple[str, ...]] = {
    "edgegpu": ("latency", "energy"),
    "raspi4": ("latency",),
    "edgetpu": ("latency",),
    "pixel3": ("latency",),
    "eyeriss": ("latency", "energy", "arithmetic_intensity"),
    "fpga": ("latency", "energy"),
}
UNITS = {"latency": "ms", "energy": "mJ", "arithmetic_intensity": "ratio"}
HELP_DEVICES = ("1080ti_1", "1080ti_32", "1080ti_256", "2080ti_1", "2080ti_32", "2080ti_256", "essential_ph_1",
                "gold_6226", "gold_6240", "pixel2", "samsung_a50", "samsung_s7", "silver_4114", "silver_4210r",
                "titan_rtx_1", "titan_rtx_32", "titan_rtx_256", "titanx_1", "titanx_32", "titanx_256", "titanxp_1",
                "titanxp_32", "titanxp_256")
SRC_NB201 = "nb201-v1_1"
SRC_NATS = "nats-tss"
SRC_HW = "hw-nas-bench"
SRC_HELP = "help"
SRC_ANALYTIC = "analytic"


def acc_column(setting: str, split: str, source: str = SRC_NB201) -> str:
    return f"{setting}/{split}_acc_200ep/{source}"


def hw_column(device: str, metric: str = "latency", dataset: str = "cifar10") -> str:
    """Name of a device-cost column; HELP devices are latency only (ms)."""
    if device in HELP_DEVICES:
        if metric != "latency":
            raise unknown(f"metric for HELP device {device}", metric, ["latency"])
        return f"{dataset}/help_{device}_latency_ms/{SRC_HELP}"
    if device not in HW_DEVICES:
        raise unknown("device", device, HW_DEVICES + HELP_DEVICES)
    if metric not in HW_METRICS[device]:
        raise unknown(f"metric for device {device}", metric, HW_METRICS[device])
    return f"{dataset}/{device}_{metric}_{UNITS[metric]}/{SRC_HW}"


@dataclass(frozen=True)
class DatasetView:
    """Which store columns 'train', 'valid' and 'test' accuracy mean for a dataset, as the papers report them.

    For ``cifar10``: valid = NB201 ``cifar10-valid`` x-valid (25k held-out train images), test = NATS-tss
    ``cifar10`` ori-test accuracy of the train+valid setting (the 94.37 optimum), train = ``cifar10-valid`` train.
    For ``cifar100`` / ``ImageNet16-120``: NB201 v1_1 x-valid / x-test (the two halves of the official test set).
    """

    dataset: str
    train: str
    valid: str
    test: str
    flops: str
    params: str


def dataset_view(dataset: str) -> DatasetView:
    if dataset not in DATASETS:
        raise unknown("dataset", dataset, DATASETS)
    if dataset == "cifar10":
        train, valid = acc_column("cifar10-valid", "train"), acc_column("cifar10-valid", "valid")
        test = acc_column("cifar10", "test", SRC_NATS)
    else:
        train, valid, test = (acc_column(dataset, s) for s in ("train", "valid", "test"))
    return DatasetView(dataset, train, valid, test, f"{dataset}/flops_M/{SRC_ANALYTIC}",
                       f"{dataset}/params_M/{SRC_ANALYTIC}")


def is_test_column(name: str) -> bool:
    """True for columns holding test-split accuracy (never allowed as a search signal)."""
    return "/test_acc" in name
