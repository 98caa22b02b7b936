"""Where every source file of the store comes from (repo, commit, licence) and its expected sha256.

Mirrors the PROVENANCE.md files of the bundled data folder; ``data/SOURCES.md`` in the repository lists the same.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to the data folder
    repo: str
    commit: str
    sha256: str
    what: str


SOURCES: dict[str, SourceFile] = {s.path: s for s in (
    SourceFile("nb201-nasgraph/nasbench201_cifar10.csv", "Zhenhan-Huang/NASGraph-Public",
               "1f8fd621c60a48728fcc890818b6b94eee62e4dc",
               "c82e70b5ffb0dba0f09d88ecc8df5a6d3ce8da8a99ad223285104f4537314033",
               "NB201 v1_1 (NAS-Bench-201-v1_1-096897.pth) cifar10-valid, 200 ep, seed mean"),
    SourceFile("nb201-nasgraph/nasbench201_cifar100.csv", "Zhenhan-Huang/NASGraph-Public",
               "1f8fd621c60a48728fcc890818b6b94eee62e4dc",
               "87a42005d7005fdb5e4a938ed83dd306d907523f23e70af907dfd276dd5fe35d",
               "NB201 v1_1 cifar100, 200 ep, seed mean (valid = x-valid, test = x-test)"),
    SourceFile("nb201-nasgraph/nasbench201_ImageNet16-120.csv", "Zhenhan-Huang/NASGraph-Public",
               "1f8fd621c60a48728fcc890818b6b94eee62e4dc",
               "f5225573584977b283f473b0ded7fe51ae599a67063b3bd02b18de36b29fcd6b",
               "NB201 v1_1 ImageNet16-120, 200 ep, seed mean (valid = x-valid, test = x-test)"),
    SourceFile("nb201-natsbench-tss-vtao/nats_bench.csv", "v-tao/nats-bench-landscape",
               "b307ae5fe6e8d7043cd4fe7d1c3532288271adb7",
               "cb5d777ec3368be83c8f9b3aa4d520696051cb0eb8d94b8f85b519f9ea4afa3e",
               "NATS-Bench tss test accuracy, 200 ep, seed mean; cifar10 = train+valid setting"),
    SourceFile("combined/nb201_flops_params_computed.csv.gz", "derived (closed form, see combined/PROVENANCE.md)",
               "-", "96abdd704cda89324f637a1a7a9d8b2f53e3b7277e431413ff066dcb8b6f0241",
               "NB201 FLOPs (M) and params (M), analytic, verified against NB201's counter"),
    SourceFile("hwnasbench-help/help_nb201_latency.csv.gz", "HayeonLee/HELP",
               "45f70eb92d0d735970a33b608d1544ad3c52f285",
               "8d2daa555d669b9be31f3204165c33e60b7daefb7dccdbe47a18e5833cefba0c",
               "HW-NAS-Bench eyeriss/fpga/pixel3/raspi4 latency (cifar10 input) + 23 HELP device latencies"),
    SourceFile("hwnasbench-ninaherrmann-subset/hwnasbench_nb201_cifar10_subset.csv.gz",
               "NinaHerrmann/HW-NAS-Visualization", "46fce2b2f5d42620fdd29c019587b1b4e07371e4",
               "7297c4ff64c86a2fff000f1fba0e283411e5f7b67936b0fceef3db490fd4766e",
               "all 10 HW-NAS-Bench metrics, cifar10 input, 12,554 of 15,625 archs"),
    SourceFile("hwnasbench-gatech/example_notebook_anchors.json", "GATECH-EIC/HW-NAS-Bench",
               "393bb8a02554dcd28e091fbbdb4d7aefe590018a",
               "c746387ffe3e087bfa1cf9c3ca900207eaeffd459d3555716496b86525d3af4c",
               "values printed by HW-NAS-Bench's example.ipynb (golden anchors)"),
    SourceFile("hwnasbench-gatech/arch_configs.csv.gz", "GATECH-EIC/HW-NAS-Bench",
               "393bb8a02554dcd28e091fbbdb4d7aefe590018a",
               "72fbad4dfd324652c942b455664112435bacc3cc6d28941feab5dbba5e912e17",
               "HW-NAS-Bench index -> arch string for the three datasets"),
    SourceFile("nb201-lomonas-pof/pof_nb201.json", "ELO-Lab/LOMONAS", "d59b2a809a555222566470cb12144073c4c62882",
               "4e66b5cf3745b634382391a44e0d834d05fd71dd8c7be9a1c23df178b978f752",
               "true Pareto fronts (error %, MFLOPs) of NB201"),
)}
