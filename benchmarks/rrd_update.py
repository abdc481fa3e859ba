"""One RRD reward update (draw E episodes, K steps of each, the loss, a gradient step): rlnb's batched update
(EpisodeBuffer.sample_episodes: every episode's K-subset in one indexing operation, then rrd_step on the (E, K) block)
against a reference written here in the style of the RRD reference's buffer (a Python loop over the E episodes, each
drawing its K steps with its own random choice and gathering them, then stacking), same reward model, same sizes, one run.

    python benchmarks/rrd_update.py [--episodes 400] [--T 50] [--k 1 8 32] [--rrd-batch 256] [--device cpu|cuda] [--threads 1]
"""
import argparse
import torch
from timing import best_time  # benchmarks/timing.py
from rlnb.algos.rrd import RewardModel, episode_buffer, rrd_loss, rrd_step, synthetic_episodes

ap = argparse.ArgumentParser()
ap.add_argument("--episodes", type=int, default=400)
ap.add_argument("--T", type=int, default=50)
ap.add_argument("--k", type=int, nargs="+", default=[1, 8, 32])
ap.add_argument("--rrd-batch", type=int, default=256)
ap.add_argument("--obs", type=int, default=42, help="observation size (42: PickCube-v1's state)")
ap.add_argument("--act", type=int, default=7)
ap.add_argument("--device", default="cpu")
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--repeats", type=int, default=50)
a = ap.parse_args()
torch.set_num_threads(a.threads)
dev = torch.device(a.device)

eps = synthetic_episodes(a.episodes, T=a.T, obs_dim=a.obs, act_dim=a.act)
buf = episode_buffer(eps, dev)
# the reference's storage: one record per episode (its steps as tensors), a step -> episode table to draw episodes by
ep_obs = [torch.as_tensor(e["obs"], device=dev) for e in eps]
ep_act = [torch.as_tensor(e["actions"], device=dev) for e in eps]
ep_ret = [float(e["rewards"].sum()) for e in eps]
step_to_ep = torch.repeat_interleave(torch.arange(len(eps)), torch.tensor([len(e["actions"]) for e in eps]))


def reference_update(model, opt, k, gen):
    "The RRD reference's sample_batch (a loop over episodes, numpy-style choice per episode), then one step."
    obs, nxt, act, tgt = [], [], [], []
    for _ in range(a.rrd_batch // k):
        i = int(step_to_ep[torch.randint(len(step_to_ep), (1,), generator=gen)])
        T = len(ep_act[i])
        idx = torch.randperm(T, generator=gen)[:k] if k <= T else torch.randint(T, (k,), generator=gen)
        obs.append(ep_obs[i][idx]); nxt.append(ep_obs[i][idx + 1]); act.append(ep_act[i][idx]); tgt.append(ep_ret[i] / T)
    o, n, ac = torch.stack(obs), torch.stack(nxt), torch.stack(act)
    loss, _ = rrd_loss(model(o, ac, n), torch.tensor(tgt, device=dev))
    opt.zero_grad(set_to_none=True); loss.backward(); opt.step()


print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, device={dev}, {a.episodes} episodes of {a.T} steps, "
      f"obs {a.obs}, act {a.act}, reward model 2 x 256 ReLU, rrd_batch_size {a.rrd_batch}")
for k in a.k:
    m1, m2 = RewardModel(a.obs, a.act, norm_obs=False).to(dev), RewardModel(a.obs, a.act, norm_obs=False).to(dev)
    o1, o2 = torch.optim.Adam(m1.parameters(), lr=3e-4), torch.optim.Adam(m2.parameters(), lr=3e-4)
    g1, g2 = torch.Generator(dev).manual_seed(0), torch.Generator().manual_seed(0)
    ours = lambda: rrd_step(m1, o1, buf.sample_episodes(a.rrd_batch // k, k, g1))
    t_ref = best_time(lambda: reference_update(m2, o2, k, g2), dev, a.repeats, warmup=5, rounds=3)
    t_ours = best_time(ours, dev, a.repeats, warmup=5, rounds=3)
    print(f"K={k:3d} ({a.rrd_batch // k:3d} episodes/batch): per-episode loop {1 / t_ref:8.0f} updates/s   "
          f"rlnb batched {1 / t_ours:8.0f} updates/s   speed-up {t_ref / t_ours:.2f}x")
