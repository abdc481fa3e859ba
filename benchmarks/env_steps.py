"""Env-steps per second: the built-in PickLite task at 1, 64 and 4096 envs, and ManiSkill PickCube-v1
through rlnb's protocol (CPU: 1 and 2 worker processes; with a GPU: physx_cuda at 1024 and 4096 envs).

    python benchmarks/env_steps.py [--steps 200] [--device cpu|cuda] [--no-maniskill]
"""
import argparse, time
import torch
from rlnb.envs.picklite import PickLite

ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=200)
ap.add_argument("--device", default="cpu")
ap.add_argument("--ms-steps", type=int, default=300, help="timed steps per ManiSkill configuration")
ap.add_argument("--no-maniskill", action="store_true")
a = ap.parse_args()
print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, device={a.device}")


def sync():
    if a.device != "cpu": torch.cuda.synchronize()


for n in (1, 64, 4096):
    env = PickLite(n, device=a.device, seed=0)
    acts = torch.rand(a.steps, n, 4, generator=torch.Generator().manual_seed(0), device="cpu").to(a.device) * 2 - 1
    for i in range(20): env.step(acts[i])
    sync()
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for i in range(a.steps): env.step(acts[i])
        sync()
        best = min(best, time.perf_counter() - t)
    print(f"PickLite-v0  num_envs={n:5d}: {n * a.steps / best:>14,.0f} env-steps/s  ({best / a.steps * 1e6:.1f} us per batched step)")

if not a.no_maniskill:
    from rlnb.envs.maniskill import ManiSkillEnv
    configs = [("physx_cpu", 1), ("physx_cpu", 2)]
    if torch.cuda.is_available(): configs += [("physx_cuda", 1024), ("physx_cuda", 4096)]
    for backend, n in configs:
        dev = "cuda" if backend == "physx_cuda" else "cpu"
        t0 = time.perf_counter()
        env = ManiSkillEnv("PickCube-v1", num_envs=n, device=dev, backend=backend, seed=0)
        start = time.perf_counter() - t0
        acts = torch.rand(a.ms_steps, n, env.act_dim, generator=torch.Generator().manual_seed(0)).to(dev) * 2 - 1
        for i in range(10): env.step(acts[i])
        if dev != "cpu": torch.cuda.synchronize()
        t = time.perf_counter()
        for i in range(a.ms_steps): env.step(acts[i])
        if dev != "cpu": torch.cuda.synchronize()
        el = time.perf_counter() - t
        snap_t = time.perf_counter(); snap = env.snapshot(); env.restore(snap); snap_t = time.perf_counter() - snap_t
        env.close()
        print(f"PickCube-v1  {backend} num_envs={n:5d}: {n * a.ms_steps / el:>10,.0f} env-steps/s "
              f"(pd_ee_delta_pose, random actions, auto-resets included; start-up {start:.1f} s; "
              f"snapshot+restore of all envs {snap_t * 1e3:.0f} ms)")
