import os, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
RLNB = shutil.which("rlnb", path=str(Path(sys.executable).parent)) or "rlnb"

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Several workers share the cores (scripts/test.sh: one per core): torch's default of one thread per core in
    # every worker, and in every CLI, kernel and env process a worker starts, oversubscribes them several times over.
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = "1"
    import torch
    torch.set_num_threads(1)


@pytest.fixture
def work(tmp_path, monkeypatch):
    "A clean working folder (runs/ and experiments/ go here) with QA_STEPS unset."
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QA_STEPS", raising=False)
    monkeypatch.delenv("RLNB_HOME", raising=False)
    return tmp_path


def cli(*args, env=None, cwd=None, check=None):
    "Run the `rlnb` command; returns the CompletedProcess (text)."
    e = {k: v for k, v in os.environ.items() if k != "QA_STEPS"}
    e.update(env or {})
    p = subprocess.run([RLNB, *args], capture_output=True, text=True, env=e, cwd=cwd, timeout=600)
    if check is not None:
        assert p.returncode == check, f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    return p


def papermill(nb, out, *args, cwd, timeout=600):
    "Run notebook `nb` under papermill (the python3 kernel) into `out`; `args` are papermill's (-p K V, -y YAML, ...)."
    return subprocess.run([sys.executable, "-m", "papermill", str(nb), str(out), "-k", "python3", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=timeout)


def snapshot(folder: Path) -> dict:
    "Every file under `folder` with its bytes: to show that nothing was changed."
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_user_error(p, *words):
    "Exit status 2, one 'rlnb: error:' line naming `words`, no traceback."
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    errs = [l for l in p.stderr.splitlines() if l.startswith("rlnb: error:")]
    assert len(errs) == 1, p.stderr
    assert "Traceback" not in p.stderr
    for w in words: assert w in errs[0], (w, errs[0])
    return errs[0]

def check_comparison_table(t, k):
    "What a correct comparison table must show (not only numbers in range): labels with the k that ran, peak >= final, re-rollout steps exactly for MC-k."
    labels = [f"MC{k}-AWR (oracle)", f"MC{k}-AWR (on-policy)", "GAE-PPO (pretrained critic)", f"offline MC{k}-AWR", "IQL-AWR (offline)"]
    assert t.method.tolist() == labels, t.method.tolist()
    assert (t.peak_mean >= t.final_mean).all() and t.final_mean.between(0, 1).all()
    mc = t.method.str.contains(f"MC{k}")
    assert (t.mc_steps[mc] > 0).all() and (t.mc_steps[~mc] == 0).all()


def image_stats(png: Path) -> tuple[float, float]:
    "(colour spread, share of dark pixels) of a PNG: a blank page has both near 0."
    from matplotlib.image import imread
    img = imread(str(png))[..., :3]
    return float((img.std(axis=(0, 1))).mean()), float((img.mean(-1) < 0.9).mean())


def screenshot(html: Path, png: Path, size: str = "1200,3000") -> tuple[float, float]:
    "Render `html` in headless Chromium into `png`; returns its `image_stats`."
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "headless chromium is needed (scripts/test.sh installs it: apt-get install chromium)"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--window-size={size}",
                    f"--screenshot={png}", Path(html).as_uri()], capture_output=True, timeout=120)
    return image_stats(png)
