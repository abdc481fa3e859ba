"""rlnb's PPO update phase against a plain reference update loop in the style of CleanRL's
ppo_continuous_action.py (same network, batch, minibatches, epochs), in one run.

    python benchmarks/ppo_update.py [--envs 512] [--steps 50] [--device cpu] [--repeats 3]

Prints seconds per update phase for both and the ratio reference / rlnb (> 1: rlnb is faster).
"""
import argparse, time
import numpy as np
import torch
from torch import nn
from rlnb.policies.networks import ActorCritic
from rlnb.algos.ppo import ppo_update

ap = argparse.ArgumentParser()
ap.add_argument("--envs", type=int, default=512); ap.add_argument("--steps", type=int, default=50)
ap.add_argument("--epochs", type=int, default=4); ap.add_argument("--minibatches", type=int, default=32)
ap.add_argument("--device", default="cpu"); ap.add_argument("--repeats", type=int, default=3)
a = ap.parse_args()
dev = torch.device(a.device)
B, OBS, ACT = a.envs * a.steps, 17, 4
g = torch.Generator().manual_seed(0)
batch = {"obs": torch.randn(B, OBS, generator=g), "act": torch.randn(B, ACT, generator=g),
         "adv": torch.randn(B, generator=g), "ret": torch.randn(B, generator=g)}
batch = {k: v.to(dev) for k, v in batch.items()}
with torch.no_grad():
    batch["logp"] = ActorCritic(OBS, ACT).to(dev).dist(batch["obs"]).log_prob(batch["act"]).sum(-1)


def sync():
    if dev.type == "cuda": torch.cuda.synchronize()


def reference_update(agent, opt):
    "CleanRL ppo_continuous_action's update loop (clip_coef 0.2, ent 0, vf 0.5, max_grad_norm 0.5, norm_adv, target_kl off)."
    b_obs, b_act, b_logp, b_adv, b_ret = batch["obs"], batch["act"], batch["logp"], batch["adv"], batch["ret"]
    b_inds = np.arange(B); mb = B // a.minibatches
    clipfracs = []
    for epoch in range(a.epochs):
        np.random.shuffle(b_inds)
        for start in range(0, B, mb):
            mb_inds = b_inds[start:start + mb]
            dist = agent.dist(b_obs[mb_inds])
            newlogprob = dist.log_prob(b_act[mb_inds]).sum(1)
            entropy = dist.entropy().sum(1)
            newvalue = agent.value(b_obs[mb_inds])
            logratio = newlogprob - b_logp[mb_inds]
            ratio = logratio.exp()
            with torch.no_grad():
                old_approx_kl = (-logratio).mean()
                approx_kl = ((ratio - 1) - logratio).mean()
                clipfracs += [((ratio - 1.0).abs() > 0.2).float().mean().item()]
            mb_adv = b_adv[mb_inds]
            mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
            pg_loss = torch.max(-mb_adv * ratio, -mb_adv * torch.clamp(ratio, 0.8, 1.2)).mean()
            v_loss = 0.5 * ((newvalue - b_ret[mb_inds]) ** 2).mean()
            loss = pg_loss - 0.0 * entropy.mean() + v_loss * 0.5
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
            opt.step()
    return {"approx_kl": approx_kl.item(), "old_approx_kl": old_approx_kl.item(), "clipfrac": float(np.mean(clipfracs))}


def rlnb_update(agent, opt):
    out = ppo_update(agent, opt, batch, update_epochs=a.epochs, num_minibatches=a.minibatches, clip=0.2, ent_coef=0.0,
                     vf_coef=0.5, max_grad_norm=0.5, target_kl=100, gen=torch.Generator(dev).manual_seed(0))
    return {k: v.item() if torch.is_tensor(v) else v for k, v in out.items()}  # metrics reach the host once per update, as the runner does


def timed(fn):
    torch.manual_seed(0); np.random.seed(0)
    agent = ActorCritic(OBS, ACT).to(dev)
    opt = torch.optim.Adam(agent.parameters(), lr=3e-4, eps=1e-5)
    fn(agent, opt); sync()  # warm-up
    best = float("inf")
    for _ in range(a.repeats):
        t = time.perf_counter(); fn(agent, opt); sync(); best = min(best, time.perf_counter() - t)
    return best


print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, device={dev}; batch {B} = {a.envs} envs x {a.steps} steps, "
      f"{a.epochs} epochs x {a.minibatches} minibatches, 3x256 Tanh actor and critic")
ref, ours = timed(reference_update), timed(rlnb_update)
print(f"reference (CleanRL style): {ref:.3f} s per update phase")
print(f"rlnb ppo_update:           {ours:.3f} s per update phase")
print(f"ratio reference / rlnb:    {ref / ours:.2f}  (goal >= 1.0)")
