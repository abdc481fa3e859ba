"""How data/empo/reference_*.json.gz were made: mensch72/empo's own backward induction, per-state values in a neutral format.

Run from a checkout of mensch72/empo at 9e4ba2ce (numpy, scipy, gymnasium installed); it writes /tmp/empo_ref/<name>.json,
which were then rounded to 7 digits and gzipped. Not part of rlnb (it imports the reference code)."""
import sys, json, time
sys.path[:0] = ["src", "vendor/multigrid", "examples/phase2"]
import gymnasium as gym
sys.modules['gym'] = gym
import numpy as np
import phase2_backward_induction as demo
from empo.backward_induction import compute_human_policy_prior, compute_robot_policy

def key(state, env):
    t, agents, mobile, mutable = state
    ag = [[int(a[0]), int(a[1]), int(a[2])] for a in agents]
    rocks = sorted([[int(m[1]), int(m[2])] for m in mobile])
    return json.dumps([int(t), ag, rocks])

def run(name, env, gen, beta_h, beta_r, gamma_h, gamma_r, zeta=2.0, xi=1.0, eta=1.1):
    t0 = time.time()
    hpp = compute_human_policy_prior(world_model=env, human_agent_indices=env.human_agent_indices,
        possible_goal_generator=gen, believed_others_policy=None, beta_h=beta_h, gamma_h=gamma_h,
        level_fct=lambda s: s[0])
    rp, vr, vh = compute_robot_policy(world_model=env, human_agent_indices=env.human_agent_indices,
        robot_agent_indices=env.robot_agent_indices, possible_goal_generator=gen, human_policy_prior=hpp,
        beta_r=beta_r, gamma_h=gamma_h, gamma_r=gamma_r, zeta=zeta, xi=xi, eta=eta, terminal_Vr=-1e-10,
        return_values=True, level_fct=lambda s: s[0])
    out = {}
    for s, v in vr.items():
        d = {"V_r": float(v)}
        p = rp.values.get(s) if hasattr(rp, "values") else None
        if p is not None:
            d["pi_r"] = {str(k): float(x) for k, x in (p.items() if hasattr(p, "items") else enumerate(np.asarray(p).ravel()))}
        hv = vh.get(s, {})
        d["V_h_e"] = {str(h): {str(getattr(g, "target_pos", g)): float(x) for g, x in gd.items()} for h, gd in hv.items()}
        out[key(s, env)] = d
    s0 = env.reset() or None
    env.reset()
    s0 = env.get_state()
    print(name, len(out), "states", time.time() - t0, "s; V_r(s0)", out[key(s0, env)]["V_r"], out[key(s0, env)].get("pi_r"))
    json.dump({"s0": key(s0, env), "human": list(env.human_agent_indices), "robot": list(env.robot_agent_indices),
               "params": dict(beta_h=beta_h, beta_r=beta_r, gamma_h=gamma_h, gamma_r=gamma_r, zeta=zeta, xi=xi, eta=eta),
               "states": out}, open(f"/tmp/empo_ref/{name}.json", "w"))

for steps in (5, 10):
    env = demo.create_trivial_env(max_steps=steps)
    env.reset()
    run(f"rock{steps}", env, demo.TrivialGoalGenerator(env), 10.0, 100.0, 0.95, 0.99)
env = demo.create_env_from_world("jobst_challenges/asymmetric_freeing_simple.yaml", max_steps=6)
env.reset()
run("two6", env, env.possible_goal_generator, 10.0, 100.0, 0.99, 0.99)
