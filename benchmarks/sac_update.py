"""One SAC gradient update (critic step with its target, actor step, temperature step, polyak averaging): rlnb's SAC
(QEnsemble: N critics as one batched network, foreach polyak) against a reference written here in the style of CleanRL's
sac_continuous_action.py (separate critic modules and target copies, a Python loop over critics, a loop over parameters
for polyak), same sizes, same batches, one run. N=2 with the min of both (SAC); N=10 with the min of a random 2 (RLPD).

With --compile MODE ... also rlnb's SAC with `compile=MODE` (torch.compile's modes: default, reduce-overhead = + CUDA graphs), after a
check that it computes what eager rlnb computes (same initial weights, same batches, same generator: parameters after
20 updates compared by relative error), with the seconds its first update took (compilation).

    python benchmarks/sac_update.py [--batch 256] [--hidden 256] [--layers 2] [--device cpu|cuda] [--threads 1]
                                    [--compile default reduce-overhead]
"""
import argparse, copy, time
import torch
from timing import best_time  # benchmarks/timing.py
from torch import nn
from rlnb.core.config import load_config
from rlnb.algos.sac import SAC
from rlnb.policies.networks import TanhGaussianActor

ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=256)
ap.add_argument("--hidden", type=int, default=256)
ap.add_argument("--layers", type=int, default=2)
ap.add_argument("--device", default="cpu")
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--repeats", type=int, default=30)
ap.add_argument("--compile", nargs="*", default=[], choices=("default", "reduce-overhead"))
a = ap.parse_args()
torch.set_num_threads(a.threads)
dev = torch.device(a.device)


class CleanRLSAC:
    "CleanRL's update: qf_i(s, a) modules, their targets, min over the target subset, then actor and alpha; polyak by a loop."
    def __init__(self, obs_dim, act_dim, n, m, gamma=0.8, tau=0.005):
        def q():
            mods, d = [], obs_dim + act_dim
            for _ in range(a.layers): mods += [nn.Linear(d, a.hidden), nn.ReLU()]; d = a.hidden
            return nn.Sequential(*mods, nn.Linear(d, 1)).to(dev)
        self.qs = [q() for _ in range(n)]
        self.q_t = [copy.deepcopy(x) for x in self.qs]
        self.actor = TanhGaussianActor(obs_dim, act_dim, a.hidden, a.layers).to(dev)
        self.q_opt = torch.optim.Adam([p for x in self.qs for p in x.parameters()], lr=3e-4)
        self.a_opt = torch.optim.Adam(self.actor.parameters(), lr=3e-4)
        self.log_alpha = torch.zeros(1, requires_grad=True, device=dev)
        self.al_opt = torch.optim.Adam([self.log_alpha], lr=3e-4)
        self.n, self.m, self.gamma, self.tau, self.h = n, m, gamma, tau, -float(act_dim)

    def update(self, b):
        alpha = self.log_alpha.exp().detach()
        with torch.no_grad():
            a2, logp2 = self.actor.sample(b["next_obs"])
            x2 = torch.cat([b["next_obs"], a2], 1)
            idx = torch.randperm(self.n)[:self.m].tolist()
            q_next = torch.stack([self.q_t[i](x2).view(-1) for i in idx]).min(0).values - alpha * logp2
            y = b["rewards"] + (1 - b["terminated"].float()) * self.gamma * q_next
        x = torch.cat([b["obs"], b["actions"]], 1)
        q_loss = sum(nn.functional.mse_loss(q(x).view(-1), y) for q in self.qs)
        self.q_opt.zero_grad(); q_loss.backward(); self.q_opt.step()
        pi, logp = self.actor.sample(b["obs"])
        xp = torch.cat([b["obs"], pi], 1)
        q_pi = torch.stack([q(xp).view(-1) for q in self.qs]).min(0).values
        a_loss = (alpha * logp - q_pi).mean()
        self.a_opt.zero_grad(); a_loss.backward(); self.a_opt.step()
        al_loss = (-self.log_alpha.exp() * (logp.detach() + self.h)).mean()
        self.al_opt.zero_grad(); al_loss.backward(); self.al_opt.step()
        for q, qt in zip(self.qs, self.q_t):
            for p, pt in zip(q.parameters(), qt.parameters()): pt.data.copy_(self.tau * p.data + (1 - self.tau) * pt.data)


print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, device={dev}, batch {a.batch}, {a.layers} x {a.hidden} ReLU, "
      "PickLite-v0 (obs 17, act 4)")


def make(n, m, compile="none"):
    cfg = load_config("sac", overrides=dict(device=a.device, hidden=a.hidden, layers=a.layers, n_critics=n, critic_subset=m,
                                            learning_starts=0, batch_size=a.batch, quiet=True, compile=compile), env={})
    sac = SAC(cfg)  # same seed: same initial weights, same generator
    for _ in range(4 * a.batch // sac.env.n + 1): sac.collect()
    return sac


def step(sac, b): sac.critic_step(b); sac.target_step(); sac.actor_step(b)


def params(sac): return torch.cat([p.detach().flatten() for p in list(sac.actor.parameters()) + list(sac.critic.parameters())])


for n, m in ((2, 2), (10, 2)):
    ours = make(n, m)
    ref = CleanRLSAC(ours.env.obs_dim, ours.env.act_dim, n, m)
    b = ours.buffer.sample(a.batch, ours.gen)
    t_ref = best_time(lambda: ref.update(b), dev, a.repeats, warmup=5, rounds=3)
    t_ours = best_time(lambda: step(ours, b), dev, a.repeats, warmup=5, rounds=3)
    print(f"N={n:2d}, min of {m}: CleanRL-style {t_ref * 1e3:7.2f} ms/update   rlnb SAC {t_ours * 1e3:7.2f} ms/update   "
          f"speed-up {t_ref / t_ours:.2f}x")
    ours.close()
    for mode in a.compile:
        eager, comp = make(n, m), make(n, m, mode)
        blk = eager.buffer.sample(a.batch, torch.Generator(dev).manual_seed(1), blocks=20)
        t = time.perf_counter()
        step(comp, {k: v[0] for k, v in blk.items()})
        if dev.type == "cuda": torch.cuda.synchronize()
        t_first = time.perf_counter() - t
        step(eager, {k: v[0] for k, v in blk.items()})
        for j in range(1, 20):
            for s in (eager, comp): step(s, {k: v[j] for k, v in blk.items()})
        p, q = params(eager), params(comp)
        err = ((q - p).norm() / p.norm()).item()
        t_comp = best_time(lambda: step(comp, b), dev, a.repeats, warmup=5, rounds=3)
        print(f"        compile={mode:15s}: first update {t_first:5.1f} s (compiling), then {t_comp * 1e3:7.2f} ms/update   "
              f"vs eager rlnb {t_ours / t_comp:.2f}x, vs CleanRL-style {t_ref / t_comp:.2f}x;   "
              f"after 20 updates |params - eager's| / |eager's| = {err:.1e}")
        eager.close(); comp.close()
