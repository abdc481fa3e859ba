"Gymnasium envs behind the protocol, and deterministic evaluation."
import pytest
import torch
from rlnb.core.base import RlnbError
from rlnb.envs.picklite import PickLite, scripted_action
from rlnb.envs.registry import make_env
from rlnb.data.evaluate import evaluate
from rlnb.envs.gymenv import GymEnv


def test_gym_restore_and_replay_exact_across_resets():
    env = GymEnv("Pendulum-v1", num_envs=4, device="cpu", seed=0)
    acts = torch.rand(230, 4, 1, generator=torch.Generator().manual_seed(0)) * 2 - 1
    for a in acts[:10]: env.step(a)
    snap = env.snapshot()
    first = [env.step(a) for a in acts[10:]]
    env.restore(snap)
    again = [env.step(a) for a in acts[10:]]
    assert all(torch.equal(x[0], y[0]) and torch.equal(x[1], y[1]) for x, y in zip(first, again))
    assert sum(int(x[3].sum()) for x in first) == 4  # the 200-step limit, once per env
    env.close()


def test_gym_bad_input():
    with pytest.raises(RlnbError, match="Discrete action space"): GymEnv("CartPole-v1")
    with pytest.raises(RlnbError, match="did you mean Pendulum-v1"): make_env("Pendulum-v2")
    with pytest.raises(RlnbError, match="num_envs must be an integer of at least 1"): make_env("Pendulum-v1", num_envs=0)


def test_evaluate_is_deterministic_and_batch_independent():
    a = evaluate("PickLite-v0", scripted_action, seeds=range(50), device="cpu")
    b = evaluate("PickLite-v0", scripted_action, seeds=range(50), num_envs=8, device="cpu")
    assert a.equals(b) and list(a.columns) == ["seed", "return", "length", "success_once", "success_at_end"]
    assert (a.length == 50).all() and a.success_once.all() and a.success_at_end.mean() > 0.9
    r = evaluate("PickLite-v0", lambda o: torch.zeros(len(o), 4), seeds=[1, 2, 3], device="cpu")
    assert not r.success_once.any() and r.seed.tolist() == [1, 2, 3]
    with pytest.raises(RlnbError, match="ignore_terminations=True"): evaluate(PickLite(2, "cpu"), scripted_action, seeds=[0])
    mine = type("Mine", (PickLite,), {"env_id": "mine"})  # an unregistered env of one's own is not a gymnasium task
    with pytest.raises(RlnbError, match="ignore_terminations=True"): evaluate(mine(2, "cpu"), scripted_action, seeds=[0])


def test_evaluate_stochastic_policy_option():
    def policy(obs, deterministic=True):
        return scripted_action(obs) if deterministic else torch.rand(len(obs), 4) * 2 - 1
    assert evaluate("PickLite-v0", policy, seeds=range(20), device="cpu").success_once.all()
    assert not evaluate("PickLite-v0", policy, seeds=range(20), deterministic=False, device="cpu").success_once.all()


def test_envs_command_lists_every_kind():
    from conftest import cli
    p = cli("envs", check=0)
    lines = dict(l.split(":", 1) for l in p.stdout.splitlines())
    assert "PickLite-v0" in lines["builtin (1)"]
    ms = next(v for k, v in lines.items() if k.startswith("maniskill"))
    gym_ = next(v for k, v in lines.items() if k.startswith("gymnasium"))
    assert "PickCube-v1" in ms and "LiftPegUpright-v1" in ms and "Pendulum-v1" in gym_ and "PickCube-v1" not in gym_


def test_actions_reach_the_simulator_unrounded_and_halfcheetah_evaluates_as_a_plain_loop():
    "Issue 12.10: rlnb's evaluation on HalfCheetah differed from a plain gymnasium loop (24 vs 35 ...): the action map rounded."
    import gymnasium as gym
    a = torch.rand(1000, 1, generator=torch.Generator().manual_seed(0)) * 2 - 1
    env = GymEnv("Pendulum-v1", num_envs=1, device="cpu")  # bounds [-2, 2]: the simulator gets exactly 2a (was -2 + (a+1)·2)
    assert torch.equal(env._scale(a), 2 * a); env.close()
    W = torch.randn(17, 6, generator=torch.Generator().manual_seed(0)) * 0.5
    pol = lambda o: torch.tanh(o.float() @ W)
    # one env each, and the plain loop calls the policy on a (1, 17) batch too: a (2, 17) product may round differently from
    # a (1, 17) one on some CPUs (it did on an AMD EPYC), and HalfCheetah turns any rounding into a different return
    ours = [float(evaluate("HalfCheetah-v5", pol, seeds=[s], device="cpu", num_envs=1)["return"].iloc[0]) for s in (0, 1)]
    for s, mine in zip([0, 1], ours):
        e, total, done = gym.make("HalfCheetah-v5"), 0.0, False
        o, _ = e.reset(seed=s)
        while not done:
            o, r, te, tr, _ = e.step(pol(torch.as_tensor(o, dtype=torch.float32)[None])[0].numpy()); total += r; done = te or tr
        assert abs(mine - total) < 0.01, (s, mine, total)  # float32 sums of 1000 rewards; was 325 apart
