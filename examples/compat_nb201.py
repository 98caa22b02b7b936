"""A script written for the nas-bench-201 package, run on nasbench-eval's store by changing one import.

The original loads NAS-Bench-201-v1_1-096897.pth (2.1 GB on disk, tens of GB in RAM, minutes); this runs in well
under a second. Run: python examples/compat_nb201.py
"""
# from nas_201_api import NASBench201API as API
from nasbench_eval.compat.nas_201_api import NASBench201API as API

api = API("NAS-Bench-201-v1_1-096897.pth", verbose=False)
print(f"{len(api)} architectures")

archs = [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
    api.arch(2),
]
for arch in archs:
    index = api.query_index_by_arch(arch)
    for dataset in ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120"):
        info = api.get_more_info(index, dataset, hp="200", is_random=False)
        cost = api.get_cost_info(index, dataset)
        valid = info.get("valid-accuracy", float("nan"))  # 'cifar10' (train+valid setting) has no validation split
        print(f"{index:5d} {dataset:15s} train={info['train-accuracy']:.4f} valid={valid:.4f} "
              f"test={info['test-accuracy']:.4f} flops={cost['flops']:.4f} params={cost['params']:.4f}")

for dataset, split in (("cifar10", "valid"), ("cifar100", "x-valid"), ("ImageNet16-120", "x-valid")):
    index, acc = api.find_best(dataset, split)
    print(f"best by {split} on {dataset}: #{index} {api.arch(index)} ({acc:.4f})")
