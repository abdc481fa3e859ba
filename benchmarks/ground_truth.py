"""Ground truth for the ranking analysis: 256 states x 8 actions x 10 Monte-Carlo re-rollouts (+ E held-out,
recorded) on PickLite-v0, timed. Goal (issue 6): under 2 minutes on 2 CPU cores.

    python benchmarks/ground_truth.py [--states 256 --K 8 --M 10 --E 4 --replicas 4096 --device cpu]
                                      [--checkpoint data/picklite-ppo-rung40.pt | --hidden 256 --layers 3]

With --hidden/--layers a freshly initialised policy of that size is used instead of the checkpoint (the cost of
re-rollouts grows with the policy's forward pass).
"""
import argparse, time
from pathlib import Path
import torch
from rlnb.envs.picklite import PickLite
from rlnb.policies.networks import ActorCritic
from rlnb.analysis.ranking import ground_truth, load_policy

p = argparse.ArgumentParser()
p.add_argument("--states", type=int, default=256); p.add_argument("--K", type=int, default=8)
p.add_argument("--M", type=int, default=10); p.add_argument("--E", type=int, default=4)
p.add_argument("--replicas", type=int, default=4096); p.add_argument("--device", default="cpu")
p.add_argument("--checkpoint", default=str(Path(__file__).parent.parent / "data" / "picklite-ppo-rung40.pt"))
p.add_argument("--hidden", type=int); p.add_argument("--layers", type=int)
a = p.parse_args()
if a.hidden:
    torch.manual_seed(0)
    agent = ActorCritic(17, 4, a.hidden, a.layers or 2).to(a.device).requires_grad_(False)
    what = f"fresh policy {a.layers or 2}x{a.hidden}"
else:
    agent, pre = load_policy(a.checkpoint, device=a.device)
    what = f"{a.checkpoint} ({pre['config']['layers']}x{pre['config']['hidden']})"
print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, device={a.device}; policy: {what}")
env = PickLite(64, device=a.device, reward="dense")
rep = PickLite(a.replicas, device=a.device, reward="dense")
t = time.perf_counter()
gt = ground_truth(env, agent.act, n_states=a.states, K=a.K, M=a.M, E=a.E, gamma=0.8, seed=0, replica_env=rep)
dt = time.perf_counter() - t
print(f"{a.states} states x {a.K} actions x ({a.M} truth + {a.E} recorded) rollouts: {dt:.1f} s, "
      f"{gt['env_steps']:,} env steps ({gt['env_steps'] / dt:,.0f}/s); goal < 120 s: {'met' if dt < 120 else 'NOT met'}")
