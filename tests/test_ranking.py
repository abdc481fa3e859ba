"Ranking metrics, SNR, ground truth, the analysis notebooks (CLI and papermill), their HTML pages in headless Chromium, bad input."
import json, shutil, subprocess
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
import torch
from conftest import ROOT, assert_user_error, cli, papermill, screenshot, snapshot
from rlnb.core.base import RlnbError
from rlnb.envs.picklite import PickLite
from rlnb.analysis.ranking import (SHIPPED_CHECKPOINT, estimate, explorer, ground_truth, load_policy, parse_estimator, rank_metrics,
                          ranking_study, snr, summarize, traj_advantage)

SMALL = ["-p", "n_states=24", "-p", "K=4", "-p", "M=4", "-p", "E=2", "-p", "data_steps=1000", "-p", "critic_steps=100",
         "-p", "iql_steps=100", "-p", "hidden=32", "-p", "replica_envs=256", "-p", "n_boot=50", "-p", "device=cpu",
         "-p", "estimators=[mc1, mc2, td1, td5, gae, gae-ppo, gae-iql, iql, nn-gae, nn-mc]"]


def test_rank_metrics_on_hand_made_orderings():
    truth = torch.tensor([[1., 2., 3., 4.]] * 3 + [[1., 1., 2., 2.], [5., 5., 5., 5.]])
    est = torch.tensor([[10., 20., 30., 40.], [4., 3., 2., 1.], [0., 0., 0., 1.], [1., 2., 3., 4.], [1., 2., 3., 4.]])
    m = rank_metrics(est, truth)
    assert m.iloc[0].tolist() == [1.0, 1.0, 1.0, 1.0]                       # perfect
    assert m.iloc[1].tolist() == [-1.0, -1.0, 0.0, 0.0]                     # reversed
    assert m.spearman[2] == pytest.approx(0.7745967) and m.concordance[2] == 0.75 and m.top1[2] == 1.0  # estimate ties
    assert m.kendall[3] == pytest.approx(4 / np.sqrt(24)) and m.concordance[3] == 1.0                  # truth ties
    assert m.iloc[4].isna().all()                                           # a constant truth has no ranking


def test_rank_metrics_match_scipy_with_ties():
    from scipy.stats import kendalltau, spearmanr
    g = np.random.default_rng(0)
    truth, est = g.integers(0, 4, (200, 8)).astype(float), g.integers(0, 4, (200, 8)).astype(float)
    m = rank_metrics(est, truth)
    for i in range(200):
        r, t = spearmanr(est[i], truth[i]).statistic, kendalltau(est[i], truth[i]).statistic  # tau-b
        assert (np.isnan(r) and np.isnan(m.spearman[i])) or m.spearman[i] == pytest.approx(r)
        assert (np.isnan(t) and np.isnan(m.kendall[i])) or m.kendall[i] == pytest.approx(t)


def test_summary_bootstrap_interval():
    x = pd.DataFrame({"spearman": [1.0] * 50 + [0.0] * 50 + [float("nan")] * 5})
    s = summarize(x, n_boot=500, seed=1).iloc[0]
    assert s.states == 100 and s["mean"] == 0.5 and s.mean_lo < 0.5 < s.mean_hi and s.mean_hi - s.mean_lo < 0.3
    assert summarize(x, n_boot=500, seed=1).equals(summarize(x, n_boot=500, seed=1))


def test_snr_decomposition_with_a_known_ratio():
    S, K, a, b = 40, 6, 3.0, 0.5
    mu = a * torch.tensor([1.0, -1.0]).repeat(S // 2)                       # across-state variance a^2
    eps = b * torch.tensor([1.0, -1.0]).repeat(K // 2)                      # within-state variance b^2
    s = snr(mu[:, None] + eps[None, :])
    assert s["across"] == pytest.approx(a ** 2) and s["within"] == pytest.approx(b ** 2)
    assert s["ratio"] == pytest.approx(36.0) and s["across"] + s["within"] == pytest.approx(s["total"])


def _noisy(o): return (torch.tanh(o[:, :4]) + 0.6 * torch.randn(len(o), 4)).clamp(-1, 1)


def test_ground_truth_aligns_states_actions_and_rollouts():
    "An independent, large MC estimate from the held-out rollouts must rank like the truth: indices line up."
    kw = dict(n_states=24, K=4, M=32, E=32, gamma=0.8, seed=3)
    env, rep = PickLite(8, device="cpu", reward="dense"), PickLite(2048, device="cpu", reward="dense")
    gt = ground_truth(env, _noisy, replica_env=rep, **kw)
    assert gt["q"].shape == (24, 4) and gt["held"]["obs"].shape == (24, 4, 32, 50, 17)
    rho = rank_metrics(estimate("mc32", gt, {}), gt["q"]).spearman.mean()
    assert rho > 0.6, rho
    w = gt["gamma"] ** torch.arange(50, dtype=torch.float32)
    assert torch.allclose(traj_advantage(gt["held"], lambda o: torch.zeros(len(o)), 0.8, w), gt["held"]["returns"][:, :, 0])
    again = ground_truth(PickLite(8, device="cpu", reward="dense"), _noisy, replica_env=rep, **kw)
    assert torch.equal(again["q"], gt["q"])                                 # seeded: the same truth twice


def test_estimator_names_and_counts_are_checked(tmp_path):
    with pytest.raises(RlnbError, match="unknown estimator 'qlearning'; valid estimators: mc<m>.*gae-iql, iql, nn-gae, nn-mc"):
        parse_estimator("qlearning")
    with pytest.raises(RlnbError, match="needs 8 held-out rollouts per action but E=4"): parse_estimator("mc8", 4)
    out = tmp_path / "out"
    for kw, msg in ((dict(K=1), "parameter 'K' must be >= 2 \\(got 1 from ranking_study\\(\\)"),
                    (dict(M=0), "parameter 'M' must be >= 1"), (dict(lam=float("inf")), "parameter 'lam' must be a finite number"),
                    (dict(estimators=["gae", "nope"]), "unknown estimator 'nope'"),
                    (dict(env="PickCube-v1"), "was trained on PickLite-v0, not PickCube-v1")):
        with pytest.raises(RlnbError, match=msg): ranking_study(out, checkpoint=SHIPPED_CHECKPOINT, device="cpu", **kw)
        assert not out.exists()


def test_explorer_is_live_and_has_a_static_view():
    values = {"q": torch.randn(5, 4), "estimates": {"a": torch.randn(5, 4), "b": torch.randn(5, 4)}}
    w = explorer(values)
    first = w._repr_mimebundle_()["image/png"]
    assert first[:4] == b"\x89PNG" and "application/vnd.jupyter.widget-view+json" in w._repr_mimebundle_()
    w.children[0].children[0].value = 3                                     # move the state slider
    assert w._repr_mimebundle_()["image/png"] != first


def test_ranking_analysis_cli_run_folder_log_html_and_screenshot(work):
    p = cli("analyze", "ranking", *SMALL, "-p", "log_file=log.md", check=0)
    out = next((work / "runs").glob("ranking-*"))
    assert f"run folder: {out}" in p.stdout and "| gae |" in p.stdout  # absolute: runs/ is the project's (core.base.in_project)
    for f in ("ranking.ipynb", "ranking.html", "per_state.csv", "summary.csv", "snr.csv", "values.csv", "rho.png", "state0.png",
              "dataset.h5", "dataset.json", "values.pt"):
        assert (out / f).stat().st_size > 0, f
    s = pd.read_csv(out / "summary.csv")
    assert set(s.estimator) == {"mc1", "mc2", "td1", "td5", "gae", "gae-ppo", "gae-iql", "iql", "nn-gae", "nn-mc",
                                "truth split-half (MC2)"}
    per = pd.read_csv(out / "per_state.csv")  # the summary is the per-state table's mean, inside its own interval
    sp = s[s.metric == "spearman"].set_index("estimator")
    means = per.groupby("estimator").spearman.mean()
    assert (sp["mean"] - means[sp.index]).abs().max() < 1e-9 and (sp.mean_lo <= sp["mean"]).all() and (sp["mean"] <= sp.mean_hi).all()
    assert (sp.mean_hi - sp.mean_lo > 0).all() and sp.loc["mc2", "mean"] != sp.loc["mc1", "mean"]
    log = (work / "log.md").read_text()
    assert log.count("\n## ranking ") == 1 and "rlnb analyze ranking" in log
    nb = json.loads((out / "ranking.ipynb").read_text())
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in nb["cells"])
    spread, ink = screenshot(out / "ranking.html", work / "shot.png")
    assert spread > 0.05 and ink > 0.02, (spread, ink)                     # text, tables and figures, not a blank page


def test_bad_analysis_input_is_one_sentence_and_writes_nothing(work):
    (work / "runs").mkdir(); (work / "runs" / "keep.txt").write_text("x")
    before = snapshot(work)
    for args, words in (
            (["-p", "K=1"], ["parameter 'K' must be >= 2 (got 1 from rlnb analyze ranking -p"]),
            (["-p", "M=0"], ["parameter 'M' must be >= 1"]),
            (["-p", "K=abc"], ["parameter 'K' must be an int (got 'abc'"]),
            (["-p", "estimators=[mc1, magic]"], ["unknown estimator 'magic'", "valid estimators"]),
            (["-p", "n_state=3"], ["analysis ranking has no parameter 'n_state'", "did you mean 'n_states'"]),
            (["-p", "env=PickCube-v1"], ["was trained on PickLite-v0, not PickCube-v1"])):
        p = cli("analyze", "ranking", *args)
        assert_user_error(p, *words)
        assert "Kernel is running over TCP" not in p.stderr and "IPKernelApp" not in p.stderr, p.stderr  # no kernel chatter
        assert snapshot(work) == before
    assert_user_error(cli("analyze", "rankings"), "unknown analysis 'rankings'", "ranking")


def test_ranking_notebook_under_papermill_refuses_a_wrong_type(tmp_path):
    p = papermill(ROOT / "analysis" / "ranking.ipynb", tmp_path / "out.ipynb", "-p", "K", "eight", "-p", "runs_dir", tmp_path / "runs",
                  cwd=tmp_path, timeout=300)
    assert p.returncode != 0 and "parameter 'K' must be an int (got 'eight' from the notebook's parameters cell" in p.stderr + p.stdout
    assert not (tmp_path / "runs").exists()


def test_critic_snr_notebook_under_papermill(tmp_path):
    p = papermill(ROOT / "analysis" / "critic_snr.ipynb", tmp_path / "out.ipynb", "-y", "widths: [16, 32]\nsteps: [20, 60]",
                  "-p", "n_states", "24", "-p", "K", "4", "-p", "M", "4", "-p", "data_steps", "1000", "-p", "replica_envs", "256",
                  "-p", "device", "cpu", "-p", "runs_dir", tmp_path / "runs", "-p", "log_file", tmp_path / "log.md", cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-3000:]
    out = next((tmp_path / "runs").glob("critic_snr-*"))
    t = pd.read_csv(out / "snr.csv")
    assert len(t) == 1 + 2 * 2 and t.critic[0].startswith("truth") and (t.ratio > 0).all()
    assert sorted(t.width.dropna().astype(int).unique()) == [16, 32] and (out / "snr.png").stat().st_size > 0
    assert "critic_snr" in (tmp_path / "log.md").read_text()
