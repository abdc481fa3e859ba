"""Env-steps per second of the built-in PickLite task (and, with --maniskill, ManiSkill on CPU).

    python benchmarks/env_steps.py [--steps 200]
"""
import argparse, time
import torch
from rlnb.envs import PickLite

ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=200)
ap.add_argument("--device", default="cpu")
a = ap.parse_args()
print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, device={a.device}")
for n in (1, 64, 4096):
    env = PickLite(n, device=a.device, seed=0)
    acts = torch.rand(a.steps, n, 4, generator=torch.Generator().manual_seed(0), device="cpu").to(a.device) * 2 - 1
    for i in range(20): env.step(acts[i])
    if a.device != "cpu": torch.cuda.synchronize()
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for i in range(a.steps): env.step(acts[i])
        if a.device != "cpu": torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    print(f"PickLite-v0  num_envs={n:5d}: {n * a.steps / best:>14,.0f} env-steps/s  ({best / a.steps * 1e6:.1f} us per batched step)")
