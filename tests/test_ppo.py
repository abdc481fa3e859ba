"PPO's pieces: GAE, the clipped loss, the target_kl stop, determinism, the ladder, fine-tuning input checks."
import pytest
import torch
from conftest import assert_user_error, check_comparison_table, cli, snapshot
from rlnb.core.config import load_config
from rlnb.core.base import RlnbError
from rlnb.algos.ppo import PPO, ppo_loss, ppo_update
from rlnb.policies.networks import ActorCritic
from rlnb.policies.advantages import gae
from rlnb.policies.checkpoints import pick_checkpoint
from rlnb.core.runner import Runner

SMALL = dict(num_envs=64, num_steps=20, total_timesteps=64 * 20 * 4, cycles=2, hidden=32, layers=2,
             eval_episodes=16, num_minibatches=4, quiet=True)


def test_gae_by_hand_with_terminations_and_truncations():
    # two envs, 4 steps. env 0: truncated at 1 (final state worth 10), terminated at 3.
    # env 1: no episode end; bootstraps from V(s_4) = 2 at the last step.
    r = torch.tensor([[1., 0.], [1., 0.], [1., 0.], [1., 1.]])
    v = torch.ones(4, 2)
    nv = torch.tensor([[1., 1.], [10., 1.], [1., 1.], [0., 2.]])
    term = torch.tensor([[0, 0], [0, 0], [0, 0], [1, 0]]).bool()
    done = torch.tensor([[0, 0], [1, 0], [0, 0], [1, 0]]).bool()
    g, lam = 0.5, 0.5
    adv, ret = gae(r, v, nv, term, done, g, lam)
    # env 0: d3 = 0, d2 = 0.5, d1 = 5, d0 = 0.5; A3 = 0, A2 = 0.5, A1 = 5 (cut), A0 = 0.5 + 0.25*5
    assert torch.allclose(adv[:, 0], torch.tensor([1.75, 5.0, 0.5, 0.0]))
    # env 1: d = r + 0.5 nv - 1: d0 = -0.5, d1 = -0.5, d2 = -0.5, d3 = 1 + 1 - 1 = 1
    # A3 = 1, A2 = -0.5 + 0.25, A1 = -0.5 + 0.25*(-0.25), A0 = -0.5 + 0.25*A1
    a3 = 1.0; a2 = -0.5 + 0.25 * a3; a1 = -0.5 + 0.25 * a2; a0 = -0.5 + 0.25 * a1
    assert torch.allclose(adv[:, 1], torch.tensor([a0, a1, a2, a3]))
    assert torch.allclose(ret, adv + v)


def test_clipped_loss_by_hand():
    torch.manual_seed(0)
    ag = ActorCritic(3, 1, hidden=8, layers=1)
    obs, act = torch.randn(2, 3), torch.randn(2, 1)
    logp = ag.dist(obs).log_prob(act).sum(-1).detach()
    # old log-probs shifted so the ratios are e^0.5 (above 1 + clip) and e^-0.5 (below 1 - clip)
    old = logp - torch.tensor([0.5, -0.5])
    adv = torch.tensor([1.0, -1.0])  # normalised: +0.7071, -0.7071
    loss, m = ppo_loss(ag, obs, act, old, adv, torch.zeros(2), clip=0.2, ent_coef=0.0, vf_coef=0.0)
    a = 1 / 2 ** 0.5
    # env 0: A > 0, ratio 1.6487 -> clipped to 1.2: -(1.2 a); env 1: A < 0, ratio 0.6065 -> clipped 0.8: -(-a)(0.8) ...
    # max(-A r, -A clip(r)): env 0: max(-1.6487a, -1.2a) = -1.2a; env 1: max(0.6065a, 0.8a) = 0.8a
    assert torch.allclose(m["pg_loss"], torch.tensor((-1.2 * a + 0.8 * a) / 2), atol=1e-5)
    assert m["clipfrac"] == 1.0


def test_target_kl_stops_the_update():
    torch.manual_seed(0)
    ag = ActorCritic(4, 2, hidden=16, layers=1)
    batch = {"obs": torch.randn(256, 4), "act": torch.randn(256, 2), "adv": torch.randn(256), "ret": torch.randn(256)}
    batch["logp"] = ag.dist(batch["obs"]).log_prob(batch["act"]).sum(-1).detach() - 0.3  # already far from the old policy
    opt = torch.optim.Adam(ag.parameters(), lr=1e-3)
    kw = dict(update_epochs=8, num_minibatches=4, clip=0.2, ent_coef=0.0, vf_coef=0.5, max_grad_norm=0.5, gen=torch.Generator())
    assert ppo_update(ag, opt, batch, target_kl=1e-3, **kw)["upd_epochs"] == 1
    assert ppo_update(ag, opt, batch, target_kl=100, **kw)["upd_epochs"] == 8


def run(**ov):
    cfg = load_config("ppo", overrides=SMALL | ov, env={})
    r = Runner(PPO(cfg), cfg)
    r.run()
    return r


def test_same_seed_same_metrics():
    a, b = run(seed=3).log.frame(), run(seed=3).log.frame()
    keep = lambda df: df.filter(regex="^(?!time_)")  # wall-clock times differ between runs
    assert keep(a).equals(keep(b))
    c = run(seed=4).log.frame()
    assert not keep(a).equals(keep(c))


def test_ladder_pick_and_finetune_checks(work):
    cli("train", "ppo", *sum((["-s", f"{k}={v}"] for k, v in (SMALL | dict(ladder_every=1, name="pre", epochs=3,
        total_timesteps=64 * 20 * 6)).items()), []), check=0)
    run_dir = work / "runs" / "pre"
    assert len(list((run_dir / "ladder").glob("ckpt_*.pt"))) == 3
    p = pick_checkpoint(run_dir, 0.4)
    assert p.parent.name == "ladder"
    with pytest.raises(RlnbError, match=r"target success must be in \[0, 1\]"): pick_checkpoint(run_dir, 1.5)
    before = snapshot(work)
    assert_user_error(cli("train", "ppo", "-s", f"pretrained={p}", "-s", "env_id=Pendulum-v1", "-s", "quiet=true"),
                      "was trained on PickLite-v0")
    assert_user_error(cli("train", "ppo", "-s", f"pretrained={p}", "-s", "hidden=64", "-s", "quiet=true"), "network sizes")
    assert snapshot(work) == before


def test_closed_form_log_prob_matches_torch_normal():
    ag = ActorCritic(5, 3)
    with torch.no_grad(): ag.log_std.copy_(torch.tensor([-0.3, 0.1, -1.0]))
    o, a = torch.randn(7, 5), torch.randn(7, 3)
    lp, ent = ag.log_prob_entropy(o, a)
    d = ag.dist(o)
    assert torch.allclose(lp, d.log_prob(a).sum(-1), atol=1e-5) and torch.allclose(ent, d.entropy().sum(-1), atol=1e-5)


def test_ppo_resume_extends_exactly(work):
    args = sum((["-s", f"{k}={v}"] for k, v in SMALL.items() if k != "total_timesteps"), [])
    cli("train", "ppo", *args, "-s", f"total_timesteps={64 * 20 * 2}", "-s", "name=a", check=0)
    cli("resume", str(work / "runs" / "a"), "-s", f"total_timesteps={64 * 20 * 4}", check=0)
    cli("train", "ppo", *args, "-s", f"total_timesteps={64 * 20 * 4}", "-s", "name=b", check=0)
    import pandas as pd
    ta, tb = (pd.read_csv(work / "runs" / n / "results.csv").filter(regex="^(?!time_)") for n in "ab")
    assert len(ta) == 4 and ta.equals(tb)


def test_evaluate_and_finetune_commands(work):
    args = sum((["-s", f"{k}={v}"] for k, v in SMALL.items()), [])
    cli("pretrain", *args, "-s", "name=pre", check=0)
    p = cli("ladder", "runs/pre", check=0)
    assert "ckpt_" in p.stdout and "success_stochastic" in p.stdout
    p = cli("evaluate", "runs/pre/best.pt", "-n", "8", check=0)
    assert "success_once" in p.stdout and "success_at_end" in p.stdout
    p = cli("finetune", "runs/pre", "--target", "0.4", *args, "-s", "name=fine", check=0)
    assert "starting from runs/pre/ladder/ckpt_" in p.stdout
    assert (work / "runs" / "fine" / "results.csv").exists()
    before = snapshot(work)
    assert_user_error(cli("finetune", "runs/pre", "--target", "1.4", *args), "target success must be in [0, 1]")
    assert_user_error(cli("evaluate", "runs/pre/nothing.pt"), "nothing.pt")
    assert snapshot(work) == before


def test_main_job_end_to_end_at_qa_size(work):
    "rlnb main with QA_STEPS: pretraining with a ladder, a picked rung, fine-tuning, summary table, plot, TensorBoard, log entries."
    p = cli("main", "--seeds", "0", env={"QA_STEPS": "5000"}, check=0)
    assert "fine-tuned (GAE-PPO)" in p.stdout and "IQL-AWR (offline)" in p.stdout
    runs = work / "runs"
    summary = next(runs.glob("main-*"))
    for f in ("results.md", "results.csv", "curve.png"): assert (summary / f).stat().st_size > 0, f
    import pandas as pd
    t = pd.read_csv(summary / "results.csv")
    assert t.phase.tolist()[0].startswith("pretrained") and t.success.between(0, 1).all()
    assert t.success.iloc[0] >= t.success.iloc[1]  # the best pretraining evaluation is at least the picked rung's
    ppo_runs = sorted(runs.glob("ppo-*"))
    assert len(ppo_runs) == 2 and all(list((r / "tb").iterdir()) for r in ppo_runs)
    assert len(list((ppo_runs[0] / "ladder").glob("ckpt_*.pt"))) == 1  # QA: one 25,600-step iteration, one rung
    comp = pd.read_csv(summary / "comparison" / "table.csv")
    assert len(comp) == 5 and comp.seeds.eq(1).all()
    check_comparison_table(comp, k=16)
    assert (summary / "comparison" / "curve.png").stat().st_size > 0
    assert "Method comparison" in (summary / "results.md").read_text()
    log = (work / "experiments" / "log.md").read_text()
    assert log.count("main job") >= 3 and summary.name in log and log.count("comparison:") >= 6
    assert_user_error(cli("main", "--seeds", "a,b"), "parameter 'seeds' must be a non-empty list of ints (got 'a,b' from --seeds")


def test_checkpoint_for_other_sizes_is_refused(work):
    from rlnb.core.checkpoint import load_checkpoint, save_checkpoint
    args = sum((["-s", f"{k}={v}"] for k, v in (SMALL | {"epochs": 1}).items()), [])
    cli("pretrain", *args, "-s", "name=pre", check=0)
    ck = next((work / "runs" / "pre" / "ladder").glob("ckpt_*.pt"))
    st = load_checkpoint(ck); st["obs_dim"] = 42
    save_checkpoint(work / "other.pt", st)
    before = snapshot(work)
    assert_user_error(cli("finetune", "other.pt", *args), "observation/action sizes 42/4", "PickLite-v0 has 17/4")
    assert snapshot(work) == before


def test_critic_from_another_checkpoint(work):
    args = sum((["-s", f"{k}={v}"] for k, v in (SMALL | {"epochs": 1}).items()), [])
    cli("pretrain", *args, "-s", "name=a", check=0)
    cli("train", "ppo", *args, "-s", "name=b", "-s", "seed=7", check=0)
    a, b = work / "runs" / "a" / "latest.pt", work / "runs" / "b" / "latest.pt"
    cfg = load_config("ppo", overrides=SMALL | dict(pretrained=str(a), critic_from=str(b)), env={})
    algo = PPO(cfg)
    from rlnb.core.checkpoint import load_checkpoint
    sb, sa = load_checkpoint(b)["algo_state"]["agent"], load_checkpoint(a)["algo_state"]["agent"]
    own = algo.agent.state_dict()
    assert all(torch.equal(own[k], sb[k]) for k in own if k.startswith("critic."))
    assert all(torch.equal(own[k], sa[k]) for k in own if k.startswith("actor."))
    algo.close()
    before = snapshot(work)
    assert_user_error(cli("train", "ppo", *args, "-s", f"critic_from={b}", "-s", "hidden=16"), "other network sizes")
    assert_user_error(cli("train", "ppo", *args, "-s", "freeze_actor=true", "-s", "freeze_critic=true"), "leave nothing to train")
    assert snapshot(work) == before


def test_grad_steps_count_gradient_updates():
    "A PPO update phase of update_epochs x num_minibatches minibatch steps counts as that many gradient updates."
    from rlnb.core.config import load_config
    from rlnb.core.runner import Runner
    from rlnb.algos.ppo import PPO
    cfg = load_config("ppo", overrides=dict(num_envs=8, num_steps=4, total_timesteps=64, update_epochs=3, num_minibatches=2,
                                            target_kl=100.0, hidden=8, layers=1, eval_episodes=2, cycles=1, quiet=True,
                                            device="cpu"), env={})
    r = Runner(PPO(cfg), cfg)
    r.run()
    assert (r.counters.iteration, r.counters.grad_steps) == (2, 2 * 3 * 2)
