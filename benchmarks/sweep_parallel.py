"""A sweep of CPU-bound points on Ray with one slot per core (2 here) against the same points' commands run one after
another, in one run; and the per-point overhead of Ray (+ papermill for a notebook point).

    python benchmarks/sweep_parallel.py [--points 4] [--timesteps 16384000]

Each point is `rlnb train demo` (the runner's batched bandit, one thread) with its own learning rate. The reference runs
exactly the commands the sweep's tasks run (rlnb.sweep.point_argv), one after another, each with one thread. Overhead:
a point's wall-clock inside its Ray task minus the run's own training time (`time_s` of its last row: the command's start,
torch import, config, checkpoint and log writing are in both), and the sweep's wall-clock minus the longest chain of
point times; a notebook point adds papermill and a kernel (`analyze demo_seeds`, one seed).
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd
from rlnb.sweep import load_sweep, point_argv, run_sweep, sweep_points

ap = argparse.ArgumentParser()
ap.add_argument("--points", type=int, default=4)
ap.add_argument("--timesteps", type=int, default=16_384_000)
a = ap.parse_args()
work = Path(tempfile.mkdtemp(prefix="sweep-bench-"))
os.chdir(work)
spec = {"target": "train demo", "set": {"total_timesteps": a.timesteps, "num_envs": 2048, "eval_episodes": 4096},
        "grid": {"lr": [0.001 * (i + 1) for i in range(a.points)]}, "seeds": [0]}
exe = shutil.which("rlnb", path=str(Path(sys.executable).parent))

# one after another: the very commands the sweep runs, with one thread each (as in the sweep) and with torch's default
# (one per core), the best a serial loop on this machine does
sw, exe_env = load_sweep(spec), {**os.environ, "MKL_NUM_THREADS": "1"}
def serial(threads):
    t0, per = time.time(), []
    for p in sweep_points(sw):
        tmp = Path(tempfile.mkdtemp(dir=work))
        argv = [x.replace("{TMP}", str(tmp)) for x in point_argv(sw, p)]
        s = time.time()
        env = {**os.environ, "RLNB_HOME": str(tmp)} | ({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"} if threads == 1 else {})
        if threads != 1: env.pop("OMP_NUM_THREADS", None)
        subprocess.run([exe, *argv], cwd=tmp, check=True, capture_output=True, env=env)
        per.append(time.time() - s)
    return time.time() - t0, per
t_seq, seq = serial(1)
t_seq2, seq2 = serial(0)

t0 = time.time()
root = run_sweep(spec, work / "sweep", report=False, quiet=True)
t_par = time.time() - t0
st = json.loads((root / "state.json").read_text())
own = {pid: float(pd.read_csv(root / "points" / pid / "results.csv")["time_s"].iloc[-1]) for pid in st}
in_task = {pid: v["time_s"] for pid, v in st.items()}

nb = {"target": "analyze demo_seeds", "set": {"total_timesteps": a.timesteps}, "results": "results.csv", "seeds": [0]}
t0 = time.time()
nroot = run_sweep(nb, work / "nb", report=False, quiet=True)
t_nb = time.time() - t0
nst = next(iter(json.loads((nroot / "state.json").read_text()).values()))
nown = float(pd.read_csv(next((nroot / "points").rglob("results.csv")))["time_s"].iloc[-1])

print(f"{a.points} points of `rlnb train demo` ({a.timesteps:,} env steps each), {os.cpu_count()} cores")
print(f"one after another, 1 thread:      {t_seq:7.1f} s  (per point {', '.join(f'{x:.1f}' for x in seq)} s)")
print(f"one after another, torch default: {t_seq2:7.1f} s  (per point {', '.join(f'{x:.1f}' for x in seq2)} s)")
print(f"sweep on Ray, {os.cpu_count()} slots:           {t_par:7.1f} s  -> ratio {t_par / t_seq:.2f} against 1 thread, "
      f"{t_par / t_seq2:.2f} against the default (target <= 0.6)")
print(f"training time inside a point: {sum(own.values()) / len(own):7.1f} s mean; the point's wall-clock in its Ray task "
      f"{sum(in_task.values()) / len(in_task):.1f} s mean -> command overhead {sum(in_task[k] - own[k] for k in st) / len(st):.1f} s")
print(f"sweep wall-clock minus its points' time over {os.cpu_count()} slots: "
      f"{t_par - sum(in_task.values()) / os.cpu_count():.1f} s (Ray start, gathering, state writes)")
print(f"a notebook point (analyze demo_seeds, 1 seed): {nst['time_s']:.1f} s in its task, training {nown:.1f} s -> "
      f"papermill + kernel + command overhead {nst['time_s'] - nown:.1f} s; whole sweep {t_nb:.1f} s")
shutil.rmtree(work, ignore_errors=True)
