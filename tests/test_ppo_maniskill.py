"A short PPO run on ManiSkill PickCube-v1 (CPU, 2 worker processes): it runs, logs, checkpoints and resumes exactly."
import pandas as pd
from conftest import cli

MS = ["-s", "env_id=PickCube-v1", "-s", "num_envs=2", "-s", "num_steps=10", "-s", "cycles=1", "-s", "num_minibatches=2",
      "-s", "eval_episodes=2", "-s", "hidden=32", "-s", "layers=2", "-s", "quiet=true"]


def table(run):
    return pd.read_csv(run / "results.csv").filter(regex="^(?!time_)")


def test_ppo_on_maniskill_cpu_runs_and_resumes_exactly(work):
    cli("train", "ppo", *MS, "-s", "total_timesteps=40", "-s", "name=short", check=0)
    run = work / "runs" / "short"
    for f in ("config.yaml", "run.json", "latest.pt", "best.pt", "results.csv", "results.md", "curve.png"): assert (run / f).exists(), f
    assert list((run / "tb").iterdir())
    t = table(run)
    assert t.env_steps.tolist() == [20, 40] and "eval/success" in t and t["v_loss"].notna().all()
    cli("resume", str(run), "-s", "total_timesteps=60", check=0)
    cli("train", "ppo", *MS, "-s", "total_timesteps=60", "-s", "name=direct", check=0)
    assert table(run).equals(table(work / "runs" / "direct"))
