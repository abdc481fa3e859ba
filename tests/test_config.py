import warnings
from pathlib import Path
import pytest
import yaml
from conftest import cli, assert_user_error, snapshot
import rlnb.algos  # registers every algorithm and its config
from rlnb.core.base import RlnbError
from rlnb.core.config import (CONFIGS, ConfigDeprecationWarning, config_dict, config_keys, load_config,
                              qa_steps, read_yaml, save_config)


@pytest.mark.parametrize("algo", sorted(CONFIGS))
def test_every_key_has_a_default_and_a_doc(algo):
    "Each key is written once in its config dataclass: a default, a doc, and (redeclared keys) inherited bounds."
    cfg = load_config(algo, env={})
    assert set(cfg.sources) == set(config_keys(CONFIGS[algo]))
    assert all(s == "default" for s in cfg.sources.values())
    import dataclasses
    assert all(f.metadata.get("doc") for f in dataclasses.fields(CONFIGS[algo]))


def test_a_redeclared_default_keeps_doc_and_bounds():
    ppo, base = [{f.name: f for f in __import__("dataclasses").fields(c)} for c in (CONFIGS["ppo"], CONFIGS["awr"])]
    assert ppo["num_envs"].default == 512 and base["num_envs"].default == 100
    assert ppo["num_envs"].metadata["ge"] == 1 and "parallel environments" in ppo["num_envs"].metadata["doc"]
    with pytest.raises(RlnbError, match="'num_envs' must be >= 1"): load_config("ppo", overrides={"num_envs": 0}, env={})


def test_no_defaults_outside_the_configs():
    "The package ships experiment files and presets only (the main job's, mujoco, sac, rlpd), never a second copy of the defaults."
    shipped = sorted(p.name for p in (__import__("pathlib").Path(rlnb.__file__).parent / "configs").glob("*.yaml"))
    assert shipped == ["main_finetune.yaml", "main_pretrain.yaml", "mujoco.yaml", "rlpd.yaml", "sac.yaml"]
    import yaml
    for preset, algo in (("mujoco", "ppo"), ("rlpd", "sac"), ("sac", "sac")):
        data, default = yaml.safe_load((Path(rlnb.__file__).parent / "configs" / f"{preset}.yaml").read_text()), load_config(algo, env={})
        assert data["algo"] == algo and not [k for k, v in data.items() if k != "algo" and getattr(default, k) == v]  # only what differs
    rlpd = load_config("sac", "rlpd", env={})  # RLPD is SAC one switch away
    assert (rlpd.n_critics, rlpd.critic_subset, rlpd.layer_norm, rlpd.offline_fraction, rlpd.target_entropy) == (10, 2, True, 0.5, -0.5)


def test_layers_later_wins(tmp_path):
    f = tmp_path / "my.yaml"
    f.write_text("seed: 3\nlr: 0.01\n")
    cfg = load_config("demo", f, {"lr": "0.02"}, env={})
    assert (cfg.seed, cfg.lr, cfg.hidden) == (3, 0.02, 64)
    assert cfg.sources["seed"] == str(f) and cfg.sources["lr"] == "override"
    assert cfg.sources["hidden"] == "default" and cfg.sources["device"] == "default"


def test_resolved_config_round_trips(tmp_path):
    cfg = load_config("ppo", overrides={"gamma": 0.95, "epochs": 3}, env={})
    text = save_config(cfg, tmp_path).read_text()
    assert "gamma: 0.95  # override" in text
    assert config_dict(load_config("ppo", tmp_path / "config.yaml", env={})) == config_dict(cfg)


def test_unknown_key_names_itself_and_valid_keys():
    with pytest.raises(RlnbError) as e: load_config("demo", overrides={"lrr": 0.1}, env={})
    msg = str(e.value)
    assert "'lrr'" in msg and "did you mean 'lr'" in msg and "total_timesteps" in msg


@pytest.mark.parametrize("key,value,words", [
    ("hidden", "big", ["'hidden'", "an int", "'big'"]),
    ("lr", "fast", ["'lr'", "a float"]),
    ("quiet", "maybe", ["'quiet'", "true or false"]),
    ("hidden", True, ["'hidden'", "an int"]),
    ("lr", -1.0, ["'lr'", "> 0", "-1.0"]),
    ("num_envs", 0, ["'num_envs'", ">= 1"]),
])
def test_wrong_type_or_range(key, value, words):
    with pytest.raises(RlnbError) as e: load_config("demo", overrides={key: value}, env={})
    for w in words: assert w in str(e.value)


def test_yaml_file_errors(tmp_path):
    with pytest.raises(RlnbError, match="does not exist"): load_config("demo", tmp_path / "nope.yaml", env={})
    bad = tmp_path / "bad.yaml"; bad.write_text("seed: [1, 2\nlr: 3\n")
    with pytest.raises(RlnbError, match="not valid YAML at line"): load_config("demo", bad, env={})
    lst = tmp_path / "list.yaml"; lst.write_text("- 1\n- 2\n")
    with pytest.raises(RlnbError, match="must be a mapping"): load_config("demo", lst, env={})
    other = tmp_path / "other.yaml"; other.write_text("algo: ppo\nseed: 1\n")
    with pytest.raises(RlnbError, match="another algorithm"): load_config("demo", other, env={})


def test_qa_steps_unset_set_invalid():
    assert qa_steps({}) is None and qa_steps({"QA_STEPS": ""}) is None
    iql, awr, ppo = (load_config(a, env={}) for a in ("iql", "awr", "ppo"))
    assert (iql.grad_steps_IQL, awr.total_timesteps, ppo.total_timesteps) == (10000, 50000, 10000000)
    env = {"QA_STEPS": "37"}
    iql, awr, ppo = (load_config(a, env=env) for a in ("iql", "awr", "ppo"))
    assert (iql.grad_steps_IQL, awr.total_timesteps, ppo.total_timesteps) == (37, 37, 37)
    assert iql.sources["grad_steps_IQL"] == "QA_STEPS"
    assert iql.gamma == load_config("iql", env={}).gamma  # only budgets change
    for bad in ("abc", "0", "-5", "1.5", "5e3"):
        with pytest.raises(RlnbError, match="QA_STEPS must be a positive integer"): load_config("iql", env={"QA_STEPS": bad})


def test_qa_steps_beats_file_and_overrides(tmp_path):
    f = tmp_path / "c.yaml"; f.write_text("grad_steps_IQL: 5000\n")
    assert load_config("iql", f, {"grad_steps_IQL": 9}, env={"QA_STEPS": "12"}).grad_steps_IQL == 12


def test_renamed_key_falls_back_with_warning(tmp_path):
    f = tmp_path / "old.yaml"; f.write_text("grad_steps: 250\n")
    with pytest.warns(ConfigDeprecationWarning, match="'grad_steps'.*'grad_steps_IQL'"):
        cfg = load_config("iql", f, env={})
    assert cfg.grad_steps_IQL == 250 and cfg.sources["grad_steps_IQL"] == f"{f} (as 'grad_steps')"
    with pytest.warns(ConfigDeprecationWarning, match="ignored"):
        cfg = load_config("iql", overrides={"grad_steps": 1, "grad_steps_IQL": 2}, env={})
    assert cfg.grad_steps_IQL == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_config("iql", overrides={"grad_steps_IQL": 3}, env={})  # the new name warns nothing


def test_a_key_whose_meaning_changed_converts_its_old_value(tmp_path):
    "IQL's beta was an inverse temperature for extraction='iql' and a temperature otherwise; it is now always `temperature`."
    f = tmp_path / "old_run.yaml"; f.write_text("algo: iql\nbeta: 4.0\nextraction: iql\n")
    with pytest.warns(ConfigDeprecationWarning, match="'beta'.*'temperature' = 0.25"):
        assert load_config("iql", f, env={}).temperature == 0.25
    with pytest.warns(ConfigDeprecationWarning, match="'temperature' = 2.0"):
        assert load_config("iql", overrides={"beta": 2.0, "extraction": "awr"}, env={}).temperature == 2.0
    with pytest.warns(ConfigDeprecationWarning, match="'awr_beta'.*'temperature'"):
        assert load_config("awr", overrides={"awr_beta": 0.7}, env={}).temperature == 0.7
    assert load_config("iql", env={}).temperature == pytest.approx(1 / 3)  # the IQL paper's inverse temperature 3


def test_infinite_and_absurd_values_are_refused_before_a_run_folder(work):
    "Issue 12, case 2: the exact commands of the report."
    assert_user_error(cli("train", "demo", "-s", "lr=inf", env={"QA_STEPS": "4096"}), "'lr' must be a finite number (got inf")
    assert_user_error(cli("train", "ppo", "-s", "total_timesteps=1e30"), "'total_timesteps' = 1e+30 steps", "years", "smaller")
    assert_user_error(cli("train", "demo", "-s", "lr=nan"), "'lr' must be a finite number (got nan")
    assert_user_error(cli("train", "ppo", "-s", "num_envs=1e9"), "'num_envs' must be <= 1048576")
    assert_user_error(cli("train", "ppo", "-s", "seed=1e12"), "'seed' must be <= 2147483648")
    assert not (work / "runs").exists()


def test_run_names_stay_inside_runs_dir(work):
    "Issue 12, case 3: a run name is one folder name; nothing is written elsewhere."
    for name in ("../../escape", "/tmp/abs", "a/b", "..", "a b"):
        assert_user_error(cli("train", "demo", "-s", f"name={name}", env={"QA_STEPS": "2048"}), "'name' must be one folder name")
    assert not list(work.parent.glob("escape")) and not (work / "runs").exists()


def test_yaml_with_a_key_twice_or_a_folder_is_refused(work):
    (work / "twice.yaml").write_text("lr: 0.1\nseed: 1\nlr: 0.2\n")
    assert_user_error(cli("train", "demo", "-c", "twice.yaml"), "twice.yaml", "line 3", "key 'lr' is written twice")
    (work / "folder").mkdir()
    assert_user_error(cli("train", "demo", "-c", "folder"), "folder is a folder")
    assert not (work / "runs").exists()


def test_cli_config_errors_write_nothing(work):
    (work / "runs").mkdir(); (work / "runs" / "keep.txt").write_text("x")
    before = snapshot(work)
    assert_user_error(cli("train", "demo", "-s", "lrr=1"), "'lrr'", "valid keys")
    assert_user_error(cli("train", "demo", "-s", "hidden=big"), "'hidden'", "an int")
    assert_user_error(cli("train", "demo", "-c", "missing.yaml"), "missing.yaml", "does not exist")
    (work / "bad.yaml").write_text("seed: [\n")
    before = snapshot(work)
    assert_user_error(cli("train", "demo", "-c", "bad.yaml"), "bad.yaml", "not valid YAML")
    assert_user_error(cli("train", "iql", env={"QA_STEPS": "soon"}), "QA_STEPS", "positive integer")
    assert_user_error(cli("train", "dmeo"), "unknown algorithm 'dmeo'", "did you mean 'demo'")
    assert_user_error(cli("train", "demo", "-s", "novalue"), "key=value")
    assert snapshot(work) == before


def test_cli_config_shows_sources(work):
    p = cli("config", "iql", "-s", "grad_steps=7", check=0)
    assert "rlnb: warning:" in p.stderr and "grad_steps_IQL" in p.stderr
    line = next(l for l in p.stdout.splitlines() if l.startswith("grad_steps_IQL"))
    assert " 7 " in line and "override (as 'grad_steps')" in line
    p = cli("config", "ppo", env={"QA_STEPS": "11"}, check=0)
    assert any(l.startswith("total_timesteps") and "QA_STEPS" in l and " 11 " in l for l in p.stdout.splitlines())


def test_cli_config_fits_the_terminal(work):
    "`rlnb config` rows fit the terminal's width, docs left-aligned after key, value and source."
    p = cli("config", "ppo", env={"COLUMNS": "100"}, check=0)
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["key", "value", "source", "doc"] and all(len(l) <= 100 for l in lines)
    doc_at = lines[0].index("doc")
    gamma = next(l for l in lines if l.startswith("gamma "))
    assert gamma[doc_at:] == "discount" and "default" in gamma
    assert any(l.endswith("…") for l in lines)  # long docs are cut, not wrapped
