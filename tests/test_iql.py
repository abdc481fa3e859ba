"IQL: the expectile loss, training on a recorded dataset, GAE with IQL's V, bad datasets."
import numpy as np
import pytest
import torch
from conftest import assert_user_error, cli, snapshot
from rlnb.core.config import load_config
from rlnb.data.trajectories import OfflineDataset, load_trajectories, record, save_trajectories
from rlnb.envs.picklite import PickLite, scripted_action
from rlnb.algos.iql import IQL, expectile_loss
from rlnb.policies.advantages import gae_with_value
from rlnb.core.runner import Runner


def test_expectile_loss_asymmetry_and_mean():
    u = torch.tensor([1.0, -1.0])
    assert expectile_loss(u[:1], 0.7) == pytest.approx(0.7) and expectile_loss(u[1:], 0.7) == pytest.approx(0.3)
    assert expectile_loss(u[:1], 0.5) == expectile_loss(u[1:], 0.5)
    x = torch.tensor([0.0, 1.0, 2.0, 7.0])
    for tau, expect in ((0.5, x.mean().item()), (0.9, None)):
        v = torch.zeros((), requires_grad=True); opt = torch.optim.SGD([v], lr=0.3)
        for _ in range(2000): opt.zero_grad(); expectile_loss(x - v, tau).backward(); opt.step()
        if expect is not None: assert v.item() == pytest.approx(expect, abs=1e-4)  # tau = 0.5: the mean
        else: assert v.item() > x.mean().item()  # tau > 0.5: above the mean


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    d = tmp_path_factory.mktemp("iql")
    torch.manual_seed(0)
    noisy = lambda o: (scripted_action(o) + 0.6 * torch.randn(len(o), 4)).clamp(-1, 1)
    record(PickLite(64, device="cpu", reward="dense", seed=0), noisy, 200, path=d / "noisy", env_kwargs={"reward": "dense"})
    return d / "noisy.h5"


def test_iql_trains_on_a_recorded_dataset(dataset):
    cfg = load_config("iql", overrides=dict(dataset=str(dataset), grad_steps_IQL=600, hidden=64, quiet=True,
                                            eval_episodes=16, cycles=3, batches=100), env={})
    algo = IQL(cfg)
    r = Runner(algo, cfg)
    r.run()
    df = r.log.frame()
    assert df.q_loss.iloc[-1] < df.q_loss.iloc[0]
    assert df["eval/success"].notna().sum() == 2 and r.counters.grad_steps == 600
    # V learned something of the data's returns: positive correlation with the Monte-Carlo return-to-go
    v = algo.value(algo.data.obs).detach()
    assert np.corrcoef(v.numpy(), algo.data.returns.numpy())[0, 1] > 0.5
    adv = gae_with_value(algo.data, algo.value, gamma=0.8)
    assert adv.shape == algo.data.rewards.shape and torch.isfinite(adv).all()


def test_gae_with_value_is_gae_per_episode():
    ep = {"obs": np.arange(8, dtype=np.float32).reshape(4, 2), "actions": np.zeros((3, 1), np.float32),
          "rewards": np.array([0, 0, 1], np.float32), "terminated": np.array([0, 0, 1], bool), "truncated": np.zeros(3, bool)}
    ds = OfflineDataset([ep, ep], gamma=0.5, device="cpu")
    zero = lambda o: torch.zeros(len(o))
    adv = gae_with_value(ds, zero, gamma=0.5, lam=1.0)  # V = 0, lambda = 1: the Monte-Carlo returns
    assert torch.allclose(adv, ds.returns)


def test_bad_datasets(work, dataset):
    eps, _ = load_trajectories(dataset)
    save_trajectories(work / "empty", [], "PickLite-v0", 50)
    save_trajectories(work / "norew", [{k: v for k, v in e.items() if k != "rewards"} for e in eps[:3]], "PickLite-v0", 50)
    save_trajectories(work / "other", [{**e, "obs": np.concatenate([e["obs"], e["obs"]], 1)} for e in eps[:3]], "PickLite-v0", 50)
    before = snapshot(work)
    base = ["-s", "grad_steps_IQL=100", "-s", "quiet=true", "-s", "hidden=16", "-s", "eval_episodes=4"]
    assert_user_error(cli("train", "iql", *base), "set dataset=")
    assert_user_error(cli("train", "iql", "-s", "dataset=empty.h5", *base), "no episodes")
    assert_user_error(cli("train", "iql", "-s", "dataset=norew.h5", *base), "no rewards")
    assert_user_error(cli("train", "iql", "-s", "dataset=other.h5", *base), "not from this task")
    assert snapshot(work) == before


def test_iql_with_gae_extraction_and_exact_resume(work, dataset):
    args = ["-s", f"dataset={dataset}", "-s", "grad_steps_IQL=300", "-s", "hidden=32", "-s", "eval_episodes=8", "-s", "quiet=true",
            "-s", "cycles=1", "-s", "extraction=gae", "-s", "gae_every=50"]
    cli("train", "iql", *args, "-s", "name=a", check=0)
    cli("resume", "runs/a", "-s", "grad_steps_IQL=500", check=0)
    cli("train", "iql", *args, "-s", "grad_steps_IQL=500", "-s", "name=b", check=0)  # the same run in one go
    import pandas as pd
    ta, tb = (pd.read_csv(work / "runs" / n / "results.csv").filter(regex="^(?!time_)") for n in "ab")
    assert len(ta) == 5 and ta.equals(tb) and ta.pi_loss.notna().all()
