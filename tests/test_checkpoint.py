import pytest
import torch
from conftest import cli, assert_user_error, snapshot
from rlnb import api
from rlnb.core.checkpoint import save_checkpoint, load_checkpoint, check_compatible
from rlnb.core.config import load_config
from rlnb.core.base import RlnbError, atomic_write


def small(work, name, **kw):
    return dict(name=name, runs_dir=str(work / "runs"), log_file=str(work / "log.md"), quiet=True,
                total_timesteps=2048 * 20, num_envs=2048, cycles=2, iterations=5, epochs=1) | kw


@pytest.fixture
def run(work):
    return api.train("demo", overrides=small(work, "r"))


def test_checkpoint_holds_everything_needed(run):
    s = load_checkpoint(run.run_dir / "latest.pt")
    assert {"algo", "config", "counters", "rng", "logger", "best", "algo_state"} <= set(s)
    assert {"policy", "opt", "gen"} <= set(s["algo_state"])


def test_missing_truncated_foreign_checkpoints(work, run):
    before = snapshot(work)
    assert_user_error(cli("resume", str(work / "runs" / "nope")), "does not exist")
    assert_user_error(cli("resume", str(run.run_dir / "gone.pt")), "does not exist")
    cut = run.run_dir / "cut.pt"
    cut.write_bytes((run.run_dir / "latest.pt").read_bytes()[:200])
    before = snapshot(work)
    assert_user_error(cli("resume", str(cut)), "truncated")
    foreign = run.run_dir / "foreign.pt"
    torch.save({"weights": torch.ones(3)}, foreign)
    before = snapshot(work)
    assert_user_error(cli("resume", str(foreign)), "not an rlnb checkpoint")
    assert snapshot(work) == before


def test_checkpoint_from_another_config(work, run):
    other = api.train("demo", overrides=small(work, "o", hidden=32))
    moved = run.run_dir / "other.pt"
    moved.write_bytes((other.run_dir / "latest.pt").read_bytes())
    before = snapshot(work)
    assert_user_error(cli("resume", str(moved)), "another config")
    assert snapshot(work) == before
    state = load_checkpoint(other.run_dir / "latest.pt")
    with pytest.raises(RlnbError, match="hidden=32 but the config asks hidden=64"):
        check_compatible(state, load_config("demo", env={}))
    with pytest.raises(RlnbError, match="algorithm 'demo', not 'ppo'"):
        check_compatible(state, load_config("ppo", env={}))


def test_existing_run_folder_is_never_reused(work, run):
    before = snapshot(work)
    assert_user_error(cli("train", "demo", *[f"--set={k}={v}" for k, v in small(work, "r").items()]), "already exists")
    assert snapshot(work) == before


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    p = save_checkpoint(tmp_path / "c.pt", {"x": torch.ones(1)})
    old = p.read_bytes()
    def boom(tmp):
        open(tmp, "wb").write(b"partial"); raise RuntimeError("disk full")
    with pytest.raises(RuntimeError): atomic_write(p, boom)
    assert p.read_bytes() == old and [f.name for f in tmp_path.iterdir()] == ["c.pt"]
