"ManiSkill's trajectory format: files ManiSkill wrote load in rlnb; files rlnb wrote load in ManiSkill."
import json
import h5py
import numpy as np
import pytest
import torch
from conftest import assert_user_error, cli, snapshot
from rlnb.data.trajectories import OfflineDataset, load_trajectories, record, save_trajectories
from rlnb.envs.picklite import PickLite, scripted_action
from rlnb.envs.maniskill import _xdg


@pytest.fixture(scope="module")
def maniskill_file(tmp_path_factory):
    "Two 50-step PickCube-v1 episodes written by ManiSkill's own RecordEpisode wrapper."
    _xdg()
    import gymnasium as gym
    import mani_skill.envs  # noqa: F401
    from mani_skill.utils.wrappers.record import RecordEpisode
    d = tmp_path_factory.mktemp("ms")
    env = gym.make("PickCube-v1", obs_mode="state", control_mode="pd_ee_delta_pose", sim_backend="physx_cpu",
                   reward_mode="normalized_dense")
    env = RecordEpisode(env, str(d), save_video=False, trajectory_name="demo", save_on_reset=True)
    rng = np.random.default_rng(0)
    for seed in (3, 4):
        env.reset(seed=seed)
        for _ in range(50): env.step(rng.uniform(-1, 1, (1, 7)).astype(np.float32))
    env.close()
    return d / "demo.h5"


def test_file_written_by_maniskill_loads(maniskill_file):
    eps, meta = load_trajectories(maniskill_file)
    assert meta["env_info"]["env_id"] == "PickCube-v1" and len(eps) == 2
    with h5py.File(maniskill_file) as f:
        for i, ep in enumerate(eps):
            assert np.array_equal(ep["obs"], f[f"traj_{i}/obs"][()]) and ep["obs"].shape == (51, 42)
            assert np.array_equal(ep["actions"], f[f"traj_{i}/actions"][()])
    assert [e["info"]["episode_seed"] for e in eps] == [3, 4]
    ds = OfflineDataset(eps, gamma=0.8, device="cpu")
    assert len(ds) == 100 and ds.truncated.sum() == 2 and torch.equal(ds.next_obs[0], torch.as_tensor(eps[0]["obs"][1]))
    p = cli("data", str(maniskill_file), check=0)
    assert "episodes: 2" in p.stdout and "transitions: 100" in p.stdout


def test_file_written_by_rlnb_loads_in_maniskill(tmp_path):
    from mani_skill.trajectory.dataset import ManiSkillTrajectoryDataset
    eps = record(PickLite(16, device="cpu", seed=1), scripted_action, 40, path=tmp_path / "rl")
    ms = ManiSkillTrajectoryDataset(str(tmp_path / "rl.h5"))
    assert ms.env_id == "PickLite-v0" and len(ms) == sum(len(e["actions"]) for e in eps)
    assert np.array_equal(ms.actions, np.concatenate([e["actions"] for e in eps]))
    assert np.array_equal(ms.obs, np.concatenate([e["obs"][:-1] for e in eps]))
    assert np.array_equal(ms.rewards, np.concatenate([e["rewards"] for e in eps]))


def test_recorded_maniskill_episode_replays_from_its_seed(tmp_path):
    "rlnb records ManiSkill episodes with their seeds: ManiSkill itself, reset with that seed and fed the actions, retraces them."
    import gymnasium as gym
    from rlnb.envs.maniskill import ManiSkillEnv
    with ManiSkillEnv("PickCube-v1", num_envs=2, device="cpu", seed=7) as env:
        g = torch.Generator().manual_seed(0)
        record(env, lambda o: torch.rand(len(o), 7, generator=g) * 2 - 1, 3, path=tmp_path / "ms", seed=7)
    eps, meta = load_trajectories(tmp_path / "ms")
    seeds = [e["info"]["episode_seed"] for e in eps]
    assert len(set(seeds)) == 3 and set(seeds) <= {7, 8, 9, 10, 11, 12}  # env i: 7 + i, then + 2 per episode
    base = gym.make("PickCube-v1", obs_mode="state", control_mode="pd_ee_delta_pose", sim_backend="physx_cpu").unwrapped
    for ep in eps:
        obs, _ = base.reset(seed=ep["info"]["episode_seed"])
        traj = [obs[0].numpy()] + [base.step(a[None])[0][0].numpy() for a in ep["actions"]]
        assert np.allclose(np.stack(traj), ep["obs"], rtol=1e-5, atol=1e-5)
    base.close()


def test_offline_returns_by_hand():
    ep = {"obs": np.arange(8, dtype=np.float32).reshape(4, 2), "actions": np.zeros((3, 1), np.float32),
          "rewards": np.array([0, 0, 1], np.float32), "terminated": np.array([0, 0, 1], bool),
          "truncated": np.zeros(3, bool)}
    cut = {**ep, "terminated": np.zeros(3, bool)}  # neither flag at the end: marked truncated
    ds = OfflineDataset([ep, cut], gamma=0.5, device="cpu")
    assert ds.returns.tolist() == [0.25, 0.5, 1.0, 0.25, 0.5, 1.0]
    assert ds.terminated.tolist() == [False, False, True, False, False, False]
    assert ds.truncated.tolist() == [False, False, False, False, False, True]
    b1, b2 = OfflineDataset([ep], device="cpu", seed=3).sample(5), OfflineDataset([ep], device="cpu", seed=3).sample(5)
    assert all(torch.equal(b1[k], b2[k]) for k in b1)


def test_bad_files_through_the_cli(work):
    eps = record(PickLite(4, device="cpu"), scripted_action, 4)
    save_trajectories(work / "good", eps, "PickLite-v0", 50)
    raw = (work / "good.h5").read_bytes()
    (work / "cut.h5").write_bytes(raw[: len(raw) // 2]); (work / "cut.json").write_text((work / "good.json").read_text())
    with h5py.File(work / "foreign.h5", "w") as f: f.create_dataset("weights", data=np.zeros(3))
    (work / "foreign.json").write_text((work / "good.json").read_text())
    (work / "lonely.h5").write_bytes(raw)
    (work / "broken.h5").write_bytes(raw); (work / "broken.json").write_text("{not json")
    before = snapshot(work)
    assert_user_error(cli("data", "cut.h5"), "cut.h5", "truncated")
    assert_user_error(cli("data", "foreign.h5"), "not a ManiSkill trajectory file", "traj_0")
    assert_user_error(cli("data", "lonely.h5"), "no JSON sidecar", "lonely.json")
    assert_user_error(cli("data", "broken.h5"), "not valid JSON")
    assert_user_error(cli("data", "nothing.h5"), "no trajectory file")
    assert_user_error(cli("record", "PickLite-v0", "good"), "already exists")
    assert snapshot(work) == before
    assert json.loads((work / "good.json").read_text())["episodes"][0]["episode_id"] == 0


def test_long_maniskill_demos_without_rewards_become_training_data(tmp_path):
    """Issue 13, item 5: demos recorded by ManiSkill's own RecordEpisode, longer than the task's 50-step limit (truncated
    from step 50 on, inside the episode) and without rewards: refused as offline data with the fix named, then
    `rlnb data relabel --reward dense` recomputes the rewards from the stored env states and the reader says what it does."""
    _xdg()
    import gymnasium as gym
    import mani_skill.envs  # noqa: F401
    from mani_skill.utils.wrappers.record import RecordEpisode
    from rlnb.core.base import RlnbError
    from rlnb.data.trajectories import relabel
    env = gym.make("PickCube-v1", obs_mode="state", control_mode="pd_ee_delta_pose", sim_backend="physx_cpu", max_episode_steps=50)
    env = RecordEpisode(env, str(tmp_path), save_video=False, trajectory_name="long", save_on_reset=True, record_reward=False)
    rng = np.random.default_rng(1)
    env.reset(seed=5)
    for _ in range(70): env.step(rng.uniform(-1, 1, (1, 7)).astype(np.float32))
    env.close()
    eps, meta = load_trajectories(tmp_path / "long.h5")
    assert len(eps[0]["actions"]) == 70 and "rewards" not in eps[0] and eps[0]["truncated"][55]
    with pytest.raises(RlnbError, match="no rewards"): OfflineDataset(eps, device="cpu")
    out = cli("data", "relabel", str(tmp_path / "long.h5"), str(tmp_path / "long-dense"), "--reward", "dense", check=0).stdout
    assert "longest: 70" in out and "longer than the task's 50-step limit" in out and "cleared" in out, out
    with pytest.warns(UserWarning, match="longer than the task's 50-step limit"):
        ds = OfflineDataset.from_file(tmp_path / "long-dense", device="cpu")
    assert len(ds) == 70 and ds.truncated.sum() == 1 and bool(ds.truncated[-1]) and ds.rewards.abs().max() > 0
    # the rewards are ManiSkill's own: its RecordEpisode with record_reward on the same seed and actions stores the same
    env = gym.make("PickCube-v1", obs_mode="state", control_mode="pd_ee_delta_pose", sim_backend="physx_cpu",
                   reward_mode="normalized_dense", max_episode_steps=50)
    env.unwrapped.reset(seed=5)
    rewards = [float(env.unwrapped.step(torch.as_tensor(a[None]))[1][0]) for a in eps[0]["actions"]]
    env.close()
    assert np.abs(np.array(rewards) - ds.rewards.numpy()).max() < 5e-3
