"""Replay sampling of a utd x batch block (RLPD: 20 x 256, half offline): rlnb's ReplayBuffer (one randint per
part, one gather of the packed rows) against a reference in the style of CleanRL/SB3 buffers (one tensor per
field, one batch per update, offline and online sampled apart and concatenated), same sizes, one run.

    python benchmarks/replay_sample.py [--utd 20] [--batch 256] [--device cpu|cuda] [--repeats 200]
"""
import argparse
import torch
from timing import best_time  # benchmarks/timing.py
from rlnb.data.replay import ReplayBuffer

ap = argparse.ArgumentParser()
ap.add_argument("--utd", type=int, default=20)
ap.add_argument("--batch", type=int, default=256)
ap.add_argument("--device", default="cpu")
ap.add_argument("--repeats", type=int, default=200)
ap.add_argument("--obs", type=int, default=42)  # PickCube-v1's state observation
ap.add_argument("--act", type=int, default=7)
a = ap.parse_args()
dev = torch.device(a.device)
print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, device={dev}, block {a.utd} x {a.batch}, "
      f"obs {a.obs}, act {a.act}, offline fraction 0.5")
n_off, n_on = 50_000, 100_000
g = torch.Generator(dev).manual_seed(0)
rand = lambda *s: torch.rand(*s, generator=g, device=dev)

buf = ReplayBuffer(200_000, a.obs, a.act, dev)
buf.n_offline = 0
for s in range(0, n_on, 10_000):
    buf.add(rand(10_000, a.obs), rand(10_000, a.act), rand(10_000), rand(10_000, a.obs),
            rand(10_000) < 0.01, rand(10_000) < 0.02)
# an offline block of n_off rows in front, as a dataset would put it
buf.data = torch.cat([buf.data[:n_off].clone(), buf.data]); buf.n_offline = n_off

fields = {k: (rand(n_off + n_on, w) if w > 1 else rand(n_off + n_on)) for k, w in
          (("obs", a.obs), ("actions", a.act), ("rewards", 1), ("next_obs", a.obs), ("terminated", 1), ("truncated", 1))}


def reference():
    "Per update: offline and online indices apart, each field indexed separately, the halves concatenated."
    out = []
    for _ in range(a.utd):
        i_off = torch.randint(0, n_off, (a.batch // 2,), generator=g, device=dev)
        i_on = n_off + torch.randint(0, n_on, (a.batch - a.batch // 2,), generator=g, device=dev)
        out.append({k: torch.cat([v[i_off], v[i_on]]) for k, v in fields.items()})
    return out


def ours():
    return buf.sample(a.batch, g, blocks=a.utd, offline_fraction=0.5)


def timed(step): return best_time(step, dev, a.repeats, warmup=10, rounds=5)


t_ref, t_ours = timed(reference), timed(ours)
print(f"reference (per update, per field): {t_ref * 1e6:8.1f} us per {a.utd} x {a.batch} block "
      f"({a.utd * 20} randint/index/cat calls)")
print(f"rlnb ReplayBuffer.sample:          {t_ours * 1e6:8.1f} us per block (2 randint, 1 cat, 1 gather)")
print(f"speed-up: {t_ref / t_ours:.2f}x")
