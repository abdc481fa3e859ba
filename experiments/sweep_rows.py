"""What the curve scripts of experiments/ share: every evaluated row of every finished point of a sweep folder, with the
point's resolved config (the scripts label their arms from it). Imported by experiments/*_curves.py (run as scripts from
the project root, so this folder is on the path)."""
import pandas as pd, yaml
from rlnb.sweep import open_sweep

def eval_rows(sweep: str, metric: str = "eval/success"):
    "(config, row) for every row of every done point's results.csv where `metric` was evaluated, points in the sweep's order."
    f = open_sweep(sweep)
    for p in f.points:
        if f.state.get(p["id"], {}).get("state") != "done": continue
        d = f.root / "points" / p["id"]
        cfg = yaml.safe_load((d / "config.yaml").read_text())
        for _, r in pd.read_csv(d / "results.csv").dropna(subset=[metric]).iterrows(): yield cfg, r
