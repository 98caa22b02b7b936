"""A script written for HW-NAS-Bench's API, run on nasbench-eval's store by changing one import.

The bundled store has HW-NAS-Bench costs for the cifar10 input only; cifar100 / ImageNet16-120 raise a clear error
until the official pickle is imported (nasbench-eval data import hwnasbench HW-NAS-Bench-v1_0.pickle).
Run: python examples/compat_hwnasbench.py
"""
# from hw_nas_bench_api import HWNASBenchAPI as HWAPI
from nasbench_eval.compat.hw_nas_bench_api import HWNASBenchAPI as HWAPI

hw_api = HWAPI("../HW-NAS-Bench-v1_0.pickle", search_space="nasbench201")

for idx in (1, 2, 6, 6111):  # 6: did not compile for the Edge TPU (-1); 6111: not in the bundled subset (NaN)
    for dataset in ("cifar10",):
        HW_metrics = hw_api.query_by_index(idx, dataset)
        print(f"The HW_metrics (type: {type(HW_metrics).__name__}) for No.{idx} @ {dataset} under NAS-Bench-201:")
        for name, value in HW_metrics.items():
            print(f"  {name}: {value:.4f}")
        config = hw_api.get_net_config(idx, dataset)
        print(f"  config: {config['name']} C={config['C']} N={config['N']} classes={config['num_classes']} "
              f"{config['arch_str']}")
