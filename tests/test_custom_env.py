"Issue 12, case 6: an environment defined outside rlnb trains, evaluates and resumes through the CLI by its `module:Class` id."
import json, os
from conftest import cli, assert_user_error

SLIDE = '''
import torch
from rlnb.core.base import get_device
from rlnb.envs.base import VecEnv, check_num_envs

class Slide(VecEnv):
    "A bead on a line: reach x = 0 from a start in [-1, 1]; success within 0.1."
    env_id, obs_dim, act_dim, max_steps = "slide", 1, 1, 20

    def __init__(self, num_envs=1, device="auto", seed=0, reward="sparse", ignore_terminations=False):
        check_num_envs(num_envs)
        self.x, self.reward_mode = torch.zeros(num_envs, device=get_device(device)), reward
        self._setup(num_envs, get_device(device), seed, ignore_terminations, low=[-0.2], high=[0.2])

    def _reset_envs(self, ids, seeds):
        ids = ids.to(self.device)
        self.x[ids] = (torch.sin(torch.as_tensor(seeds, dtype=torch.float64) * 7.31) ).float().to(self.device)
        return self.x[ids].unsqueeze(1)

    def _step_envs(self, action):
        self.x = (self.x + action[:, 0]).clamp(-1, 1)
        success = self.x.abs() < 0.1
        reward = success.float() if self.reward_mode == "sparse" else -self.x.abs()
        return self.x.unsqueeze(1), reward, success, success

    def _get_states(self): return {"x": self.x.clone()}

    def _set_states(self, ids, states, src): self.x[ids.to(self.device)] = states["x"].to(self.device)[src.to(self.device)]
'''

TINY = ["-s", "num_envs=32", "-s", "num_steps=20", "-s", "hidden=16", "-s", "layers=1", "-s", "eval_episodes=16", "-s", "cycles=1",
        "-s", "iterations=2", "-s", "quiet=true"]


def test_an_env_from_outside_rlnb_trains_evaluates_and_resumes(work):
    (work / "myenvs.py").write_text(SLIDE)
    env = {"PYTHONPATH": f"{work}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    cli("train", "ppo", "-s", "env_id=myenvs:Slide", "-s", "name=slide", "-s", "total_timesteps=2560", *TINY, env=env, check=0)
    run = work / "runs" / "slide"
    assert "env_id: myenvs:Slide" in (run / "config.yaml").read_text()
    assert json.loads((run / "run.json").read_text())["status"] == "finished"
    out = cli("evaluate", str(run / "latest.pt"), "-n", "8", env=env, check=0).stdout
    assert "success_once" in out
    cli("resume", str(run), "-s", "total_timesteps=3840", env=env, check=0)
    assert "3840" in (run / "results.csv").read_text()


def test_an_env_without_snapshots_is_refused_with_what_to_write(work):
    (work / "myenvs.py").write_text(SLIDE.replace("def _get_states", "def _no_get_states"))
    assert_user_error(cli("train", "ppo", "-s", "env_id=myenvs:Slide", *TINY, "-s", "total_timesteps=1280", env={"PYTHONPATH": str(work)}),
                      "slide cannot be snapshotted", "_get_states/_set_states")
    assert not list((work / "runs").iterdir())  # failed before its first checkpoint: no half-made run folder


def test_a_wrong_module_or_class_is_one_sentence(work):
    (work / "myenvs.py").write_text(SLIDE)
    env = {"PYTHONPATH": str(work)}
    assert_user_error(cli("train", "ppo", "-s", "env_id=nomodule:Slide", *TINY, env=env), "names module 'nomodule'", "PYTHONPATH")
    assert_user_error(cli("train", "ppo", "-s", "env_id=myenvs:Slid", *TINY, env=env), "has no environment class 'Slid'")
    assert not (work / "runs").exists()
