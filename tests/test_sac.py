"SAC (issue 13): it learns a tiny task, the same seed gives the same run, resume equals the uninterrupted run, bad input is one sentence."
import re, shutil
import numpy as np
import pandas as pd
import pytest
import torch
from conftest import assert_user_error, cli, snapshot
from test_custom_env import SLIDE
from rlnb.core.config import load_config
from rlnb.core.runner import Runner
from rlnb.algos.sac import SAC
from rlnb.data.trajectories import load_trajectories, record, save_trajectories
from rlnb.envs.picklite import PickLite, scripted_action

SLIDE_ID = "sac_slide:Slide"


@pytest.fixture
def slide(tmp_path, monkeypatch):
    "The bead-on-a-line task of test_custom_env as an importable module (dense reward -|x|, success within 0.1 of 0)."
    (tmp_path / "sac_slide.py").write_text(SLIDE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # for the CLI's processes
    return SLIDE_ID


def tiny(**kw):
    return load_config("sac", overrides=dict(env_id=SLIDE_ID, reward="dense", device="cpu", hidden=32, batch_size=64, gamma=0.9,
                                             learning_starts=200, eval_episodes=32, iterations=100, quiet=True) | kw, env={})


def test_sac_learns_a_tiny_task(slide):
    cfg = tiny(grad_steps_SAC=1500, eval_every=1500, lr_actor=1e-3, lr_critic=1e-3, lr_temperature=1e-3)
    algo = SAC(cfg)
    before = algo.evaluate()["success"]
    r = Runner(algo, cfg)
    r.run()
    after = r.log.frame()["eval/success"].dropna().iloc[-1]
    assert before < 0.3 and after >= 0.9, (before, after)
    assert r.counters.grad_steps == 1500 and r.counters.env_steps == 200 + 1500  # utd 1: one critic step per env step after the warm-up


def test_the_same_seed_gives_the_same_run(slide):
    def params(seed):
        cfg = tiny(grad_steps_SAC=300, eval_every=300, seed=seed, n_critics=4, critic_subset=2, layer_norm=True)
        algo = SAC(cfg); Runner(algo, cfg).run()
        return torch.cat([p.detach().flatten() for p in [*algo.actor.parameters(), *algo.critic.parameters()]])
    a, b, c = params(0), params(0), params(1)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_resume_equals_the_uninterrupted_run(work, slide):
    "Buffer, optimisers, temperature, target critics, counters and generators all come back: a resumed run is the same run."
    args = ["-s", f"env_id={SLIDE_ID}", "-s", "reward=dense", "-s", "hidden=16", "-s", "batch_size=32", "-s", "learning_starts=50",
            "-s", "eval_episodes=8", "-s", "iterations=50", "-s", "eval_every=100", "-s", "utd=1.5", "-s", "quiet=true"]  # blocks of 1 and 2, a fraction carried over; 200 is passed by a block (201)
    cli("train", "sac", *args, "-s", "grad_steps_SAC=200", "-s", "name=a", check=0)
    cli("resume", "runs/a", "-s", "grad_steps_SAC=400", check=0)
    cli("train", "sac", *args, "-s", "grad_steps_SAC=400", "-s", "name=b", check=0)
    ta, tb = (pd.read_csv(work / "runs" / n / "results.csv").filter(regex="^(?!time_)") for n in "ab")
    assert len(ta) >= 4 and ta.equals(tb) and ta.critic_loss.notna().any()
    sa, sb = (torch.load(work / "runs" / n / "latest.pt", weights_only=False)["algo_state"] for n in "ab")
    for k in ("actor", "critic", "critic_t", "opt_actor", "opt_critic", "opt_alpha"):
        flat = lambda d: [v for v in d.values() if isinstance(v, torch.Tensor)] if k.startswith("opt") is False else \
            [t for st in d["state"].values() for t in st.values() if isinstance(t, torch.Tensor)]
        assert len(flat(sa[k])) == len(flat(sb[k])) > 0 and all(torch.equal(x, y) for x, y in zip(flat(sa[k]), flat(sb[k]))), k
    assert torch.equal(sa["log_alpha"], sb["log_alpha"]) and torch.equal(sa["buffer"]["online"], sb["buffer"]["online"])
    assert (sa["grad_steps"], sa["env_steps"], sa["owed"]) == (sb["grad_steps"], sb["env_steps"], sb["owed"]) and sa["grad_steps"] >= 400
    assert "success_once" in cli("evaluate", "runs/a", "-n", "4", check=0).stdout  # a SAC checkpoint evaluates like any other


@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    d = tmp_path_factory.mktemp("sac")
    record(PickLite(16, device="cpu", seed=0), scripted_action, 20, path=d / "demos")  # the reward mode is recorded (sparse)
    eps, _ = load_trajectories(d / "demos.h5")
    save_trajectories(d / "empty", [], "PickLite-v0", 50)
    save_trajectories(d / "wide", [{**e, "obs": np.concatenate([e["obs"], e["obs"]], 1)} for e in eps[:3]], "PickLite-v0", 50)
    return d


def test_bad_input_is_one_sentence_and_writes_nothing(work, slide, demos):
    base = dict(hidden=16, eval_episodes=4, quiet=True, grad_steps_SAC=10, device="cpu")
    cases = [(dict(n_critics=2, critic_subset=3), "critic_subset=3 is larger than the ensemble"),
             (dict(offline_fraction=0.5), "no dataset is set"),
             (dict(bc_weight=1.0), "bc_weight=1.0 clones the offline part of each batch, but the batch has none"),
             (dict(offline_fraction=1.5), "'offline_fraction' must be <= 1"),
             (dict(utd=0), "'utd' must be > 0"),
             (dict(batch_size=512, buffer_size=100), "more than the buffer keeps"),
             (dict(dataset=str(demos / "demos.h5"), env_id=SLIDE_ID), "was recorded on PickLite-v0"),
             (dict(dataset=str(demos / "demos.h5"), reward="dense"), "has sparse rewards"),
             (dict(dataset=str(demos / "wide.h5")), "observations of size"),
             (dict(dataset=str(demos / "empty.h5")), "no episodes"),
             (dict(compile="reduce-overhead"), "compile=reduce-overhead replays CUDA graphs, but device=cpu runs on the CPU"),
             (dict(compile=False), "YAML reads yes/no/on/off/true/false as a boolean, so put the word in quotes (-s \"compile='word'\")")]
    from rlnb.core.base import RlnbError
    for extra, words in cases:
        with pytest.raises(RlnbError, match=re.escape(words)): SAC(load_config("sac", overrides=base | extra, env={}))
    (work / "runs").mkdir()
    before = snapshot(work)  # and from the command line: exit 2, one sentence, nothing written
    for (extra, words) in (cases[0], cases[6]):
        assert_user_error(cli("train", "sac", *[a for k, v in (base | extra).items() for a in ("-s", f"{k}={v}")]), words)
    assert snapshot(work) == before


@pytest.mark.skipif(not (shutil.which("g++") or shutil.which("c++")), reason="inductor on a CPU compiles C++: no compiler here")
def test_the_compiled_update_computes_the_eager_one(slide):
    "compile=default (inductor; on a CPU here) from the same seed: the same losses and weights after a UTD block of 20 critic steps."
    from torch._dynamo.utils import counters
    def run(mode):
        cfg = tiny(compile=mode, learning_starts=0, n_critics=4, critic_subset=2, layer_norm=True, utd=20, actor_every=4)
        algo = SAC(cfg)
        for _ in range(64): algo.collect()
        flat = lambda: torch.cat([p.detach().flatten() for p in [*algo.actor.parameters(), *algo.critic.parameters(), algo.log_alpha.view(1)]])
        start, algo.owed = flat(), 20.0
        m = algo.update()
        return m, start, flat()
    graphs = counters["stats"]["unique_graphs"]
    (m0, s0, p0), (m1, s1, p1) = run("none"), run("default")
    assert counters["stats"]["unique_graphs"] >= graphs + 2  # the critic's and the actor's losses were compiled, not run eager
    assert torch.equal(s0, s1) and (p0 - s0).norm() > 1e-3 * s0.norm()  # the same start, and the block moved the weights
    assert m0.keys() == m1.keys() and m1["grad_steps"] == 20
    assert all(torch.allclose(m0[k], m1[k], rtol=1e-4, atol=1e-6) for k in m0 if k != "grad_steps"), (m0, m1)
    assert (p1 - p0).norm() / p0.norm() < 1e-5


def test_offline_data_sits_beside_online_data(demos):
    "RLPD's buffer: the demos are there from the start, and a batch takes offline_fraction of its rows from them."
    cfg = load_config("sac", overrides=dict(device="cpu", hidden=16, dataset=str(demos / "demos.h5"), offline_fraction=0.25,
                                            learning_starts=0, batch_size=64, seed=10_000), env={})  # other episodes than the demos'
    algo = SAC(cfg)
    n_off = algo.buffer.n_offline
    assert n_off > 0 and len(algo.buffer) == n_off
    for _ in range(64): algo.collect()
    b = algo.buffer.sample(64, algo.gen)
    rows = algo.buffer.data[:n_off, :algo.env.obs_dim]
    from_demos = (b["obs"][:, None, :] == rows[None]).all(-1).any(-1)
    assert from_demos.sum() == 0  # offline_fraction 0 in this call: online rows only
    b = algo.buffer.sample(64, algo.gen, offline_fraction=cfg.offline_fraction)
    assert (b["obs"][:, None, :] == rows[None]).all(-1).any(-1).sum() == 16
    assert algo.update()["grad_steps"] == 64 - 48 + 1  # critic steps are earned once the ring holds a batch's 48 online rows
    algo.close()


def test_the_behaviour_cloning_term_holds_the_actor_to_the_demos(demos):
    "bc_weight: actor steps on a batch whose offline rows are demos pull tanh(mu(s)) toward the demos' actions; without it they do not."
    gaps = {}
    for w in (0.0, 10.0):
        cfg = load_config("sac", overrides=dict(device="cpu", hidden=32, dataset=str(demos / "demos.h5"), offline_fraction=0.5, learning_starts=0,
                                                batch_size=64, bc_weight=w, lr_actor=1e-3, init_temperature=1e-3), env={})
        algo = SAC(cfg)
        for _ in range(32): algo.collect()
        blk = algo.buffer.sample(64, algo.gen, blocks=200, offline_fraction=0.5)
        for j in range(200): m = algo.actor_step({k: v[j] for k, v in blk.items()})
        n = algo.buffer.n_offline
        obs, act = algo.buffer.data[:n, :algo.env.obs_dim], algo.buffer.data[:n, algo.env.obs_dim:algo.env.obs_dim + algo.env.act_dim]
        gaps[w] = float(((algo.actor.act(obs) - act) ** 2).sum(-1).mean())
        assert ("bc_loss" in m) == (w > 0)
        algo.close()
    assert gaps[10.0] < 0.5 * gaps[0.0], gaps
