"""What the curve scripts of experiments/ share: every evaluated row of every point of a sweep folder, with the point's
resolved config (the scripts label their arms from it). Imported by experiments/*_curves.py (run as scripts from the
project root, so this folder is on the path)."""
import glob, os
import pandas as pd, yaml

def eval_rows(sweep: str, metric: str = "eval/success"):
    "(config, row) for every row of every point's results.csv where `metric` was evaluated, points in order."
    for f in sorted(glob.glob(os.path.join(sweep, "points", "*", "results.csv"))):
        cfg = yaml.safe_load(open(os.path.join(os.path.dirname(f), "config.yaml")))
        for _, r in pd.read_csv(f).dropna(subset=[metric]).iterrows(): yield cfg, r
