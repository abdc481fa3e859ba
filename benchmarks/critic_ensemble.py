"""A critic ensemble's forward + backward + Adam step: rlnb's QEnsemble (one batched network) against N separate
critic modules in a Python loop (CleanRL's sac_continuous_action style), same sizes and inputs, one run.
(The whole SAC update is benchmarked when SAC lands; this is its critic part.)

    python benchmarks/critic_ensemble.py [--batch 256] [--hidden 256] [--layers 2] [--device cpu|cuda]
"""
import argparse
import torch
from timing import best_time  # benchmarks/timing.py
from torch import nn
from rlnb.policies.networks import QEnsemble

ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=256)
ap.add_argument("--hidden", type=int, default=256)
ap.add_argument("--layers", type=int, default=2)
ap.add_argument("--obs", type=int, default=42)
ap.add_argument("--act", type=int, default=7)
ap.add_argument("--device", default="cpu")
ap.add_argument("--repeats", type=int, default=50)
a = ap.parse_args()
dev = torch.device(a.device)
print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, device={dev}, batch {a.batch}, "
      f"{a.layers} x {a.hidden} ReLU, obs {a.obs}, act {a.act}")
g = torch.Generator(dev).manual_seed(0)
obs, act = torch.randn(a.batch, a.obs, generator=g, device=dev), torch.randn(a.batch, a.act, generator=g, device=dev)
y = torch.randn(a.batch, generator=g, device=dev)


def separate(n):
    def one():
        mods, d = [], a.obs + a.act
        for _ in range(a.layers): mods += [nn.Linear(d, a.hidden), nn.ReLU()]; d = a.hidden
        return nn.Sequential(*mods, nn.Linear(d, 1)).to(dev)
    qs = [one() for _ in range(n)]
    opt = torch.optim.Adam([p for q in qs for p in q.parameters()], lr=3e-4)
    def step():
        x = torch.cat([obs, act], -1)
        loss = sum(((q(x).squeeze(-1) - y) ** 2).mean() for q in qs)  # the loop over critics
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    return step


def ensemble(n):
    q = QEnsemble(a.obs, a.act, a.hidden, a.layers, n).to(dev)
    opt = torch.optim.Adam(q.parameters(), lr=3e-4)
    def step():
        loss = ((q(obs, act) - y) ** 2).mean(1).sum()
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    return step


def timed(step): return best_time(step, dev, a.repeats, warmup=5, rounds=3)


for n in (2, 10):
    t_ref, t_ours = timed(separate(n)), timed(ensemble(n))
    print(f"N={n:2d}: separate modules {t_ref * 1e3:7.2f} ms/step   QEnsemble {t_ours * 1e3:7.2f} ms/step   speed-up {t_ref / t_ours:.2f}x")
