import pytest
import torch
from rlnb.core.base import RlnbError
from rlnb.envs.picklite import PickLite, scripted_action


def rollout(env, acts):
    out = []
    for a in acts:
        o, r, te, tr, info = env.step(a)
        out.append((o, r, te, tr, info["final_obs"]))
    return out


def same(xs, ys):
    return all(torch.equal(a, b) for x, y in zip(xs, ys) for a, b in zip(x, y))


def actions(T, n, seed=0):
    return torch.rand(T, n, 4, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_deterministic_given_seed_and_actions():
    acts = actions(120, 32)
    assert same(rollout(PickLite(32, "cpu", seed=5), acts), rollout(PickLite(32, "cpu", seed=5), acts))
    assert not same(rollout(PickLite(32, "cpu", seed=5), acts), rollout(PickLite(32, "cpu", seed=6), acts))


def test_restore_and_replay_is_exact_across_auto_resets():
    env, acts = PickLite(32, "cpu", seed=1), actions(150, 32, seed=1)
    rollout(env, acts[:7])
    snap = env.snapshot()
    first = rollout(env, acts[7:])  # 143 steps: crosses the 50-step truncation and auto-resets
    env.restore(snap)
    assert same(first, rollout(env, acts[7:]))


def test_copy_one_state_into_k_envs():
    env = PickLite(8, "cpu", seed=2)
    rollout(env, actions(13, 8))
    snap, o_snap = env.snapshot(), env.obs()
    env.restore(snap, env_ids=torch.arange(1, 8), src_ids=torch.zeros(7, dtype=torch.long))
    a = actions(20, 1, seed=3).expand(20, 8, 4)
    for o, *_ in rollout(env, a[:20]):
        assert torch.equal(o[0:1].expand(8, -1), o)
    env.restore(snap)
    assert torch.equal(env.obs(), o_snap) and (env.t == 13).all()


def test_truncation_termination_and_final_obs():
    env = PickLite(16, "cpu", seed=3)
    zero = torch.zeros(16, 4)
    for t in range(49):
        o, r, te, tr, info = env.step(zero)
        assert not tr.any()
    o, r, te, tr, info = env.step(zero)
    assert tr.all() and not te.any() and info["done"].all()
    assert (info["episode"]["length"] == 50).all()
    assert not torch.equal(info["final_obs"], o)  # the returned obs is the new episode's first
    env = PickLite(256, "cpu", seed=4)
    obs, _ = env.reset()
    ended = torch.zeros(256, dtype=torch.bool)
    for _ in range(50):
        obs, r, te, tr, info = env.step(scripted_action(obs))
        assert torch.equal(te, info["success"]) and not (te & tr).any()
        assert torch.equal(r, te.float())  # sparse reward
        assert (info["episode"]["success_once"][te]).all()
        ended |= te
    assert ended.float().mean() > 0.95


def test_dense_reward_in_unit_interval():
    env = PickLite(256, "cpu", reward="dense", seed=0)
    for a in actions(60, 256):
        r = env.step(a)[1]
        assert (r >= 0).all() and (r <= 1).all()


def test_bad_input():
    with pytest.raises(RlnbError, match="num_envs must be an integer of at least 1"): PickLite(0)
    with pytest.raises(RlnbError, match="reward must be 'sparse' or 'dense'"): PickLite(1, reward="shaped")
