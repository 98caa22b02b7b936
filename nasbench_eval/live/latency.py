"""Measure NB201 inference latency on the user's own hardware and turn it into a device column.

:func:`measure_device` is what ``nasbench-eval hw measure`` runs:

1. the sample: the first ``sample`` (+ ``holdout``) archs of a seeded, FLOPs-stratified order over the isomorphism
   classes (:func:`nasbench_eval.tables.latency_fill.sample_order`);
2. timing: each arch's NB201 network (:class:`nasbench_eval.live.models.NB201Network`, C=16, N=5, the
   NAS-Bench-201 skeleton; its parameter count is checked against the store's ``params_M``) in ``eval`` mode under
   ``torch.inference_mode``, ``warmup`` untimed forward passes, then ``repeats`` timed ones: on CPU with
   ``time.perf_counter_ns`` around each pass, on CUDA with a pair of ``torch.cuda.Event(enable_timing=True)``
   and a synchronisation per pass. The arch's latency is the **median** over the repeats (its IQR is kept), and
   each arch is appended to ``measurements.jsonl`` as soon as it is timed: a rerun skips what is there;
3. the fill: a predictor fitted on the ``sample`` archs (not the ``holdout`` ones) predicts every unmeasured arch;
   its cross-validated Kendall tau / MAPE, its tau / MAPE on the held-out measured archs and the rank agreement of
   the measurements with every store device are written to ``device.json``;
4. the overlay: ``values.npy`` (latency + predicted flag) next to the store, never inside it
   (:mod:`nasbench_eval.tables.user_devices`).
"""
from __future__ import annotations

import datetime as _dt
import os
import platform
import time
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import ConfigError
from ..spaces import nb201
from ..tables import latency_fill as fill
from ..tables import user_devices as ud

INPUT_SHAPE = {"cifar10": (3, 32, 32, 10)}  # channels, height, width, classes


@dataclass(frozen=True)
class TimingSettings:
    """How each arch is timed (one user device holds one setting)."""

    batch_size: int = 1
    input: str = "cifar10"
    torch_device: str = "cpu"
    threads: int | None = 1
    warmup: int = 3
    repeats: int = 10
    seed: int = 0

    def check(self) -> "TimingSettings":
        for k in ("batch_size", "warmup", "repeats"):
            v = getattr(self, k)
            low = 0 if k == "warmup" else 1
            if not isinstance(v, int) or isinstance(v, bool) or v < low:
                raise ConfigError(f"{k} must be an integer >= {low}; got {v!r}")
        if self.input not in INPUT_SHAPE:
            raise ConfigError(f"input must be one of {', '.join(INPUT_SHAPE)} (the input HW-NAS-Bench measured); "
                              f"got {self.input!r}")
        if self.torch_device not in ("cpu", "cuda") and not str(self.torch_device).startswith("cuda:"):
            raise ConfigError(f"torch_device must be 'cpu', 'cuda' or 'cuda:N'; got {self.torch_device!r}")
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ConfigError(f"threads must be a positive integer (or None: torch's default); got {self.threads!r}")
        return self


def timer_description(cuda: bool) -> str:
    if cuda:
        return ("torch.cuda.Event(enable_timing=True) pair around each forward pass, synchronised per pass "
                "(GPU clock, elapsed_time in ms)")
    info = time.get_clock_info("perf_counter")
    return (f"time.perf_counter_ns around each forward pass (clock: {info.implementation}, monotonic, "
            f"resolution {info.resolution:g} s)")


def machine_description(settings: TimingSettings) -> dict:
    """What the numbers were measured on: CPU model, cores, OS, Python, torch (and the GPU on CUDA)."""
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    d = {"cpu": cpu, "logical_cpus": os.cpu_count(), "platform": platform.platform(),
         "python": platform.python_version(), "torch": str(torch.__version__),
         "torch_default_threads": torch.get_num_threads(), "mkldnn": bool(torch.backends.mkldnn.is_available())}
    if hasattr(os, "getloadavg"):
        d["load_average_1min_at_start"] = round(os.getloadavg()[0], 2)
    if settings.torch_device.startswith("cuda"):
        dev = torch.device(settings.torch_device)
        d["gpu"] = torch.cuda.get_device_name(dev)
        d["cuda"] = str(torch.version.cuda)
        d["cudnn"] = int(torch.backends.cudnn.version() or 0)
        d["summary"] = f"{d['gpu']}, torch {d['torch']}"
    else:
        d["summary"] = f"{cpu}, {settings.threads or d['torch_default_threads']} thread(s), torch {d['torch']}"
    return d


def time_arch(index: int, settings: TimingSettings, generator) -> dict:
    """Time one arch (module docstring, step 2); returns its record for ``measurements.jsonl``."""
    import torch

    from .models import build_model, count_parameters

    t_start = time.perf_counter()
    c, h, w, classes = INPUT_SHAPE[settings.input]
    ops = tuple(int(o) for o in nb201.index_to_ops(index))
    model = build_model(ops, classes, generator=generator, device=settings.torch_device).eval()
    x = torch.randn(settings.batch_size, c, h, w, generator=generator).to(settings.torch_device)
    cuda = settings.torch_device.startswith("cuda")
    times = np.empty(settings.repeats)
    with torch.inference_mode():
        for _ in range(settings.warmup):
            model(x)
        if cuda:
            torch.cuda.synchronize(x.device)
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        for r in range(settings.repeats):
            if cuda:
                start.record()
                model(x)
                end.record()
                end.synchronize()
                times[r] = start.elapsed_time(end)
            else:
                t0 = time.perf_counter_ns()
                model(x)
                times[r] = (time.perf_counter_ns() - t0) / 1e6
    q25, med, q75 = np.quantile(times, [0.25, 0.5, 0.75])
    return {"index": int(index), "arch": nb201.format_arch(ops), "median_ms": float(med), "q25_ms": float(q25),
            "q75_ms": float(q75), "iqr_ms": float(q75 - q25), "mean_ms": float(times.mean()),
            "min_ms": float(times.min()), "max_ms": float(times.max()), "repeats": int(settings.repeats),
            "params": int(count_parameters(model)), "wall_s": round(time.perf_counter() - t_start, 4)}


def measure(indices, settings: TimingSettings, sink, progress: bool = True) -> dict[int, dict]:
    """Time every arch of ``indices`` not yet in ``sink`` (JSON lines), appending each as it is done."""
    import torch

    ud.drop_torn_tail(sink)  # an interrupted append leaves a partial line: cut it before appending more
    done = ud.read_records(sink)
    todo = [int(i) for i in indices if int(i) not in done]
    if settings.threads is not None:
        torch.set_num_threads(settings.threads)
    gen = torch.Generator(device="cpu").manual_seed(settings.seed)
    bar = None
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(indices), initial=len(indices) - len(todo), desc="timing archs", unit="arch")
    try:
        for i in todo:
            rec = time_arch(i, settings, gen)
            ud.append_record(sink, rec)
            done[i] = rec
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return done


def measure_device(name: str, *, sample: int = 60, holdout: int = 0, settings: TimingSettings | None = None,
                   predictor: str = "gbr", store=None, root=None, progress: bool = True) -> dict:
    """Measure, fill and write the user device ``name`` (module docstring); returns its ``device.json``."""
    from ..tables.locate import get_store

    settings = (settings or TimingSettings()).check()
    if predictor not in fill.PREDICTORS:
        raise ConfigError(f"predictor must be one of {', '.join(fill.PREDICTORS)}; got {predictor!r}")
    n_cls = int(fill.class_ids().max()) + 1
    if not isinstance(sample, int) or not fill.MIN_SAMPLE <= sample <= n_cls:
        raise ConfigError(f"sample must be an integer in [{fill.MIN_SAMPLE}, {n_cls}] (isomorphism classes); "
                          f"got {sample!r}")
    if not isinstance(holdout, int) or holdout < 0 or sample + holdout > n_cls:
        raise ConfigError(f"holdout must be an integer >= 0 with sample + holdout <= {n_cls}; got {holdout!r}")
    store = store if store is not None else get_store()
    store = getattr(store, "base_store", store)  # the verified store: features never read user columns
    folder = ud.prepare_device_dir(name, root)
    ud.check_settings(folder, asdict(settings))
    root_seq = np.random.SeedSequence(settings.seed)
    rng_sample, rng_fit = (np.random.default_rng(s) for s in root_seq.spawn(2))
    order = fill.sample_order(store, rng_sample, settings.input)
    train, held = order[:sample], order[sample:sample + holdout]
    machine = machine_description(settings)
    started = _dt.datetime.now(_dt.timezone.utc)
    t0 = time.perf_counter()
    records = measure(np.concatenate([train, held]), settings, folder / "measurements.jsonl", progress)
    seconds = time.perf_counter() - t0
    params = np.asarray(store.column(f"{settings.input}/params_M/{fill.SRC_ANALYTIC}"))
    bad = [i for i in np.concatenate([train, held]) if abs(records[int(i)]["params"] / 1e6 - params[i]) > 1e-9]
    if bad:
        raise RuntimeError(f"the torch NB201 network of arch {int(bad[0])} has {records[int(bad[0])]['params']} "
                           f"parameters, the store says {params[bad[0]] * 1e6:.0f}: not the NB201 network")
    return finish(folder, store, records, train, held, settings, predictor, rng_fit, machine,
                  {"started_at": started.isoformat(timespec="seconds"), "measure_seconds": round(seconds, 1)})


def finish(folder, store, records: dict, train, held, settings: TimingSettings, predictor: str, rng, machine: dict,
           timing: dict) -> dict:
    """Fit the predictor on ``train``, fill the column, compute the checks and write the overlay files."""
    X = fill.features(store, settings.input)
    y = np.array([records[int(i)]["median_ms"] for i in train])
    cv = fill.cross_validate(X, train, y, predictor, rng)
    pred = fill.fit_predict(X, train, y, predictor, int(rng.integers(2**31)))
    measured = np.array(sorted(int(i) for i in records))  # every timed arch (one setting per device folder)
    latency, flag = pred.copy(), np.ones(nb201.N_ARCHS)
    latency[measured] = [records[i]["median_ms"] for i in measured]
    flag[measured] = 0.0
    checks = {}
    if len(held):
        yh = np.array([records[int(i)]["median_ms"] for i in held])
        checks = fill.agreement(yh, pred[held])
    iqr_rel = np.array([records[i]["iqr_ms"] / records[i]["median_ms"] for i in measured])
    info = {
        "input": settings.input, "metric": "latency", "unit": "ms",
        "settings": {**asdict(settings), "network": "NB201 C=16 N=5 (NAS-Bench-201 skeleton), eval mode, "
                     "torch.inference_mode, random input", "statistic": "median over repeats (IQR kept)"},
        "timer": timer_description(settings.torch_device.startswith("cuda")), "machine": machine,
        "timing": {**timing, "finished_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                   "median_relative_iqr": round(float(np.median(iqr_rel)), 4),
                   "wall_seconds_all_archs": round(sum(records[i].get("wall_s", 0.0) for i in measured), 1)},
        "sample": {"train": [int(i) for i in train], "holdout": [int(i) for i in held],
                   "method": "one random member per isomorphism class, classes stratified by FLOPs deciles, "
                             "round-robin over the deciles", "seed": settings.seed},
        "predictor": {"kind": predictor, "target": "log latency", "features": "one-hot op per edge (30) + analytic "
                      f"FLOPs and params of the {settings.input} network", "cross_validated": cv,
                      "holdout": checks or None},
        "isomorphs": "predicted (a class-mate's measurement is not copied: isomorphic networks run different ops)",
        "agreement_measured": fill.rank_agreement(store, measured, latency[measured]),
        "agreement_filled": fill.rank_agreement(store, np.arange(nb201.N_ARCHS), latency),
        "updated_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    return ud.write_device(folder, latency, flag, info)
