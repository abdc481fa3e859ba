"Issue 12 (hardening): diverging runs, refused checkpoints. Each case is the report's command at a small size."
import json
from pathlib import Path
import pytest
import torch
from conftest import cli, assert_user_error, snapshot

PPO = ["-s", "num_envs=16", "-s", "num_steps=50", "-s", "hidden=16", "-s", "layers=1", "-s", "eval_episodes=8", "-s", "cycles=1",
       "-s", "iterations=1", "-s", "quiet=true"]


def test_a_diverging_run_stops_with_its_last_good_checkpoint_intact(work):
    cli("train", "ppo", "-s", "name=ok", "-s", "total_timesteps=1600", *PPO, check=0)  # two epochs of 800 steps
    run = work / "runs" / "ok"
    good = snapshot(run / "ladder") | {"latest.pt": (run / "latest.pt").read_bytes(), "best.pt": (run / "best.pt").read_bytes()}
    # the report's learning rates, on resume: a budget and learning rates may change there
    err = assert_user_error(cli("resume", str(run), "-s", "total_timesteps=4000", "-s", "lr_actor=1e6", "-s", "lr_critic=1e6"),
                            "the run diverged:", "at epoch 3", "lr_actor=1e+06",
                            f"rlnb resume {run} -s lr_actor=0.0003 -s lr_critic=0.0003")
    assert "grad_steps" in err
    meta = json.loads((run / "run.json").read_text())
    assert meta["status"] == "diverged" and "diverged" in meta["error"]
    assert (run / "latest.pt").read_bytes() == good["latest.pt"] and (run / "best.pt").read_bytes() == good["best.pt"]
    assert "(diverged)" in (work / "experiments" / "log.md").read_text()
    # the last good checkpoint resumes with a sane learning rate, which the optimizer really uses
    cli("resume", str(run), "-s", "total_timesteps=2400", "-s", "lr_actor=1e-4", check=0)
    st = torch.load(run / "latest.pt", weights_only=False)
    groups = st["algo_state"]["opt"]["param_groups"]
    assert [g["lr"] for g in groups] == [1e-4, 3e-4] and st["counters"]["env_steps"] == 2400
    assert json.loads((run / "run.json").read_text())["status"] == "finished"


def test_the_reported_divergence_from_scratch(work):
    "QA_STEPS=3200 rlnb train ppo -s lr_actor=1e6 -s lr_critic=1e6 ...: no checkpoint exists, so none is claimed."
    p = cli("train", "ppo", "-s", "name=nan1e6", "-s", "lr_actor=1e6", "-s", "lr_critic=1e6", "-s", "cycles=1", "-s", "num_envs=16",
            "-s", "hidden=32", "-s", "layers=1", "-s", "eval_episodes=8", env={"QA_STEPS": "3200"})
    assert_user_error(p, "the run diverged:", "no checkpoint was written before it")
    run = work / "runs" / "nan1e6"
    assert not list(run.glob("*.pt")) and json.loads((run / "run.json").read_text())["status"] == "diverged"


def test_evaluate_takes_num_envs_and_refuses_non_finite_parameters(work):
    "The batch does not change a deterministic evaluation; a checkpoint with NaN parameters is refused."
    cli("train", "ppo", "-s", "name=ok", "-s", "total_timesteps=800", "-s", "reward=dense", *PPO, check=0)
    ck = str(work / "runs" / "ok" / "latest.pt")
    a = cli("evaluate", ck, "-n", "6", check=0).stdout
    b = cli("evaluate", ck, "-n", "6", "--num-envs", "4", check=0).stdout
    assert a == b and float(a.split()[1]) != 0, a  # dense reward: a non-zero return, the same in batches of 6 and of 4 + 2
    assert_user_error(cli("evaluate", ck, "--num-envs", "0"), "num_envs must be an integer of at least 1")
    st = torch.load(ck, weights_only=False)
    next(iter(st["algo_state"]["agent"].values())).fill_(float("nan"))
    torch.save(st, work / "nan.pt")
    assert_user_error(cli("evaluate", str(work / "nan.pt")), "non-finite policy parameters", "diverged")


def test_compare_does_not_reuse_a_dataset_of_another_budget(work):
    "Issue 12, case 8: a reused comparison folder with another budget records its own start-policy dataset."
    from conftest import ROOT
    from rlnb.analysis.compare import compare
    ck = ROOT / "data" / "picklite-ppo-rung40.pt"
    kw = dict(seeds=(0,), methods=("iql-awr",), iql_steps=20)
    for budget in (1000, 2000):  # the same output folder (the runs go to their own folders)
        compare(ck, ck, work / "cmp", budget=budget, overrides=dict(eval_episodes=4, device="cpu", runs_dir=str(work / f"r{budget}")), **kw)
    from rlnb.data.trajectories import load_trajectories
    episodes = sorted(len(load_trajectories(p)[0]) for p in (work / "cmp").glob("start_policy_data-*.h5"))
    assert episodes == [20, 40], episodes  # budget / the task's 50-step horizon, each budget its own file


def test_the_time_limit_is_a_setting_and_a_dataset_brings_its_own(work):
    "Issue 12, case 7: max_steps from a config or a dataset's max_episode_steps reaches ManiSkill and gymnasium; PickLite's is fixed."
    from rlnb.envs.registry import env_kwargs, make_env
    with make_env("PickCube-v1", num_envs=1, device="cpu", **env_kwargs({"env_id": "PickCube-v1", "max_episode_steps": 90})) as e:
        assert e.max_steps == 90
        e.reset(seed=0)
        for _ in range(89): _, _, _, tr, _ = e.step(torch.zeros(1, e.act_dim)); assert not tr.any()
        assert e.step(torch.zeros(1, e.act_dim))[3].all()  # truncated at step 90, not 50
    with make_env("Pendulum-v1", num_envs=2, device="cpu", **env_kwargs({"env_id": "Pendulum-v1", "max_steps": 30})) as e:
        assert e.max_steps == 30
    p = cli("train", "ppo", "-s", "max_steps=80", *PPO)
    assert_user_error(p, "PickLite-v0 has a fixed time limit of 50 steps", "max_steps=80")
    assert not (work / "runs").exists()


def test_a_terminating_gymnasium_task_reports_the_episodic_return(work):
    "Issue 12, case 10: MountainCarContinuous ends when the car reaches the flag; rlnb's return equals a plain gymnasium loop."
    import gymnasium as gym
    import numpy as np
    from rlnb.data.evaluate import evaluate
    pump = lambda o: torch.sign(o[:, 1:2]) + (o[:, 1:2] == 0).float()  # push along the velocity: reaches the flag
    df = evaluate("MountainCarContinuous-v0", pump, seeds=range(3), device="cpu")
    for s, row in df.set_index("seed").iterrows():
        e = gym.make("MountainCarContinuous-v0"); o, _ = e.reset(seed=s); G, n = 0.0, 0
        while True:
            o, r, te, tr, _ = e.step(np.array([1.0 if o[1] >= 0 else -1.0], dtype=np.float32)); G += r; n += 1
            if te or tr: break
        assert te and row["length"] == n < 999 and abs(row["return"] - G) < 1e-3, (s, row.to_dict(), G, n)


def test_best_metric_auto_is_return_without_a_success_signal(work):
    "A gymnasium run picks best.pt by return (success is always 0 there); a PickLite run by success."
    cli("train", "ppo", "-s", "env_id=Pendulum-v1", "-s", "name=pend", "-s", "total_timesteps=1600", "-s", "num_envs=4",
        "-s", "num_steps=200", "-s", "hidden=16", "-s", "layers=1", "-s", "eval_episodes=2", "-s", "cycles=1", "-s", "iterations=1",
        "-s", "quiet=true", check=0)
    import pandas as pd
    run = work / "runs" / "pend"
    df = pd.read_csv(run / "results.csv").dropna(subset=["eval/return"])
    st = torch.load(run / "latest.pt", weights_only=False)
    assert len(df) == 2 and st["best"] == pytest.approx(df["eval/return"].max())  # not success, which is 0 on Pendulum
    best = torch.load(run / "best.pt", weights_only=False)["counters"]["epoch"]
    assert best == int(df["eval/return"].values.argmax()) + 1


def test_runs_and_the_log_belong_to_the_project_wherever_one_starts(work):
    "Issue 12.10: runs/ and experiments/log.md went wherever the shell (or a notebook in nbs/) stood, and the commit was lost outside the repo."
    import subprocess
    proj = work / "proj"; (proj / "nbs").mkdir(parents=True); (proj / "pyproject.toml").write_text("")
    small = ["-s", "total_timesteps=2048", "-s", "num_envs=1024", "-s", "cycles=1", "-s", "iterations=1", "-s", "eval_episodes=64", "-s", "quiet=true"]
    cli("train", "demo", "-s", "name=a", *small, cwd=proj / "nbs", check=0)  # from a sub-folder, as a notebook in nbs/
    assert (proj / "runs" / "a" / "latest.pt").exists() and (proj / "experiments" / "log.md").exists()
    assert not (proj / "nbs" / "runs").exists() and not (proj / "nbs" / "experiments").exists()
    assert "resumed at epoch" in cli("resume", "runs/a", "-s", "total_timesteps=4096", cwd=proj / "nbs", check=0).stdout + \
        (proj / "experiments" / "log.md").read_text()  # the run folder as listed is found from the sub-folder too
    assert " a " in f" {cli('runs', cwd=proj / 'nbs', check=0).stdout} "
    home = work / "home"
    cli("train", "demo", "-s", "name=b", *small, cwd=proj, env={"RLNB_HOME": str(home)}, check=0)  # RLNB_HOME wins
    assert (home / "runs" / "b" / "latest.pt").exists() and (home / "experiments" / "log.md").exists()
    meta = json.loads((home / "runs" / "b" / "run.json").read_text())  # proj is no git checkout: rlnb's own commit
    repo = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent).stdout.strip()
    assert repo and meta["git_commit"].startswith(repo), (meta["git_commit"], repo)
    (work / "afile").write_text("")
    before = snapshot(home)
    assert_user_error(cli("train", "demo", *small, cwd=proj, env={"RLNB_HOME": str(work / "afile")}), "RLNB_HOME=", "is a file")
    assert snapshot(home) == before


def test_continuous_control_options_resume_exactly_and_the_mujoco_preset(work):
    "Issue 12.10: observation/reward normalisation and lr annealing as options, saved for an exact resume; eval_every; -c mujoco."
    from rlnb import api
    from rlnb.core.config import load_config
    from rlnb.policies.checkpoints import load_policy
    # PickLite: its envs are saved in checkpoints (a gymnasium run restarts its episodes on resume, so it cannot be exact)
    small = dict(env_id="PickLite-v0", reward="dense", num_envs=2, num_steps=64, hidden=16, layers=1, num_minibatches=4, update_epochs=2,
                 eval_episodes=2, eval_every=256, norm_obs=True, norm_reward=True, anneal_lr=True, quiet=True,
                 runs_dir=str(work / "runs"), log_file=str(work / "log.md"), device="cpu")
    direct = api.train("ppo", overrides=small | dict(name="direct", total_timesteps=1024))
    part = api.train("ppo", overrides=small | dict(name="part", total_timesteps=1024, epochs=2))  # stopped half-way (the
    api.resume(part.run_dir, {"epochs": None})  # schedule's clock is the budget, so the budget stays)
    a, b = (torch.load(r.run_dir / "latest.pt", weights_only=False) for r in (direct, part))
    assert a["counters"]["epoch"] == 4 and [int(s) for s in direct.table.dropna(subset=["eval/return"]).env_steps] == [256, 512, 768, 1024]
    for k, v in a["algo_state"]["agent"].items(): assert torch.equal(v, b["algo_state"]["agent"][k]), k  # obs statistics included
    assert torch.equal(a["algo_state"]["ret_scale"]["norm"]["var"], b["algo_state"]["ret_scale"]["norm"]["var"])
    assert a["algo_state"]["agent"]["obs_norm.count"] > 700  # 1024 steps, the last rollout folded in after its update
    lr = a["algo_state"]["opt"]["param_groups"][0]["lr"]
    assert lr == pytest.approx(3e-4 * 128 / 1024)  # the last of 8 rollouts of 128 steps: 1/8 of the rate left
    agent, _ = load_policy(direct.run_dir, "PickLite-v0")  # the saved policy normalises as it was trained to
    assert agent.obs_norm is not None and torch.equal(agent.obs_norm.mean, a["algo_state"]["agent"]["obs_norm.mean"])
    cfg = load_config("ppo", "mujoco", env={})  # a preset by name
    assert cfg.norm_obs and cfg.anneal_lr and cfg.num_steps == 2048 and cfg.env_id == "HalfCheetah-v5" and "mujoco.yaml" in cfg.sources["gamma"]
    assert_user_error(cli("train", "ppo", "-c", "mujocoo"), "does not exist", "mujoco")
