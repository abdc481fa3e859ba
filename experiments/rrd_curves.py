"""The evaluation curves of an RRD PickLite sweep as one table (the findings page reads it):
    python experiments/rrd_curves.py runs/sweep-rrd_picklite_demos data/sweeps/rrd_picklite_demos/curves.csv
One row per (point, evaluation): arm, seed, env_steps, evaluation success (any step / at the end), return, reward fit."""
import sys
import pandas as pd
from sweep_rows import eval_rows  # experiments/sweep_rows.py

def arm(cfg: dict) -> str:
    if cfg["algo"] == "sac": return "SAC, delayed reward" if cfg.get("delayed_reward") else "SAC, dense reward (oracle)"
    return f"SAC + RRD, K = {cfg['rrd_k']}" + (" corrected" if cfg.get("bias_correction") else "")

def curves(sweep: str) -> pd.DataFrame:
    rows = []
    for cfg, r in eval_rows(sweep):
        rows.append({"arm": arm(cfg), "seed": cfg["seed"], "env_steps": int(r.env_steps), "time_s": r.time_s,
                     "eval/success": r["eval/success"], "eval/success_at_end": r["eval/success_at_end"],
                     "eval/return": r["eval/return"], "eval/reward_corr": r.get("eval/reward_corr")})
    return pd.DataFrame(rows)

if __name__ == "__main__":
    df = curves(sys.argv[1])
    df.to_csv(sys.argv[2], index=False)
    print(df.groupby(["arm", "env_steps"])["eval/success"].agg(["mean", "min", "max"]).to_string())
