"The IQL -> SAC pipeline (issue 13, item 4): QA_STEPS sets both phases, the old grad_steps key works in both, SAC starts from IQL's networks, phases that disagree are refused before anything runs."
import pytest, torch, yaml
from conftest import assert_user_error, cli, snapshot
from rlnb import api
from rlnb.core.base import RlnbError
from rlnb.core.config import ConfigDeprecationWarning
from rlnb.data.trajectories import record
from rlnb.envs.picklite import PickLite, scripted_action


@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    d = tmp_path_factory.mktemp("pipe")
    g = torch.Generator().manual_seed(0)
    record(PickLite(16, device="cpu", seed=0), lambda o: (scripted_action(o) + 0.5 * torch.randn(len(o), 4, generator=g)).clamp(-1, 1),
           24, path=d / "demos")
    return d / "demos.h5"


SMALL = ["-s", "iql.hidden=32", "-s", "iql.eval_episodes=8", "-s", "iql.quiet=true", "-s", "sac.eval_episodes=8", "-s", "sac.quiet=true",
         "-s", "sac.learning_starts=40", "-s", "sac.batch_size=32", "-s", "sac.eval_every=30", "-s", "sac.iterations=30"]


def test_qa_steps_sets_both_phases_and_sac_starts_from_iql(work, demos):
    p = cli("pipeline", "iql-sac", str(demos), "--name", "p", *SMALL, env={"QA_STEPS": "60"}, check=0)
    assert "== iql" in p.stdout and "== sac" in p.stdout
    ic, sc = (yaml.safe_load((work / "runs" / f"p-{ph}" / "config.yaml").read_text()) for ph in ("iql", "sac"))
    assert ic["grad_steps_IQL"] == 60 and sc["grad_steps_SAC"] == 60 and ic["squash_mean"] is True
    src = (work / "runs" / "p-sac" / "config.yaml").read_text()
    assert "grad_steps_SAC: 60  # QA_STEPS" in src and "activation: tanh  # pipeline iql-sac" in src and "hidden: 32  # pipeline iql-sac" in src
    assert sc["init_from"] == str(work / "runs" / "p-iql" / "latest.pt") and sc["env_id"] == "PickLite-v0"
    assert sc["lr_actor"] == 3e-4 and sc["batch_size"] == 32  # nothing else changed by QA_STEPS
    sac = torch.load(work / "runs" / "p-sac" / "latest.pt", weights_only=False)
    assert sac["counters"]["grad_steps"] == 60 and sac["counters"]["env_steps"] == 40 + 60  # both counters, utd 1


def test_old_grad_steps_key_works_in_both_phases(work, demos):
    (work / "iql.yaml").write_text("grad_steps: 40\nhidden: 16\neval_episodes: 4\nquiet: true\n")
    (work / "sac.yaml").write_text("grad_steps: 20\nlearning_starts: 5\nbatch_size: 16\neval_episodes: 4\nquiet: true\niterations: 20\n")
    with pytest.warns(ConfigDeprecationWarning, match="'grad_steps'") as w:
        out = api.pipeline_iql_sac(demos, work / "iql.yaml", work / "sac.yaml", name="old")
    assert len([x for x in w if "grad_steps" in str(x.message)]) >= 2
    assert out["iql"].metrics["grad_steps"] == 40 and out["sac"].metrics["grad_steps"] == 20


def test_phases_that_disagree_are_refused_before_anything_runs(work, demos):
    (work / "runs").mkdir()
    before = snapshot(work)
    assert_user_error(cli("pipeline", "iql-sac", str(demos), *SMALL, "-s", "sac.env_id=Pendulum-v1"), "disagree on the task", "PickLite-v0")
    assert_user_error(cli("pipeline", "iql-sac", str(demos), *SMALL, "-s", "utd=2"), "iql.KEY=VALUE or sac.KEY=VALUE")
    for so, io, words in (({"layer_norm": True}, {}, "-s sac.layer_norm=false"), ({"hidden": 64}, {}, "hidden=64"),
                          ({"gamma": 0.99}, {}, "gamma=0.99"), ({"n_critics": 1}, {}, "critic_subset=2 is larger"),
                          ({"reward": "dense"}, {}, "disagree on the reward"), ({}, {"squash_mean": False}, "squash_mean=true"),
                          ({"activation": "relu"}, {}, "activation=relu")):
        with pytest.raises(RlnbError, match=words): api.pipeline_iql_sac(demos, None, None, io, so)
    assert snapshot(work) == before
