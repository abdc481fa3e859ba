"RRD (issue 16): the loop levels' counts and logging, both modes from the command line and papermill, exact resume online, bad input."
import numpy as np
import pandas as pd
import pytest
import torch
from conftest import assert_user_error, cli, snapshot
from rlnb.api import record_dataset, rrd
from rlnb.core.checkpoint import load_checkpoint
from rlnb.data.trajectories import load_trajectories, save_trajectories
from rlnb.algos.rrd import RewardModel, synthetic_check


@pytest.fixture
def demos(work):
    "30 PickLite episodes of a noisy scripted policy with the dense reward (ManiSkill's format)."
    return record_dataset("PickLite-v0", work / "demos", episodes=30, num_envs=30, policy="scripted", noise=0.6, seed=3,
                          device="cpu", reward="dense")


def test_loop_levels_count_and_log_as_the_seed_says(demos, work, monkeypatch):
    "3 epochs x 2 cycles x 3 iterations x 4 batches, save_freq 2: 18 iteration prints, 6 rows and TensorBoard points at the "
    "buffer's constant step count, 72 reward batches, checkpoints after epochs 2 and 3."
    import rlnb.core.runner as runner
    saved = []
    real = runner.save_checkpoint
    monkeypatch.setattr(runner, "save_checkpoint", lambda path, state: saved.append((path.name, state["counters"]["epoch"])) or real(path, state))
    p = cli("rrd", str(demos), "-s", "epochs=3", "-s", "cycles=2", "-s", "iterations=3", "-s", "batches=4", "-s", "save_freq=2",
            "-s", "device=cpu", "-s", "rrd_k=8", "-s", "rrd_batch_size=64", check=0)
    prints = [l for l in p.stdout.splitlines() if l.startswith("epoch ") and " iteration " in l and "R_loss=" in l]
    assert len(prints) == 3 * 2 * 3
    run = next((work / "runs").iterdir())
    df = pd.read_csv(run / "results.csv")
    assert len(df) == 6 and df.grad_steps.tolist() == [12, 24, 36, 48, 60, 72] and df.iteration.tolist()[-1] == 18
    steps = sum(len(e["actions"]) for e in load_trajectories(demos)[0])
    assert df.episodes.eq(0).all() and df.env_steps.eq(0).all()
    assert df.buffer_steps.nunique() == 1 and 0.8 * steps <= df.buffer_steps.iloc[0] < steps  # the 90% not held out
    assert df["eval/reward_corr"].notna().sum() == 3 and {"time_train_s", "time_eval_s", "R_loss"} <= set(df.columns)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    ev = EventAccumulator(str(run / "tb")); ev.Reload()
    pts = ev.Scalars("R_loss")
    assert len(pts) == 6 and {s.step for s in pts} == {int(df.buffer_steps.iloc[0])}  # one point per cycle, x constant offline
    # in-process, to count checkpoint writes: save_freq=2 of 3 epochs -> after epochs 2 and 3 (the end)
    # ... with the cosine schedule on: its clock is saved, and the last of the 72 batches ran at lr x (1 + cos(pi 71/72)) / 2
    run2 = rrd(demos, overrides=dict(epochs=3, cycles=2, iterations=3, batches=4, save_freq=2, device="cpu", rrd_k=8,
                                     rrd_batch_size=64, quiet=True, name="counted", lr_reward_decay=True))
    assert [e for n, e in saved if n == "latest.pt"] == [2, 3]
    assert len(run2.table) == 6
    st = load_checkpoint(run2.run_dir / "latest.pt")["algo_state"]
    assert st["updates"] == 72
    assert st["opt"]["param_groups"][0]["lr"] == pytest.approx(3e-4 * (1 + np.cos(np.pi * 71 / 72)) / 2, rel=1e-9)


def test_bias_correction_and_k_recover_a_hidden_reward():
    "The synthetic MDP, small: the learned reward correlates with the hidden one on held-out episodes, with and without the correction."
    t = synthetic_check(ks=(8,), bias=(False, True), steps=3000, episodes=500)
    assert (t.held_out_corr > 0.7).all(), t


def test_online_rrd_runs_resumes_exactly_and_learns_from_no_true_reward(work):
    common = ["-s", "device=cpu", "-s", "hidden=32", "-s", "reward_hidden=32", "-s", "batch_size=64", "-s", "rrd_k=10",
              "-s", "rrd_batch_size=40", "-s", "learning_starts=200", "-s", "eval_episodes=4", "-s", "eval_every=300",
              "-s", "iterations=50", "-s", "quiet=true"]
    cli("rrd", "--online", *common, "-s", "grad_steps_SAC=600", "-s", "name=a", check=0)
    cli("rrd", "--online", *common, "-s", "grad_steps_SAC=300", "-s", "name=b", check=0)
    cli("resume", str(work / "runs" / "b"), "-s", "grad_steps_SAC=600", check=0)
    ta, tb = (pd.read_csv(work / "runs" / n / "results.csv").filter(regex="^(?!time_)") for n in "ab")
    pd.testing.assert_frame_equal(ta, tb)
    sa, sb = (load_checkpoint(work / "runs" / n / "latest.pt")["algo_state"] for n in "ab")
    for k in ("reward_model", "critic", "critic_t", "opt_reward"):
        for x, y in zip(sa[k].values() if k != "opt_reward" else [sa[k]["state"][0]["exp_avg"]],
                        sb[k].values() if k != "opt_reward" else [sb[k]["state"][0]["exp_avg"]]):
            assert torch.equal(x, y), k
    assert sa["buffer"]["episodes"] == sb["buffer"]["episodes"] > 0
    assert ta["eval/reward_corr"].notna().any() and ta["R_loss"].notna().any() and ta["r_hat"].notna().any()


def test_papermill_notebook_runs_both_modes(demos, work):
    small = "device: cpu, rrd_k: 8, rrd_batch_size: 32, reward_hidden: 32"
    for mode, ov in ((f"dataset={demos}", "epochs: 1, cycles: 1, iterations: 2, batches: 3"),
                     ("online=true", "grad_steps_SAC: 100, learning_starts: 100, eval_episodes: 2, hidden: 32, batch_size: 32, eval_every: 100")):
        p = cli("analyze", "rrd", "-p", mode, "-p", f"overrides={{{small}, {ov}}}", check=0)
        assert "rrd.html" in p.stdout
    pages = sorted((work / "runs").glob("rrd-*/rrd.html"))
    assert len(pages) == 2 and all("learned reward" in p.read_text() for p in pages)


def _episodes_without_rewards(src, dst):
    eps, meta = load_trajectories(src)
    for e in eps: e.pop("rewards")
    save_trajectories(dst, eps, meta["env_info"]["env_id"], meta["env_info"]["max_episode_steps"], meta["env_info"]["env_kwargs"])


@pytest.mark.parametrize("args,words", [
    (["-s", "rrd_k=0"], ["rrd_k", ">= 1"]),
    (["-s", "rrd_k=1", "-s", "bias_correction=true"], ["bias_correction", "rrd_k"]),
    (["-s", "rrd_k=64", "-s", "rrd_batch_size=32"], ["rrd_batch_size", "K=64"]),
    (["-s", "rrd_k=49", "-s", "rrd_replace=false"], ["shorter than K=49", "rrd_replace"]),
    (["-s", "cycles=0"], ["cycles", ">= 1"]),
    (["-s", "batches=0"], ["batches=0"]),
    (["-s", "env_id=PickCube-v1"], ["PickLite-v0", "env_id=PickCube-v1"]),
    ("norewards", ["no rewards", "relabel"]),
    ("missing", ["no trajectory file"]),
])
def test_bad_input_is_one_sentence_and_writes_nothing(demos, work, args, words):
    if args == "norewards":
        _episodes_without_rewards(demos, work / "bare"); args, data = [], str(work / "bare.h5")
    elif args == "missing": args, data = [], str(work / "nope.h5")
    else: data = str(demos)
    before = snapshot(work)
    assert_user_error(cli("rrd", data, "-s", "device=cpu", *args), *words)
    assert snapshot(work) == before and not (work / "runs").exists()


def test_a_diverging_reward_model_stops_with_its_last_good_checkpoint(demos, work):
    small = ["-s", "device=cpu", "-s", "cycles=1", "-s", "iterations=2", "-s", "batches=5", "-s", "rrd_k=8", "-s", "rrd_batch_size=64"]
    cli("rrd", str(demos), *small, "-s", "epochs=1", "-s", "name=r", check=0)
    ck = (work / "runs" / "r" / "latest.pt").read_bytes()
    p = cli("resume", str(work / "runs" / "r"), "-s", "epochs=40", "-s", "lr_reward=1e30")
    assert_user_error(p, "diverged", "lr_reward")
    assert (work / "runs" / "r" / "latest.pt").read_bytes() == ck


def test_cli_without_dataset_or_online_is_refused(work):
    assert_user_error(cli("rrd"), "--online")
    assert_user_error(cli("rrd", "x.h5", "--online"), "no trajectory file")  # online with demonstrations: the file must exist


def test_online_rrd_with_demonstrations_draws_their_share_of_both_batches(demos, work):
    "offline_fraction of the critic batch's rows and of the reward batch's episodes come from the demos, first; the rest online."
    from rlnb.algos.rrd import RRDSAC
    from rlnb.algos.sac import check_sac
    from rlnb.core.base import RlnbError
    from rlnb.core.config import load_config
    small = dict(device="cpu", hidden=32, reward_hidden=32, batch_size=64, rrd_k=8, rrd_batch_size=64, num_envs=4, quiet=True)
    algo = RRDSAC(load_config("rrd_sac", overrides=small | dict(dataset=str(demos), offline_fraction=0.25), env={}))
    for _ in range(60): algo.collect()  # 240 env steps: the first 50-step episodes have ended
    eps = load_trajectories(demos)[0]
    demo_obs = torch.as_tensor(np.concatenate([e["obs"][:-1] for e in eps]))
    demo_targets = torch.tensor([float(e["rewards"].sum()) / len(e["actions"]) for e in eps])
    b = algo.sample_block(3)
    in_demos = lambda x: (torch.cdist(x.reshape(-1, x.shape[-1]), demo_obs, compute_mode="donot_use_mm_for_euclid_dist").min(1).values < 1e-6).reshape(x.shape[:-1])
    assert in_demos(b["obs"][:, :16]).all() and not in_demos(b["obs"][:, 16:]).any()  # 64 x 0.25 = 16 demo rows, first
    near = lambda t: (t[..., None] - demo_targets).abs().min(-1).values < 1e-5
    assert near(b["rrd_target"][:, :2]).all() and not near(b["rrd_target"][:, 2:]).any()  # 8 episodes x 0.25 = 2 from the demos
    # the critic never sees a demo's per-step reward: the demo rows' stored rewards are the delayed ones (0 but at the end)
    assert (b["rewards"][:, :16] != 0).float().mean() < 0.2
    # plain SAC with the same file and delayed_reward reads it delayed, so the three arms of a comparison see the same data
    sac = {k: v for k, v in small.items() if not k.startswith("r")} | dict(dataset=str(demos), offline_fraction=0.5, reward="dense",
                                                                          delayed_reward=True)
    ds = check_sac(load_config("sac", overrides=sac, env={}))
    ends = ds.lengths.cumsum(0) - 1
    assert torch.allclose(ds.rewards[ends], demo_targets * ds.lengths) and int((ds.rewards != 0).sum()) <= len(eps)
    # a checkpoint trained beside the demos does not resume without them
    bare = RRDSAC(load_config("rrd_sac", overrides=small, env={}))
    with pytest.raises(RlnbError, match="offline steps"): bare.load_state_dict(algo.state_dict())
    # demos that no batch would draw from are refused before anything is written
    before = snapshot(work)
    assert_user_error(cli("rrd", str(demos), "--online", "-s", "offline_fraction=0", "-s", "device=cpu"), "offline_fraction=0", "dataset")
    assert snapshot(work) == before and not (work / "runs").exists()
