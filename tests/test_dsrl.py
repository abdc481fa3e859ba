"DSRL (issue 14): the three stages through `rlnb dsrl`, exact resume, the health report on a broken run, bad input is one sentence."
import shutil
import pandas as pd
import pytest
import torch
from conftest import assert_user_error, cli, snapshot
from rlnb.api import record_dataset
from rlnb.core.checkpoint import load_checkpoint

COMMON = ["-s", "device=cpu", "-s", "quiet=true", "-s", "eval_episodes=10", "-s", "hidden=32", "-s", "layers=2"]
STAGE2 = COMMON + ["-s", "learning_starts=100", "-s", "batch_size=32", "-s", "utd=2", "-s", "eval_every=200", "-s", "iterations=100"]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    "Noisy scripted PickLite demos and a small AWSC base policy (pred 4, act 2) trained on them with `rlnb dsrl stage0`."
    d = tmp_path_factory.mktemp("dsrl")
    record_dataset("PickLite-v0", d / "demos", episodes=60, num_envs=20, policy="scripted", noise=0.3, seed=1, device="cpu")
    cli("dsrl", "stage0", str(d / "demos.h5"), *COMMON, "-s", "grad_steps_AWSC=200", "-s", "pred_horizon=4", "-s", "act_horizon=2",
        "-s", "batch_size=64", "-s", "cycles=2", "-s", "name=base", cwd=d, check=0)
    return d


def _frame(run):
    return pd.read_csv(run / "results.csv").filter(regex="^(?!time_)")


def test_the_three_stages_through_the_cli(base, work):
    b = base / "runs" / "base"
    assert {"flow_loss", "shortcut_loss", "critic_loss", "eval/success"} <= set(pd.read_csv(b / "results.csv"))
    before = (b / "latest.pt").read_bytes()
    p = cli("dsrl", "stage1", str(b / "latest.pt"), *COMMON, "-s", "grad_steps_AWMLE=100", "-s", "num_candidates=8", "-s", "batch_size=32",
            "-s", "cycles=2", "-s", "name=s1", check=0)
    assert "health report (stage 1)" in p.stdout and "eff_num" in p.stdout
    s1 = work / "runs" / "s1"
    t1 = pd.read_csv(s1 / "results.csv")
    assert {"nll_loss", "kl_loss", "eff_num", "corr_A_logprob", "eval/q_policy", "eval/q_prior"} <= set(t1)
    assert t1.eff_num.dropna().between(1, 8).all()
    assert (s1 / "health.md").read_text().count("| PASS |") + (s1 / "health.md").read_text().count("| WARN |") == 3
    p = cli("dsrl", "stage2", str(b / "latest.pt"), "--stage1", str(s1 / "latest.pt"), *STAGE2, "-s", "env_steps_DSRL=400",
            "-s", "name=s2", check=0)
    assert "health report (stage 2)" in p.stdout and "td_error trending down" in p.stdout
    s2 = work / "runs" / "s2"
    t2 = pd.read_csv(s2 / "results.csv")
    assert {"td_error", "q_mean", "alpha", "entropy", "actor_loss", "critic_loss", "eval/success", "eval/q_bound"} <= set(t2)
    assert list((s2 / "tb").glob("events.*")) and (s2 / "config.yaml").exists() and (s2 / "health.md").exists()
    st = load_checkpoint(s2 / "latest.pt")
    assert st["counters"]["env_steps"] == 400 and st["algo_state"]["macro_steps"] >= 400 // 2
    assert st["config"]["latent_init"] == str(s1 / "latest.pt")
    assert (b / "latest.pt").read_bytes() == before  # the base policy is read, never written
    assert "DSRL stage2" in (work / "experiments" / "log.md").read_text()


def test_stage2_resume_equals_the_uninterrupted_run_with_the_action_space_critic(base, work):
    bp = str(base / "runs" / "base" / "latest.pt")
    na = ["-s", "critic_space=action"]
    cli("dsrl", "stage2", bp, *STAGE2, *na, "-s", "env_steps_DSRL=400", "-s", "name=a", check=0)
    cli("dsrl", "stage2", bp, *STAGE2, *na, "-s", "env_steps_DSRL=200", "-s", "name=b", check=0)
    cli("resume", str(work / "runs" / "b"), "-s", "env_steps_DSRL=400", check=0)
    ta, tb = _frame(work / "runs" / "a"), _frame(work / "runs" / "b")
    pd.testing.assert_frame_equal(ta, tb)
    assert "distill_loss" in ta and ta.distill_loss.notna().any()
    sa, sb = (load_checkpoint(work / "runs" / n / "latest.pt")["algo_state"] for n in "ab")
    for k in ("actor", "critic", "critic_a", "critic_a_t", "opt_critic_a"):
        for x, y in zip(sa[k].values(), sb[k].values()):
            if isinstance(x, torch.Tensor): assert torch.equal(x, y), k
    for k in ("buffer", "queue", "macro"):
        for key, x in sa[k].items():
            if isinstance(x, torch.Tensor): assert torch.equal(x, sb[k][key]), (k, key)
    assert torch.equal(sa["pending"], sb["pending"]) and sa["macro_steps"] == sb["macro_steps"]


def test_health_report_warns_on_a_broken_run(base, work):
    "A critic learning rate far too high: the Q-values leave what the rewards allow, and the report says so with the seed's advice."
    bp = str(base / "runs" / "base" / "latest.pt")
    p = cli("dsrl", "stage2", bp, *STAGE2, "-s", "env_steps_DSRL=600", "-s", "lr_critic=3", "-s", "name=broken", check=0)
    assert "WARN" in p.stdout and "reduce critic_lr" in p.stdout, p.stdout
    report = (work / "runs" / "broken" / "health.md").read_text()
    assert "| WARN |" in report and "Q-values exploding" in report


def test_nan_stops_the_run_with_its_last_checkpoint(base, work):
    bp = str(base / "runs" / "base" / "latest.pt")
    cli("dsrl", "stage2", bp, *STAGE2, "-s", "env_steps_DSRL=200", "-s", "name=n", check=0)
    ck = (work / "runs" / "n" / "latest.pt").read_bytes()
    p = cli("resume", str(work / "runs" / "n"), "-s", "env_steps_DSRL=600", "-s", "lr_critic=1e30")
    assert_user_error(p, "diverged")
    assert (work / "runs" / "n" / "latest.pt").read_bytes() == ck


@pytest.mark.parametrize("args, words", [
    (["stage2"], ["needs a base policy"]),
    (["stage2", "{base}", "-s", "action_magnitude=0"], ["action_magnitude"]),
    (["stage2", "{base}", "-s", "act_horizon=8"], ["act_horizon=8", "pred_horizon=4"]),
    (["stage2", "{base}", "-s", "env_id=Pendulum-v1"], ["PickLite-v0", "env_id=PickLite-v0"]),
    (["stage2", "{demos}"], ["not a torch file"]),
    (["stage2", "{base}", "-s", "latent_init={other_s1}"], ["latent_init", "sizes"]),
    (["stage1", "{base}", "-s", "num_candidates=0"], ["num_candidates"]),
    (["stage1", "{base}", "-s", "dataset={pendulum}"], ["Pendulum-v1", "PickLite-v0"]),
    (["stage0", "{demos}", "-s", "pred_horizon=4", "-s", "act_horizon=8"], ["act_horizon=8 executes more actions"]),
])
def test_bad_input_is_one_sentence_and_writes_nothing(base, work, args, words):
    paths = {"base": base / "runs" / "base" / "latest.pt", "demos": base / "demos.h5", "other_s1": _other_stage1(base),
             "pendulum": _pendulum(base)}
    args = [a.format(**paths) for a in args]
    before = snapshot(work)
    assert_user_error(cli("dsrl", *args, "-s", "device=cpu"), *words)
    assert snapshot(work) == before and not (work / "runs").exists()


def _other_stage1(d):
    "A stage-1 checkpoint of a base policy with another chunk size (pred 2): its latent policy does not fit the pred-4 base."
    out = d / "runs" / "s1-other" / "latest.pt"
    if not out.exists():
        cli("dsrl", "stage0", str(d / "demos.h5"), *COMMON, "-s", "grad_steps_AWSC=20", "-s", "pred_horizon=2", "-s", "act_horizon=2",
            "-s", "cycles=1", "-s", "name=base-other", cwd=d, check=0)
        cli("dsrl", "stage1", str(d / "runs" / "base-other" / "latest.pt"), *COMMON, "-s", "grad_steps_AWMLE=5", "-s", "num_candidates=2",
            "-s", "batch_size=8", "-s", "cycles=1", "-s", "name=s1-other", cwd=d, check=0)
    return out


def _pendulum(d):
    "Demonstrations of another task."
    out = d / "pendulum.h5"
    if not out.exists(): record_dataset("Pendulum-v1", d / "pendulum", episodes=2, num_envs=1, policy="random", seed=0, device="cpu")
    return out


def test_the_analysis_notebook_runs_the_pipeline_on_one_page(base, work):
    "`rlnb analyze dsrl` (papermill): stage 1 and stage 2 on a given base policy, one folder, health reports, base bytes unchanged."
    bp = base / "runs" / "base" / "latest.pt"
    before = bp.read_bytes()
    small = "hidden: 32, layers: 2, eval_episodes: 5, batch_size: 32"
    p = cli("analyze", "dsrl", "-p", f"base={bp}", "-p", f"stage1_overrides={{{small}, grad_steps_AWMLE: 20, num_candidates: 8, cycles: 1}}",
            "-p", f"stage2_overrides={{{small}, env_steps_DSRL: 200, learning_starts: 100, utd: 2, eval_every: 100, iterations: 100}}",
            check=0)
    assert "dsrl.html" in p.stdout
    (out,) = (work / "runs").iterdir()
    assert sorted(d.name for d in out.iterdir() if d.is_dir()) == ["stage1", "stage2"]
    assert load_checkpoint(out / "stage2" / "latest.pt")["config"]["latent_init"] == str(out / "stage1" / "latest.pt")
    page = (out / "dsrl.html").read_text()
    assert "Health report: DSRL stage 1" in page and "Health report: DSRL stage 2" in page and "byte-identical" in page
    assert bp.read_bytes() == before
    before = snapshot(work)
    assert_user_error(cli("analyze", "dsrl"), "either demos", "base")  # neither given: one sentence, nothing written
    assert snapshot(work) == before
