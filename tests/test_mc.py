"MC-k re-rollouts: exact on a deterministic case, unbiased on a case with known Q and V, the rollout env left as it was."
import pytest
import torch
from rlnb.core.base import RlnbError
from rlnb.envs.picklite import PickLite, scripted_action
from rlnb.data.mc import mc_advantages, rollout


def test_known_q_and_v_with_a_stochastic_continuation():
    """Sparse PickLite from a state where the cube is grasped and 1 step from the goal: the continuation
    "random actions" still has a known value. Q(s, a*) for the action a* that reaches the goal is exactly 1
    (success at the first step, terminated); V under a uniformly random first action is P(random first action succeeds)
    plus later successes; we check Q exactly and V against a large independent MC estimate."""
    env = PickLite(1, device="cpu", seed=0)
    env.reset(seed=0)
    # put the gripper on the cube, grasped, goal 4 cm away along x
    env.p[:] = env.o; env.grasped[:] = True; env.closed[:] = 1.0
    env.q[:] = env.o + torch.tensor([0.04, 0.0, 0.0])
    bank = env.snapshot()
    a_star = torch.tensor([[0.8, 0.0, 0.0, 1.0]])  # moves 4 cm: onto the goal, gripper closed
    rand = lambda o: torch.rand(len(o), 4, generator=g) * 2 - 1
    g = torch.Generator().manual_seed(0)
    A, Q, V, _ = mc_advantages(PickLite(256, device="cpu"), bank, a_star, rand, k=64, gamma=0.8)
    assert Q.item() == 1.0
    g.manual_seed(1)
    _, _, V_big, _ = mc_advantages(PickLite(4096, device="cpu"), bank, a_star, rand, k=4096, gamma=0.8)
    assert abs(V.item() - V_big.item()) < 0.05 and 0 < V_big.item() < 1 and A.item() > 0


def test_deterministic_case_matches_independent_replays_exactly():
    env = PickLite(4, device="cpu", seed=1)
    ro = rollout(env, lambda o: torch.rand(len(o), 4) * 2 - 1, T=5)
    acts, obs = ro["actions"].flatten(0, 1), ro["obs"].flatten(0, 1)
    A, Q, V, _ = mc_advantages(PickLite(7, device="cpu"), ro["bank"], acts, scripted_action, k=2, gamma=0.8, deterministic=True)

    def replay(row, a):
        e = PickLite(1, device="cpu"); e.restore(ro["bank"], env_ids=[0], src_ids=[row])
        G, d = 0.0, 1.0
        while True:
            o, r, te, tr, info = e.step(a)
            G += d * float(r); d *= 0.8
            if info["done"].item(): return G
            a = scripted_action(o)
    for i in range(len(acts)):
        assert Q[i].item() == pytest.approx(replay(i, acts[i:i + 1]), abs=1e-6)
        assert V[i].item() == pytest.approx(replay(i, scripted_action(obs[i:i + 1])), abs=1e-6)


def test_rollout_env_is_left_as_it_was():
    env = PickLite(8, device="cpu", seed=2)
    ro = rollout(env, lambda o: torch.rand(len(o), 4) * 2 - 1, T=4)
    before = env.snapshot()
    mc_advantages(env, ro["bank"], ro["actions"].flatten(0, 1), scripted_action, k=1, gamma=0.8)
    after = env.snapshot()
    assert all(torch.equal(before[k], after[k]) for k in before if k != "gen")


def test_bad_k():
    env = PickLite(2, device="cpu")
    with pytest.raises(RlnbError, match="k \\(mc_samples\\) must be an integer of at least 1"):
        mc_advantages(env, env.snapshot(), torch.zeros(2, 4), scripted_action, k=0, gamma=0.8)


def test_short_maniskill_cpu_rerollout():
    from rlnb.envs.maniskill import ManiSkillEnv
    with ManiSkillEnv("PickCube-v1", num_envs=2, device="cpu", seed=0, reward="dense") as env:
        env.reset(seed=0)
        for _ in range(40): env.step(torch.zeros(2, 7))  # 10 steps before the time limit
        ro = rollout(env, lambda o: torch.rand(len(o), 7) * 2 - 1, T=2)
        A, Q, V, _ = mc_advantages(env, ro["bank"], ro["actions"].flatten(0, 1), lambda o: torch.rand(len(o), 7) * 2 - 1, k=1, gamma=0.8)
        assert A.shape == (4,) and torch.isfinite(A).all() and (Q > 0).all()


class NestedPickLite(PickLite):
    "PickLite whose snapshot is a tree like ManiSkill's physx_cuda one: {'sim': {'state': {...}, 'elapsed': t}, ...}."
    def snapshot(self):
        s = super().snapshot()
        return {"sim": {"state": {k: s[k] for k in ("p", "o", "q", "closed", "grasped")}, "elapsed": s["t"]},
                "stats": (s["ret"], {"succ_once": s["succ_once"]}), "gen": s["gen"]}

    def restore(self, snap, env_ids=None, src_ids=None):
        flat = dict(snap["sim"]["state"], t=snap["sim"]["elapsed"], ret=snap["stats"][0], succ_once=snap["stats"][1]["succ_once"],
                    gen=snap["gen"])
        super().restore(flat, env_ids, src_ids)


def test_a_snapshot_tree_stacks_into_a_bank_of_all_steps():
    "Issue 12, case 5: a bank of nested snapshots has T*N rows in every leaf, and MC-k on it equals MC-k on flat snapshots."
    pol = lambda o: torch.tanh(o[:, :4])
    flat, nested = PickLite(4, device="cpu", seed=2), NestedPickLite(4, device="cpu", seed=2)
    ro_f, ro_n = rollout(flat, pol, T=6), rollout(nested, pol, T=6)
    assert ro_n["bank"]["sim"]["state"]["p"].shape[0] == 24 and ro_n["bank"]["sim"]["elapsed"].shape[0] == 24
    acts = ro_f["actions"].flatten(0, 1)
    a_f = mc_advantages(PickLite(16, device="cpu"), ro_f["bank"], acts, pol, k=2, gamma=0.8, deterministic=True)
    a_n = mc_advantages(NestedPickLite(16, device="cpu"), ro_n["bank"], acts, pol, k=2, gamma=0.8, deterministic=True)
    assert all(torch.equal(x, y) for x, y in zip(a_f[:3], a_n[:3]))


def test_rerollout_steps_count_the_simulator_and_the_useful_steps_apart():
    "Issue 12, case 8: 8 replicas on a 512-env replica env: the simulator runs 512 envs, the useful steps are the replicas' own."
    from rlnb.data.mc import rerollouts
    pol = lambda o: torch.tanh(o[:, :4])
    ro = rollout(PickLite(4, device="cpu", seed=0), pol, T=8)
    rows, first = torch.arange(8, 16), torch.full((8, 4), float("nan"))
    out = rerollouts(PickLite(512, device="cpu"), ro["bank"], rows, first, pol, 0.8, record=True)
    assert out["steps"] % 512 == 0 and out["steps"] >= 512
    assert out["useful_steps"] == int(out["alive"].sum()) and out["useful_steps"] <= 8 * 50 < out["steps"]
    assert not out["terminated"].any() and out["useful_steps"] == int((50 - ro["bank"]["t"][rows]).sum())  # each its remaining steps
