import json, shutil, subprocess, sys
from pathlib import Path
from conftest import ROOT, check_comparison_table, papermill as run_papermill

NB = ROOT / "analysis" / "demo_seeds.ipynb"


def papermill(out, *params, cwd, yaml=None):
    args = ["--execution-timeout", "300"] + [x for k, v in params for x in ("-p", k, v)] + (["-y", yaml] if yaml else [])
    return run_papermill(NB, out, *args, cwd=cwd)


def test_analysis_notebook_runs_under_papermill(tmp_path):
    p = papermill(tmp_path / "out.ipynb", ("total_timesteps", "40960"), ("runs_dir", str(tmp_path / "runs")),
                  ("log_file", str(tmp_path / "log.md")), cwd=tmp_path, yaml="seeds: [0, 1]")
    assert p.returncode == 0, p.stderr[-3000:]
    nb = json.loads((tmp_path / "out.ipynb").read_text())
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in nb["cells"])
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2 and all((r / "results.csv").exists() for r in runs)
    assert "papermill" in (runs[0] / "config.yaml").read_text()  # the parameters' source is recorded
    assert (tmp_path / "log.md").read_text().count("\n## ") == 2


def test_bad_papermill_parameter_is_one_clear_sentence(tmp_path):
    p = papermill(tmp_path / "out.ipynb", ("lr", "fast"), ("runs_dir", str(tmp_path / "runs")), cwd=tmp_path)
    assert p.returncode != 0
    assert "config key 'lr' must be a float (got 'fast' from papermill)" in p.stderr + p.stdout
    assert not (tmp_path / "runs").exists()
    p = papermill(tmp_path / "out.ipynb", ("seeds", "zero"), cwd=tmp_path)
    assert p.returncode != 0 and "parameter 'seeds' must be a non-empty list of ints (got 'zero'" in p.stderr + p.stdout


def test_nbdev_clean_keeps_the_parameters_tag(tmp_path):
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "nbs").mkdir()
    shutil.copy(NB, tmp_path / "nbs" / "a.ipynb")
    clean = Path(sys.executable).parent / "nbdev-clean"
    subprocess.run([str(clean)], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    nb = json.loads((tmp_path / "nbs" / "a.ipynb").read_text())
    assert ["parameters"] in [c["metadata"].get("tags") for c in nb["cells"]]


def test_comparison_notebook_runs_under_papermill(tmp_path):
    nb = ROOT / "analysis" / "compare_methods.ipynb"
    args = ["--execution-timeout", "600", "-y", "seeds: [0]", "-p", "budget", "5000", "-p", "mc_samples", "2", "-p", "pretrain_steps", "51200",
            "-p", "critic_steps", "5000", "-p", "iql_steps", "200", "-p", "runs_dir", tmp_path / "runs", "-p", "log_file", tmp_path / "log.md"]
    p = run_papermill(nb, tmp_path / "out.ipynb", *args, cwd=tmp_path, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    out = next((tmp_path / "runs").glob("compare-*"))
    import pandas as pd
    t = pd.read_csv(out / "table.csv")
    assert len(t) == 5 and (t.seeds == 1).all()
    check_comparison_table(t, k=2)
    assert (out / "curve.png").stat().st_size > 0
    assert "papermill" in (tmp_path / "log.md").read_text()
    bad = run_papermill(nb, tmp_path / "out.ipynb", "--execution-timeout", "600", "-y", "budget: -3", "-p", "runs_dir", tmp_path / "r2",
                        cwd=tmp_path, timeout=300)
    assert bad.returncode != 0 and "parameter 'budget' must be >= 100 (got -3" in bad.stderr + bad.stdout and not (tmp_path / "r2").exists()


def test_each_analysis_declares_its_parameters_once():
    "A notebook's parameters cell and its registered parameter class agree on every name and default (the class checks them)."
    import papermill as pm
    import rlnb.api, rlnb.sweep  # noqa: F401  (register the analyses; the sweep report's lives with the sweeps)
    from rlnb.core.config import ANALYSES, _defaults
    assert set(ANALYSES) == {p.stem for p in (ROOT / "analysis").glob("*.ipynb")}
    for name, cls in ANALYSES.items():
        cell = {k: v["default"] for k, v in pm.inspect_notebook(str(ROOT / "analysis" / f"{name}.ipynb")).items()}
        defaults = _defaults(cls)
        for k in defaults.keys() & cell.keys():
            assert eval(cell[k]) == defaults[k], (name, k, cell[k], defaults[k])
        assert defaults.keys() <= cell.keys() | {"E"}, (name, defaults.keys() - cell.keys())
        src = (ROOT / "analysis" / f"{name}.ipynb").read_text()
        assert f"notebook_params({cls.__name__}" in src.replace("rk.", ""), name


def test_offpolicy_analysis_writes_one_run_folder(tmp_path):
    "`rlnb analyze offpolicy`: the notebook, its page, the study's table, curves, demos and runs in one run folder; the log names the command."
    from conftest import cli
    p = cli("analyze", "offpolicy", "-p", "seeds=[0]", "-p", "env_steps=300", "-p", "eval_env_steps=100", "-p", "learning_starts=100",
            "-p", "demos=4", "-p", "eval_episodes=4", "-p", "hidden=16", "-p", "iql_steps=20", "-p", f"log_file={tmp_path / 'log.md'}",
            "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path, check=0)
    folders = list((tmp_path / "runs").iterdir())
    assert len(folders) == 1, folders
    out = folders[0]
    for f in ("offpolicy.ipynb", "offpolicy.html", "table.md", "curves.png", "demos.h5", "runs.csv"): assert (out / f).exists(), f
    assert sorted(r.name for r in (out / "runs").iterdir()) == ["iql-sac-s0-iql", "iql-sac-s0-sac", "rlpd-s0", "sac-s0"]
    assert "| SAC from scratch | 1 |" in p.stdout and "rlnb analyze offpolicy" in (tmp_path / "log.md").read_text()
