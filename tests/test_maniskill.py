"ManiSkill 3 on CPU (physx_cpu, one env per worker process) behind the batched protocol."
import numpy as np
import pytest
import torch
from conftest import assert_user_error, cli, snapshot
from rlnb.envs.maniskill import ManiSkillEnv


def close(a, b):
    "Replays agree to float32 precision: |a - b| <= 1e-5 + 1e-5 |b|."
    return torch.allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def env():
    e = ManiSkillEnv("PickCube-v1", num_envs=2, device="cpu", seed=0)
    yield e
    e.close()


def test_runs_a_few_hundred_steps_with_protocol_semantics(env):
    assert (env.obs_dim, env.act_dim, env.max_steps) == (42, 7, 50)
    obs, _ = env.reset(seed=0)
    g = torch.Generator().manual_seed(0)
    ends = 0
    for t in range(1, 151):
        obs, r, te, tr, info = env.step(torch.rand(2, 7, generator=g) * 2 - 1)
        assert obs.shape == (2, 42) and r.shape == (2,) and obs.dtype == torch.float32
        if info["done"].any():
            ends += int(info["done"].sum())
            assert (info["episode"]["length"][info["done"]] <= 50).all()
            assert not torch.equal(info["final_obs"][info["done"]], obs[info["done"]])
        if t % 50 == 0 and not te.any(): assert tr.all()  # random actions do not solve PickCube
    assert ends == 6
    assert env.seeds.tolist() == [6, 7]  # env i's episodes: i, i + 2, i + 4, ...


def test_restore_and_replay_exact(env):
    env.reset(seed=3)
    acts = torch.rand(75, 2, 7, generator=torch.Generator().manual_seed(1)) * 2 - 1
    for a in acts[:15]: env.step(a)
    snap = env.snapshot()
    first = [env.step(a) for a in acts[15:]]  # 60 steps: crosses the time limit and an auto-reset
    env.restore(snap)
    again = [env.step(a) for a in acts[15:]]
    for x, y in zip(first, again):
        assert torch.equal(x[0], y[0]) and torch.equal(x[1], y[1])
        assert torch.equal(x[3], y[3]) and torch.equal(x[4]["done"], y[4]["done"])
    err = max((x[0] - y[0]).abs().max().item() for x, y in zip(first, again))
    print(f"max |replay - original| over 60 steps: {err:.2e}")


def test_copy_one_state_into_k_envs(env):
    env.reset(seed=5)
    for a in torch.rand(8, 2, 7, generator=torch.Generator().manual_seed(2)) * 2 - 1: env.step(a)
    snap = env.snapshot()
    env.restore(snap, env_ids=[1], src_ids=[0])
    assert torch.equal(env.obs()[0], env.obs()[1]) and env.t[1] == env.t[0]
    for a in torch.rand(10, 1, 7, generator=torch.Generator().manual_seed(3)) * 2 - 1:
        o = env.step(a.expand(2, 7))[0]
        assert close(o[0], o[1])


def test_bad_input_through_the_cli(work):
    before = snapshot(work)
    assert_user_error(cli("record", "PickCub-v1", "out"), "unknown environment id", "PickCube-v1")
    assert_user_error(cli("record", "PickCube-v1", "out", "--control-mode", "pd_bogus"), "no control mode", "pd_ee_delta_pose")
    assert_user_error(cli("record", "PickCube-v1", "out", "--num-envs", "0"), "num_envs must be an integer of at least 1")
    assert_user_error(cli("record", "PickCube-v1", "out", "-n", "1", env={"VK_ICD_FILENAMES": "/nonexistent.json"}),
                      "Vulkan", "scripts/setup.sh")
    assert snapshot(work) == before



def test_the_scripted_pickcube_controller_succeeds_and_records_demos(work, env):
    "Issue 13, item 5: the controller from the state observation alone succeeds in >= 90% of seeded episodes; `rlnb record` keeps its demos."
    from rlnb.data.evaluate import evaluate
    from rlnb.envs.maniskill import pickcube_action
    from rlnb.data.trajectories import load_trajectories
    eval_env = ManiSkillEnv("PickCube-v1", num_envs=2, device="cpu", seed=0, ignore_terminations=True)
    try: df = evaluate(eval_env, pickcube_action, seeds=range(10))
    finally: eval_env.close()
    assert df.success_once.mean() >= 0.9, df
    out = cli("record", "PickCube-v1", "demos", "-n", "4", "--num-envs", "2", "--policy", "scripted", "--noise", "0.1", check=0).stdout
    eps, meta = load_trajectories(work / "demos.h5")
    assert len(eps) == 4 and meta["env_info"]["env_id"] == "PickCube-v1" and "episodes: 4" in out
    assert sum(bool(e["success"].any()) for e in eps) >= 3  # noise 0.1 still succeeds (0.3 breaks PickCube's static-robot condition)
    check_replay_and_relabel(work, eps)


def check_replay_and_relabel(work, eps):
    """Issue 13, item 5: `rlnb record` on ManiSkill stores env states that ManiSkill's own replay_trajectory reads, and
    `rlnb data relabel` turns a sparse recording into the dense rewards a dense recording of the same episodes got."""
    import subprocess, sys
    from rlnb.core.base import RlnbError
    from rlnb.data.trajectories import load_trajectories, record, relabel
    from rlnb.envs.picklite import PickLite
    states = eps[0]["env_states"]
    assert set(states) == {"actors", "articulations"} and all(len(v) == len(eps[0]["obs"]) for v in states["actors"].values())
    # ManiSkill replays the file by its env states; with --allow-failure it keeps every episode, so all must replay
    rep = subprocess.run([sys.executable, "-m", "mani_skill.trajectory.replay_trajectory", "--traj-path", str(work / "demos.h5"),
                          "--use-env-states", "--allow-failure"], capture_output=True, text=True, cwd=work)
    assert rep.returncode == 0 and "Replayed 4 episodes, 4/4" in rep.stdout + rep.stderr, rep.stdout[-500:] + rep.stderr[-2000:]
    cli("record", "PickCube-v1", "dense", "-n", "4", "--num-envs", "2", "--policy", "scripted", "--noise", "0.1", "--reward", "dense", check=0)
    out = cli("data", "relabel", "demos.h5", "relabelled.h5", "--reward", "dense", check=0).stdout
    assert "rewards: dense" in out and "observation deviation" in out
    new, meta = load_trajectories(work / "relabelled.h5")
    truth, _ = load_trajectories(work / "dense.h5")
    assert meta["env_info"]["env_kwargs"]["reward_mode"] == "normalized_dense" and meta["relabel"]["reward"] == "dense"
    err = max(np.abs(a["rewards"] - b["rewards"]).max() for a, b in zip(new, truth))
    assert err < 5e-3 and max(np.abs(b["rewards"]).max() for b in truth) > 0.1, err  # rewards in [0, 1]; sparse ones would be 0/1
    assert np.array_equal(load_trajectories(work / "demos.h5")[0][0]["rewards"], eps[0]["rewards"])  # the input is untouched
    # sparse from success; bad input: an existing output, a missing --reward, dense on a task ManiSkill does not know
    relabel(work / "dense.h5", work / "back", "sparse")
    back, _ = load_trajectories(work / "back.h5")
    assert all(np.array_equal(b["rewards"], e["success"].astype(np.float32)) for b, e in zip(back, eps))
    with pytest.raises(RlnbError, match="already exists"): relabel(work / "demos.h5", work / "back", "dense")
    assert_user_error(cli("data", "relabel", "demos.h5", "x.h5"), "--reward sparse|dense")
    record(PickLite(2, device="cpu"), lambda o: torch.zeros(len(o), 4), 2, path=work / "lite")
    with pytest.raises(RlnbError, match="not a ManiSkill task"): relabel(work / "lite", work / "lite-dense", "dense")
    assert not (work / "lite-dense.h5").exists()

