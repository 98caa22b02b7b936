"""--preset NAME: the papers' live configurations expand to exact flags, print their source, yield to explicit
flags, and every preset runs in its tiny CPU form."""
import json

import pytest

torch = pytest.importorskip("torch")

from nasbench_eval.cli import build_parser, main  # noqa: E402
from nasbench_eval.errors import ConfigError  # noqa: E402
from nasbench_eval.live.presets import PRESETS, get_preset, preset_names  # noqa: E402

ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
GENOTYPE = ("Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), "
            "('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)], "
            "normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), "
            "('max_pool_3x3', 0), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), "
            "('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])")
# the positional / required arguments each command needs besides a preset
REQUIRED = {"supernet search": [], "supernet train-final": [GENOTYPE], "rmi score": [ARCH, "--reference", "R"],
            "rmi train-reference": ["--out", "X"], "search": ["rminas"]}
PAIRS = [(n, c) for n, p in PRESETS.items() for c in p.flags]


def parse(command, *tokens):
    return build_parser().parse_args([*command.split(), *tokens])


@pytest.mark.parametrize("name, command", PAIRS)
def test_print_shows_the_flags_and_the_paper_table(name, command, capsys):
    with pytest.raises(SystemExit) as e:
        main([*command.split(), "--preset", name, "--print"])  # before any required argument is checked
    assert e.value.code == 0
    out = capsys.readouterr().out
    p = PRESETS[name]
    assert " ".join(p.flags[command]) in out
    assert "source table: " + p.table in out and "table" in p.table
    assert any(w in p.table for w in ("GECCO", "CVPR", "ICLR", "Evolutionary Computation"))  # a paper, not a file
    assert "shared/" not in out and "spec" not in out.lower()
    assert "override" in out


@pytest.mark.parametrize("name, command", PAIRS)
def test_a_preset_sets_exactly_what_its_flags_parse_to(name, command):
    """The preset's values equal what argparse makes of the same tokens typed by hand (types, consts, appends)."""
    tokens = list(PRESETS[name].flags[command])
    by_hand = vars(parse(command, *REQUIRED[command], *tokens))
    args = parse(command, *REQUIRED[command], "--preset", name)
    from nasbench_eval.cli._presets import apply

    apply(args, args.func.values[name], name)
    for dest, value in args.preset_values.items():
        assert getattr(args, dest) == by_hand[dest], dest


def test_explicit_flags_override_the_preset(capsys):
    from nasbench_eval.cli._presets import apply

    args = parse("supernet search", "--generations", "2", "--preset", "evnas-nb201", "-C", "16",
                 "--param", "population_size=4")
    over = apply(args, args.func.values["evnas-nb201"], "evnas-nb201")
    assert args.generations == 2 and args.channels == 16 and args.batch_size == 64 and args.nesterov
    assert args.param[-1] == "population_size=4" and "population_size=50" in args.param  # the user's entry last
    assert len(over) == 2  # -C 16 equals the preset's value: no override to report
    err = capsys.readouterr().err
    assert "generations=2 (preset: 50)" in err and "param population_size=4 (added after the preset's)" in err


def test_an_explicit_default_value_still_wins():
    """--bn-mode eval is the parser default; typed explicitly it must beat the preset's --bn-mode train."""
    from nasbench_eval.cli._presets import apply

    args = parse("supernet search", "--preset", "evnas-darts", "--bn-mode", "eval")
    apply(args, args.func.values["evnas-darts"], "evnas-darts")
    assert args.bn_mode == "eval" and args.space == "darts"


def test_unknown_preset_and_wrong_command_are_refused(capsys):
    with pytest.raises(SystemExit) as e:
        main(["supernet", "search", "--preset", "darts-final"])  # a train-final preset
    assert e.value.code == 2 and "invalid choice" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="--preset must be one of"):
        get_preset("nope", "rmi score")
    assert main(["supernet", "search", "--print"]) == 2
    assert "--print needs --preset NAME" in capsys.readouterr().err


def test_every_paper_configuration_is_there():
    assert set(preset_names("supernet search")) == {f"{a}-{s}" for a in ("evnas", "cmanas", "pevonas", "nevonas")
                                                    for s in ("darts", "nb201")}
    assert preset_names("supernet train-final") == ("darts-final",)
    assert set(preset_names("rmi score")) == {"rminas-nb201-cifar10", "rminas-nb201-cifar100"}
    assert "resnet101" in PRESETS["rminas-nb201-cifar100"].flags["rmi train-reference"]


# ------------------------------------------------------------------------------------------- tiny CPU runs
def run_json(argv, capsys):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n.endswith("-darts") else n
                                  for n in preset_names("supernet search")])  # DARTS: ~10-20 s each on 2 cores
def test_every_supernet_preset_runs_tiny(name, capsys):
    p = PRESETS[name]
    out = run_json(["supernet", "search", "--preset", name, *p.tiny["supernet search"], "--json"], capsys)
    assert out["preset"] == name and out["space"] == p.flags["supernet search"][3]
    assert out["chosen"] and 0 <= out["chosen"][0]["supernet_valid_acc"] <= 100


def test_final_training_preset_runs_tiny(capsys):
    p = PRESETS["darts-final"]
    out = run_json(["supernet", "train-final", GENOTYPE, "--preset", "darts-final",
                    *p.tiny["supernet train-final"], "--json"], capsys)
    assert out["C"] == 4 and out["layers"] == 3 and out["epochs"] == 1 and 0 <= out["test_acc"] <= 100


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A digits reference made by the tiny form of the CIFAR-10 train-reference preset."""
    out = tmp_path_factory.mktemp("ref") / "ref.pt"
    p = PRESETS["rminas-nb201-cifar10"]
    assert main(["rmi", "train-reference", "--preset", p.name, *p.tiny["rmi train-reference"], "--out", str(out)]) == 0
    meta = json.loads(out.with_name("ref.pt.json").read_text())
    assert meta["arch"] == "resnet20" and meta["epochs"] == 1
    return out


@pytest.mark.parametrize("name", preset_names("rmi score"))
def test_rmi_score_presets_run_tiny(name, reference, capsys):
    p = PRESETS[name]
    argv = ["rmi", "score", ARCH, "--reference", str(reference), "--preset", name, *p.tiny["rmi score"], "--json"]
    assert main(argv) == 0
    lines = [json.loads(s) for s in capsys.readouterr().out.splitlines() if s.startswith("{")]
    assert len(lines) == 1 and 0 < float(lines[0]["rmi_loss"]) < 5  # 0.8 RMI (in [0, 3]) + 0.2 CE (~2.3)


def test_the_cifar100_reference_preset_names_resnet101(reference):
    args = parse("rmi train-reference", "--out", "X", "--preset", "rminas-nb201-cifar100")
    from nasbench_eval.cli._presets import apply

    apply(args, args.func.values["rminas-nb201-cifar100"], "rminas-nb201-cifar100")
    assert (args.arch, args.dataset) == ("resnet101", "cifar100")


def test_search_with_the_rmi_proxy_preset_runs_tiny(reference, store, capsys):
    out = run_json(["search", "rminas", "--preset", "rminas-nb201-cifar10", "--reference", str(reference),
                    "--rmi-config", "small", "--param", "n_warmup=2", "--param", "n_candidates=8", "--param",
                    "n_good=1", "--budget", "3", "--threads", "1", "--json"], capsys)
    assert 1 <= out["evaluations"] <= 3
