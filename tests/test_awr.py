"AWR: weights (normalisation, clipping, renormalisation), the update, the three modes end to end, bad input."
import pandas as pd
import pytest
import torch
from conftest import assert_user_error, cli, snapshot
from rlnb.algos.awr import awr_update, awr_weights
from rlnb.core.base import RlnbError
from rlnb.policies.networks import ActorCritic

TINY = dict(num_envs=8, num_steps=10, total_timesteps=160, mc_samples=2, replica_envs=64, update_epochs=2,
            num_minibatches=2, hidden=16, layers=1, eval_episodes=8, quiet="true")


def sets(d):
    return sum((["-s", f"{k}={v}"] for k, v in d.items()), [])


def test_weights_normalised_clipped():
    adv = torch.tensor([-1.0, 0.0, 1.0, 100.0])
    w = awr_weights(adv, beta=0.5, max_weight=20.0)
    a = (adv - adv.mean()) / adv.std()
    assert torch.allclose(w, torch.exp(a / 0.5).clamp(max=20.0))
    assert w[3] == 20.0 and (w[:3] < 20).all()
    assert torch.allclose(awr_weights(adv * 7 + 3, 0.5, 20.0), w)  # invariant to the advantages' scale and shift
    with pytest.raises(RlnbError, match="temperature must be positive"): awr_weights(adv, 0.0, 20.0)


def test_update_moves_the_mean_toward_heavily_weighted_actions():
    torch.manual_seed(0)
    ag = ActorCritic(2, 1, hidden=16, layers=1)
    obs = torch.zeros(200, 2)
    act = torch.cat([torch.full((100, 1), 0.5), torch.full((100, 1), -0.5)])
    w = torch.cat([torch.full((100,), 10.0), torch.full((100,), 0.1)])
    opt = torch.optim.Adam(ag.parameters(), lr=1e-2)
    awr_update(ag, opt, obs, act, w, update_epochs=100, num_minibatches=2, max_grad_norm=1.0, gen=torch.Generator())
    assert ag.act(obs[:1]).item() == pytest.approx(0.5 * (10 - 0.1) / (10 + 0.1), abs=0.05)  # the weighted mean


def test_three_modes_end_to_end(work):
    cli("pretrain", *sets(dict(num_envs=16, num_steps=10, total_timesteps=320, hidden=16, layers=1, eval_episodes=8,
                               num_minibatches=2, quiet="true", name="pre")), check=0)
    ck = sorted((work / "runs" / "pre" / "ladder").glob("ckpt_*.pt"))[-1]
    for mode, extra in (("onpolicy", {}), ("oracle", {"oracle": ck}), ("offline", {"epochs": 2})):
        cli("train", "awr", *sets(TINY | {"mode": mode, "pretrained": ck, "name": mode} | extra), check=0)
        t = pd.read_csv(work / "runs" / mode / "results.csv")
        assert t["mc_steps"].iloc[-1] > 0 and t["awr_loss"].notna().all() and t["eval/success"].notna().any()
    off = pd.read_csv(work / "runs" / "offline" / "results.csv")
    assert off.env_steps.tolist() == [80, 80]  # one dataset, then updates only


def test_awr_resume_is_exact(work):
    cli("train", "awr", *sets(TINY | {"name": "a", "total_timesteps": 160}), check=0)
    cli("resume", "runs/a", "-s", "total_timesteps=240", check=0)
    cli("train", "awr", *sets(TINY | {"name": "b", "total_timesteps": 240}), check=0)
    ta, tb = (pd.read_csv(work / "runs" / n / "results.csv").filter(regex="^(?!time_)") for n in "ab")
    assert len(ta) == 3 and ta.equals(tb)


def test_bad_input(work):
    cli("pretrain", *sets(dict(num_envs=16, num_steps=10, total_timesteps=160, hidden=16, layers=1, eval_episodes=4,
                               num_minibatches=2, quiet="true", name="pre")), check=0)
    ck = next((work / "runs" / "pre" / "ladder").glob("ckpt_*.pt"))
    before = snapshot(work)
    assert_user_error(cli("train", "awr", *sets(TINY | {"mc_samples": 0})), "mc_samples")
    assert_user_error(cli("train", "awr", *sets(TINY | {"awr_beta": 0})), "awr_beta")
    assert_user_error(cli("train", "awr", *sets(TINY | {"mode": "oracle"})), "needs an oracle checkpoint")
    assert_user_error(cli("train", "awr", *sets(TINY | {"mode": "oracle", "oracle": ck, "env_id": "Pendulum-v1"})),
                      "was trained on PickLite-v0, not Pendulum-v1")
    assert_user_error(cli("train", "awr", *sets(TINY | {"mode": "offline"})), "set epochs=N")
    assert snapshot(work) == before
