"""`rlnb sweep`: points run on Ray (embedded, or a two-node cluster on loopback), a failing point recorded while the others
finish, a sweep killed with SIGKILL resumed with every point done once and the same report, bad sweep files refused."""
import json, os, signal, socket, subprocess, sys, time
from pathlib import Path
import pandas as pd
import pytest
import yaml
from conftest import assert_user_error, cli, screenshot, snapshot, RLNB
from rlnb.sweep import open_sweep, sweep_results, sweep_table

# The runner's demo (a batched bandit): a point takes a few seconds, most of it the command's start.
DEMO = {"target": "train demo", "set": {"total_timesteps": 8192, "num_envs": 256, "eval_episodes": 256, "epochs": 2}}


def write(work: Path, name: str, spec: dict) -> Path:
    (work / name).write_text(yaml.safe_dump(spec, sort_keys=False))
    return work / name


def state(folder: Path) -> dict: return json.loads((folder / "state.json").read_text())


def test_sweep_runs_points_records_a_failure_and_reports(work):
    f = write(work, "grid.yaml", DEMO | {"grid": {"lr": [0.001, 0.01]}, "points": [{"lr": 0.003, "device": "cuda"}], "seeds": [0]})
    p = cli("sweep", str(f))
    assert p.returncode == 1, (p.stdout, p.stderr)           # a failed point: the sweep says so in its exit status
    root = work / "runs" / "sweep-grid"
    st = state(root)
    assert [v["state"] for v in st.values()] == ["done", "done", "failed"]
    bad = st["p002-lr_0.003-device_cuda-seed_0"]
    assert "no CUDA GPU" in bad["error"] and bad["attempts"] == 1
    for pid in list(st)[:2]:                                   # each point is a whole run folder, its entry in the project's log
        d = root / "points" / pid
        assert (d / "results.csv").is_file() and (d / "latest.pt").is_file() and (d / "config.yaml").is_file()
        assert yaml.safe_load((d / "config.yaml").read_text())["name"] == pid
    log = (work / "experiments" / "log.md").read_text()
    assert log.count("\n## p000-lr_0.001-seed_0") == 1 and log.count("\n## p001-lr_0.01-seed_0") == 1 and "cuda" not in log
    assert "done   p000" in p.stdout and "failed p002" in p.stdout  # not a terminal: one line per finished point
    res = sweep_results(root)
    assert list(res["failed"].point) == ["p002-lr_0.003-device_cuda-seed_0"]
    t = sweep_table(res)
    assert list(t.config) == ["lr=0.001", "lr=0.01"] and (t.seeds == 1).all()
    finals = res["final"].set_index("config")["eval/success"]
    for pid, cfg in zip(list(st)[:2], t.config):  # the table's number is the run's own last evaluation
        assert finals[cfg] == pd.read_csv(root / "points" / pid / "results.csv")["eval/success"].dropna().iloc[-1]
    nb = json.loads((root / "report.ipynb").read_text())
    text = json.dumps(nb["cells"])
    assert "p002-lr_0.003-device_cuda-seed_0" in text and "no CUDA GPU" in text and "image/png" in text
    spread, ink = screenshot(root / "report.html", work / "shot.png", "1200,1600")
    assert spread > 0.05 and ink > 0.02, (spread, ink)
    # rerun: nothing to do (the failure stays, unless asked); --retry-failed runs it again, at most twice in all
    bad_id, good = list(st)[2], list(st)[0]
    before = snapshot(root / "points" / good)
    p = cli("sweep", str(f), "--no-report")
    assert p.returncode == 1 and state(root)[bad_id]["attempts"] == 1
    for _ in range(2): assert cli("sweep", str(f), "--no-report", "--retry-failed").returncode == 1
    assert state(root)[bad_id]["attempts"] == 2 and state(root)[bad_id]["state"] == "failed"
    assert snapshot(root / "points" / good) == before and state(root)[good]["attempts"] == 1

def test_sweep_killed_with_sigkill_resumes_each_point_once_with_the_same_report(work):
    spec = DEMO | {"grid": {"lr": [0.001, 0.01]}, "seeds": [0, 1]}
    f = write(work, "k.yaml", spec)
    root = work / "runs" / "sweep-k"
    drv = subprocess.Popen([RLNB, "sweep", str(f), "--no-report"], cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           start_new_session=True)
    t0 = time.time()
    while time.time() - t0 < 240:
        if (root / "state.json").is_file():
            c = [v["state"] for v in state(root).values()]
            if c.count("done") >= 1: break
        time.sleep(0.2)
    os.kill(drv.pid, signal.SIGKILL); drv.wait()
    mid = [v["state"] for v in state(root).values()]
    assert 1 <= mid.count("done") < 4, mid
    p = cli("sweep", str(f), check=0)
    st = state(root)
    assert all(v["state"] == "done" for v in st.values())
    assert sum(v["attempts"] for v in st.values()) <= 4 + 2  # at most the two that were running when killed ran twice
    log = (work / "experiments" / "log.md").read_text()
    for pid in st: assert log.count(f"\n## {pid}\n") == 1, pid   # every point done, and recorded, exactly once
    assert not list((root / "points").glob(".*"))               # no half-unpacked folder left
    again = write(work, "k2.yaml", spec)                          # the same sweep, uninterrupted
    cli("sweep", str(again), "--no-report", check=0)
    a, b = sweep_results(root), sweep_results(work / "runs" / "sweep-k2")
    assert sweep_table(a).equals(sweep_table(b))
    pd.testing.assert_frame_equal(a["final"], b["final"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def wait_for_nodes(ray: str, port: int, env: dict, n: int, timeout: float = 180):
    "Until `ray status` lists `n` active nodes."
    t0, out = time.time(), ""
    while time.time() - t0 < timeout:
        p = subprocess.run([ray, "status", f"--address=127.0.0.1:{port}"], env=env, capture_output=True, text=True, timeout=60)
        out = p.stdout
        active = out.split("Active:", 1)[1].split("Pending:", 1)[0] if "Active:" in out else ""
        if sum(1 for l in active.splitlines() if l.strip().split(" ", 1)[-1].startswith("node_")) >= n: return
        time.sleep(1)
    raise AssertionError(f"the Ray cluster did not reach {n} nodes in {timeout} s:\n{out}")


def test_sweep_on_a_two_node_ray_cluster_uses_both_nodes(work):
    """A Ray head and a second node on this machine (Ray turns 127.0.0.1 into the machine's own address, so the nodes
    listen there; nothing leaves the machine), with their own token; the sweep goes to them with --address."""
    import secrets
    ray, port = str(Path(sys.executable).parent / "ray"), _free_port()
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}
    common = ["--block", "--num-cpus=1", "--num-gpus=0", "--disable-usage-stats"]
    start = lambda *a: subprocess.Popen([ray, "start", *a, *common], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
    nodes = []
    def up(n: int, *a):
        "Start a node until the cluster has n (a raylet that dies on a busy machine's slow agents is started again, 3 tries)."
        for attempt in range(3):
            nodes.append(start(*a))
            try: return wait_for_nodes(ray, port, env, n, timeout=90)  # a busy machine takes longer than any fixed sleep: ask the cluster
            except AssertionError:
                if attempt == 2: raise
                os.killpg(nodes[-1].pid, signal.SIGTERM); nodes.pop().wait(timeout=60)
    try:
        up(1, "--head", f"--port={port}", "--include-dashboard=false")
        up(2, f"--address=127.0.0.1:{port}")
        f = write(work, "two.yaml", DEMO | {"grid": {"lr": [0.001, 0.003]}, "seeds": [0, 1]})
        p = cli("sweep", str(f), "--address", f"127.0.0.1:{port}", "--no-report", env=env, check=0)
        st = state(work / "runs" / "sweep-two")
        assert all(v["state"] == "done" for v in st.values())
        assert len({v["node"] for v in st.values()}) == 2, st    # points ran on both nodes
    finally:
        for n in nodes: os.killpg(n.pid, signal.SIGTERM)
        for n in nodes: n.wait(timeout=60)


def test_an_embedded_ray_that_fails_to_start_is_started_again_then_refused(monkeypatch):
    "Ray's bare startup Exception (a raylet killed by slow agents): tried 3 times, then one sentence; a cluster address: once."
    import ray
    from rlnb.core.base import RlnbError
    from rlnb.sweep import _ray
    calls, fails = [], [2]
    def init(**kw):
        calls.append(kw["address"])
        if fails[0]: fails[0] -= 1; raise Exception("The current node timed out during startup. This could happen because ...")
    monkeypatch.setattr(ray, "init", init)
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    assert _ray(None) == (ray, True) and calls == ["local"] * 3       # two failures, then up
    calls.clear(); fails[0] = 3
    with pytest.raises(RlnbError, match=r"could not start or reach Ray locally \(3 tries\) \(The current node timed out") as e: _ray(None)
    assert calls == ["local"] * 3 and "\n" not in str(e.value)
    calls.clear(); fails[0] = 1
    with pytest.raises(RlnbError, match="at 10.0.0.1:6379"): _ray("10.0.0.1:6379")
    assert calls == ["10.0.0.1:6379"]


def test_bad_sweeps_are_one_sentence_and_change_nothing(work, monkeypatch):
    """Each bad sweep file is refused in one sentence before anything is written: the file checks in-process (load_sweep,
    what `rlnb sweep` calls first), and through the command the ones that reach further (exit 2, one error line)."""
    from rlnb.core.base import RlnbError
    from rlnb.sweep import load_sweep
    monkeypatch.chdir(work)
    ok = write(work, "ok.yaml", DEMO | {"grid": {"lr": [0.001]}, "seeds": [0]})
    cli("sweep", str(ok), "--no-report", check=0)
    before = snapshot(work)
    for spec, words in (({"target": "train demo", "grid": {"lr": []}}, ["grid value lr must be a non-empty list"]),
                        ({"target": "train demo", "grid": {"lr": [[0.1, 0.2]]}}, ["'lr' must be a float"]),
                        ({"target": "train demo", "seeds": []}, ["seeds is empty"]),
                        ({"target": "train demo", "grdi": {"lr": [0.1]}}, ["unknown key 'grdi'", "did you mean 'grid'"]),
                        ({"target": "train dmeo"}, ["unknown algorithm 'dmeo'", "did you mean 'demo'"]),
                        ({"target": "analyze rankin"}, ["unknown analysis 'rankin'"]),
                        ({"target": "analyze ranking", "grid": {"K": [1]}}, ["parameter 'K' must be >= 2"]),
                        ({"target": 5}, ["needs a target"]),
                        ({"target": "train demo", "config": 3}, ["config must be a text"]),
                        ({"target": "train demo", "grid": [1, 2]}, ["grid must be a mapping"]),
                        ({"target": "train demo", "seeds": [True]}, ["seeds must be non-negative integers"]),
                        ({"target": "train demo", "cpus": True}, ["cpus must be a number above 0"]),
                        ({"target": "train demo", "grid": {"seed": [1, 2]}}, ["grid sets 'seed'", "seeds:"]),
                        ({"target": "train demo", "set": {"lr": 0.1}, "grid": {"lr": [0.2]}}, ["'lr' is both in set and varied"])):
        f = write(work, "bad.yaml", spec)
        with pytest.raises(RlnbError) as e: load_sweep(f)
        msg = str(e.value)
        assert "\n" not in msg and all(w in msg for w in words), (msg, words)
        f.unlink()
    assert snapshot(work) == before
    for spec, words in (({"target": "train demo", "grid": {"lrr": [0.1]}}, ["unknown config key 'lrr'", "did you mean 'lr'"]),
                        ({"target": "train demo", "cpus": 64}, ["more than any node of the cluster has"])):  # asks Ray
        f = write(work, "bad.yaml", spec)
        assert_user_error(cli("sweep", str(f)), *words)
        (work / "bad.yaml").unlink()
        assert snapshot(work) == before
    other = write(work, "ok2.yaml", DEMO | {"grid": {"lr": [0.002]}, "seeds": [0]})  # another sweep into ok's folder: refused
    assert_user_error(cli("sweep", str(other), "--out", "runs/sweep-ok"), "holds another sweep")
    (work / "ok2.yaml").unlink()
    assert snapshot(work) == before
    assert_user_error(cli("sweep", "missing.yaml"), "sweep file missing.yaml does not exist")
    assert_user_error(cli("sweep", "report", str(work)), "is not a sweep folder")


def test_sweep_of_an_analysis_notebook_runs_papermill_inside_ray(work):
    f = write(work, "nb.yaml", {"target": "analyze demo_seeds", "set": {"total_timesteps": 8192}, "grid": {"lr": [0.003]},
                                "seeds": [0, 1], "results": "results.csv", "metrics": ["eval/success"]})
    cli("sweep", str(f), check=0)
    root = work / "runs" / "sweep-nb"
    for pid in state(root):
        d = root / "points" / pid
        nb = json.loads(next(d.rglob("demo_seeds.ipynb")).read_text())   # the executed notebook, with the point's parameters
        inj = "".join(next(c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", []))["source"])
        assert f"seeds = [{pid.rsplit('_', 1)[1]}]" in inj and "lr = 0.003" in inj, inj
        assert len(list(d.rglob("results.csv"))) == 1
    t = sweep_table(sweep_results(root))
    assert list(t.config) == ["lr=0.003"] and t.seeds.tolist() == [2]


def test_ctrl_c_stops_a_sweep_cleanly_and_a_rerun_finishes_it(work):
    f = write(work, "c.yaml", DEMO | {"grid": {"lr": [0.001, 0.003, 0.01]}, "seeds": [0]})
    root = work / "runs" / "sweep-c"
    drv = subprocess.Popen([RLNB, "sweep", str(f), "--no-report"], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, start_new_session=True,  # SIGINT as a terminal's: a pytest-xdist worker ignores it,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # and children inherit that
    assert drv.poll() is None
    t0 = time.time()
    while time.time() - t0 < 240 and not ((root / "state.json").is_file() and "done" in (root / "state.json").read_text()):
        time.sleep(0.2)
    drv.send_signal(signal.SIGINT)
    out, err = drv.communicate(timeout=120)
    assert drv.returncode == 130, f"exit {drv.returncode}; the driver's stderr ends:\n{err[-4000:]}"  # the end says why
    assert "sweep stopped (Ctrl-C)" in err and "rerun the same command" in err, err
    st = state(root)
    assert "running" not in {v["state"] for v in st.values()} and "done" in {v["state"] for v in st.values()}
    assert not list((root / "points").glob(".*"))
    cli("sweep", str(f), "--no-report", check=0)
    assert {v["state"] for v in state(root).values()} == {"done"}
