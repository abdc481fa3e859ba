"""What the runner costs: the demo algorithm run through `Runner` (logging, counters, evaluation,
no run folder) against the same collect/update calls in a plain loop, in one process.

    python benchmarks/runner_overhead.py [--iterations 2000] [--num-envs 256]
"""
import argparse, time
import torch
from rlnb.core.config import load_config
from rlnb.algos.demo import BanditPG
from rlnb.core.runner import Runner

ap = argparse.ArgumentParser()
ap.add_argument("--iterations", type=int, default=2000)
ap.add_argument("--num-envs", type=int, default=256)
ap.add_argument("--repeats", type=int, default=3)
a = ap.parse_args()
cfg = load_config("demo", overrides=dict(num_envs=a.num_envs, total_timesteps=a.num_envs * a.iterations, cycles=10,
                                         iterations=a.iterations // 10, batches=1, quiet=True, eval_episodes=256), env={})


def plain():
    algo = BanditPG(cfg)
    t = time.perf_counter()
    for _ in range(a.iterations):
        algo.collect(); algo.update()
    algo.evaluate()
    return time.perf_counter() - t


def runner():
    r = Runner(BanditPG(cfg), cfg)
    t = time.perf_counter()
    r.run()
    return time.perf_counter() - t


plain(); runner()  # warm-up
tp = min(plain() for _ in range(a.repeats))
tr = min(runner() for _ in range(a.repeats))
print(f"device={cfg.device} threads={torch.get_num_threads()} iterations={a.iterations} num_envs={a.num_envs}")
print(f"plain loop : {tp:.3f} s  ({a.iterations / tp:,.0f} iterations/s)")
print(f"runner     : {tr:.3f} s  ({a.iterations / tr:,.0f} iterations/s)")
print(f"runner overhead: {(tr / tp - 1) * 100:+.1f}%  (speed ratio plain/runner = {tp / tr:.3f})")
