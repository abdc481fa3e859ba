"""EMPO phase 2 on a grid world: learned vs exact per evaluation, the world's env steps per second (with transition
probabilities) and training steps per second, each against a reference in the same run.

python benchmarks/empo_train.py [--world rock] [--steps 16000] [--stage 2000] [--dropout 0.0] [--seed 0]
Stages: V_h^e, X_h, Q_r of --stage env steps each, a ramp of 2 x --stage, epsilon decay over 2 x --stage."""
import argparse, time
import numpy as np
import torch
from rlnb.algos.empo import EMPO, EMPOConfig
from rlnb.core.runner import Runner
from rlnb.envs.gridworld import joint_actions, load_world

ap = argparse.ArgumentParser()
ap.add_argument("--world", default="rock")
ap.add_argument("--steps", type=int, default=16000)
ap.add_argument("--stage", type=int, default=2000)
ap.add_argument("--dropout", type=float, default=0.0)
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()
torch.set_num_threads(1)

w = load_world(a.world)
rng = np.random.default_rng(0)
acts = joint_actions(w.n_agents)
t0, n, s = time.perf_counter(), 0, w.initial_state()
while time.perf_counter() - t0 < 2:
    succ = w.transition_probabilities(s, acts[rng.integers(len(acts))])
    s = succ[rng.choice(len(succ), p=[p for p, _ in succ])][1]
    n += 1
    if w.is_terminal(s): s = w.initial_state()
step_rate = n / (time.perf_counter() - t0)
t0, m = time.perf_counter(), 0
while time.perf_counter() - t0 < 2:
    for b in acts: w.transition_probabilities(s if not w.is_terminal(s) else w.initial_state(), b)
    m += 1
print(f"world {a.world}: {step_rate:,.0f} env steps/s (one joint action, sampled); {m / 2:,.0f} states/s with every joint "
      f"action's successors ({len(acts)} calls: the model-based targets' cache)")

st = a.stage
cfg = EMPOConfig(world=a.world, gamma_h=0.95, beta_r=100, warmup_v_h_e_steps=st, warmup_x_h_steps=st, warmup_q_r_steps=st,
                 beta_r_rampup_steps=2 * st, eps_decay_steps=2 * st, total_steps=a.steps, iterations=1000,
                 cycles=max(1, a.steps // 4000), dropout=a.dropout, device="cpu", quiet=True, seed=a.seed)
algo = EMPO(cfg)
t0 = time.perf_counter()
runner = Runner(algo, cfg)
runner.run()
wall = time.perf_counter() - t0
keys = ["err_V_h_e", "err_X_h", "err_Q_r", "kl_pi_r", "kl_pi_r_s0", "freed", "freed_exact"]
print("env_steps  " + "  ".join(f"{k:>10}" for k in keys))
for r in runner.log.rows:
    if "eval/freed" in r: print(f"{r['env_steps']:>9}  " + "  ".join(f"{r['eval/' + k]:>10.4f}" for k in keys))
print(f"training: {a.steps} env steps and {a.steps} training steps in {wall:.1f} s ({a.steps / wall:.0f} per s, "
      f"evaluations included)")
t0 = time.perf_counter()
for _ in range(200): algo.update()
upd = (time.perf_counter() - t0) / 200
t0 = time.perf_counter()
for _ in range(200): algo.collect()
col = (time.perf_counter() - t0) / 200
print(f"one training step (all three networks): {1e3 * upd:.2f} ms; one collect step: {1e3 * col:.2f} ms")
