"""Re-rollout (MC-k) env-steps/s against plain stepping at the same number of envs, on PickLite.

    python benchmarks/rerollout.py [--envs 4096] [--device cpu]

Plain: M envs stepped with a random policy. Re-rollout: replicas started from a bank of rollout
snapshots (restore into M envs, step until every replica's episode ended, per-replica returns), the
same random policy. Both count every env step the simulator takes.
"""
import argparse, time
import torch
from rlnb.envs.picklite import PickLite
from rlnb.data.mc import rerollouts, rollout

ap = argparse.ArgumentParser()
ap.add_argument("--envs", type=int, default=4096); ap.add_argument("--device", default="cpu")
ap.add_argument("--repeats", type=int, default=3)
a = ap.parse_args()
M = a.envs
g = torch.Generator(a.device).manual_seed(0)
policy = lambda o: torch.rand(len(o), 4, generator=g, device=o.device) * 2 - 1
print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, device={a.device}, M={M} envs")

# a bank: 50 rollout steps of 128 envs (6,400 start states)
ro = rollout(PickLite(128, device=a.device, seed=0), policy, T=50)
bank = ro["bank"]
src = torch.arange(len(bank["t"])).repeat(4)[: 4 * M]  # 4 chunks of M replicas
first = torch.full((len(src), 4), float("nan"))
rep = PickLite(M, device=a.device, seed=1)

best_r = best_p = float("inf")
for _ in range(a.repeats):
    t = time.perf_counter(); steps = rerollouts(rep, bank, src, first, policy, gamma=0.8)["steps"]; dt = time.perf_counter() - t
    best_r = min(best_r, dt / steps)
    env = PickLite(M, device=a.device, seed=2)
    obs = env.obs()
    n = steps // M
    t = time.perf_counter()
    for _ in range(n): obs, *_ = env.step(policy(obs))
    best_p = min(best_p, (time.perf_counter() - t) / (n * M))
print(f"plain stepping: {1 / best_p:>12,.0f} env-steps/s")
print(f"re-rollouts:    {1 / best_r:>12,.0f} env-steps/s  ({steps:,} steps per measurement, {len(src):,} replicas)")
print(f"overhead of snapshot/copy/restore and per-replica bookkeeping: {100 * (best_r / best_p - 1):+.1f}%")
