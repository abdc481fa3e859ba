"""EMPO phase 2: the async actor-learner trainer's throughput against the sync one, in the same run, on this machine.

python benchmarks/empo_async.py [--world rock] [--steps 3000] [--actors 1 2]
Each trainer runs `--steps` training steps (clock = training_steps for all, so the stages and schedules are the same)
from scratch, with one evaluation at the end; reported: wall time (actors' start-up included), training steps per
second, env steps per second, env steps per training step."""
import argparse, time
import torch
from rlnb.algos.empo import EMPO, EMPOConfig
from rlnb.core.runner import Runner

if __name__ == "__main__":  # the actors are spawned: this module is imported by them
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", default="rock")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--actors", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--steps-per-update", type=int, default=64)
    a = ap.parse_args()
    torch.set_num_threads(1)
    st = a.steps // 8
    rows = []
    for trainer, n in [("sync", 0)] + [("async", k) for k in a.actors]:
        cfg = EMPOConfig(world=a.world, gamma_h=0.95, beta_r=100, warmup_v_h_e_steps=st, warmup_x_h_steps=st,
                         warmup_q_r_steps=st, beta_r_rampup_steps=2 * st, eps_decay_steps=2 * st, total_steps=a.steps,
                         iterations=a.steps, cycles=1, dropout=0.0, device="cpu", quiet=True, clock="training_steps",
                         trainer=trainer, num_actors=max(n, 1), actor_steps_per_update=a.steps_per_update,
                         eval_episodes=50)
        algo = EMPO(cfg)
        runner = Runner(algo, cfg)
        t0 = time.perf_counter()
        try: runner.run()
        finally: algo.close()
        wall = time.perf_counter() - t0
        c, last = runner.counters, runner.log.rows[-1]
        rows.append((f"{trainer}" + (f" x{n}" if n else ""), wall, c.grad_steps / wall, c.env_steps / wall,
                     c.env_steps / c.grad_steps, last["eval/err_V_h_e"], last["eval/freed"]))
    print(f"world {a.world}, {a.steps} training steps each (actor_steps_per_update={a.steps_per_update})")
    print(f"{'trainer':10} {'wall s':>7} {'train/s':>8} {'env/s':>9} {'env/train':>9} {'err_V_h_e':>9} {'freed':>6}")
    for r in rows: print(f"{r[0]:10} {r[1]:7.1f} {r[2]:8.0f} {r[3]:9.0f} {r[4]:9.2f} {r[5]:9.4f} {r[6]:6.2f}")
    s = rows[0]
    for r in rows[1:]:
        print(f"{r[0]} / sync: training steps per second {r[2] / s[2]:.2f}x, env steps per second {r[3] / s[3]:.1f}x")
