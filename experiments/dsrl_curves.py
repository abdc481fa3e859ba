"""The evaluation curves of a DSRL sweep as one table (the findings page reads it):
    python experiments/dsrl_curves.py runs/sweep-dsrl_picklite data/sweeps/dsrl_picklite/curves.csv
One row per (point, evaluation): method, seed, env_steps, wall-clock, training and evaluation success, q values."""
import sys
import pandas as pd
from sweep_rows import eval_rows  # experiments/sweep_rows.py

def method(cfg: dict) -> str:
    m = ("DSRL-NA" if cfg["critic_space"] == "action" else "DSRL-SAC") + (" + stage 1" if cfg.get("latent_init") else "")
    if cfg.get("latent_init"):
        m += f" (warm-up: {cfg.get('warmup_latents', 'actor')}" + (f", actor_starts {cfg['actor_starts']})" if cfg.get("actor_starts") else ")")
    return m

def curves(sweep: str) -> pd.DataFrame:
    rows = []
    for cfg, r in eval_rows(sweep):
        rows.append({"method": method(cfg), "seed": cfg["seed"], "env_steps": int(r.env_steps), "time_s": r.time_s,
                     "success_train": r.success, "eval/success": r["eval/success"],
                     "eval/success_stochastic": r["eval/success_stochastic"], "q_mean": r.get("q_mean"),
                     "q_policy": r["eval/q_policy"], "q_prior": r["eval/q_prior"]})
    return pd.DataFrame(rows)

if __name__ == "__main__":
    df = curves(sys.argv[1])
    df.to_csv(sys.argv[2], index=False)
    print(df.groupby(["method", "env_steps"])["eval/success"].agg(["mean", "min", "max"]).to_string())
