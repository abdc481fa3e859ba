import shutil, subprocess, sys
from pathlib import Path
import yaml
from conftest import ROOT


def _pages(items):
    for it in items:
        if isinstance(it, str): yield it
        elif "contents" in it: yield from _pages(it["contents"])
        elif "href" in it: yield it["href"]


def test_every_notebook_is_in_the_site_navigation():
    site = yaml.safe_load((ROOT / "_quarto.yml").read_text())
    listed = set(_pages(site["website"]["sidebar"]["contents"]))
    nbs = ROOT / "nbs"
    notebooks = {str(p.relative_to(nbs)) for p in nbs.rglob("*.ipynb")
                 if not any(part.startswith(("_", ".")) for part in p.relative_to(nbs).parts)}
    assert notebooks - listed == set(), "add these notebooks to _quarto.yml's sidebar"
    assert listed - notebooks == set(), "these pages in _quarto.yml do not exist"
    assert (nbs / "_quarto.yml").resolve() == (ROOT / "_quarto.yml").resolve()


def test_nbdev_preprocessing_runs(tmp_path):
    "nbdev's docs pre-processing (what nbdev-docs does before Quarto renders) succeeds on every page."
    for name in ("pyproject.toml", "_quarto.yml", "README.md"): shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "nbs", tmp_path / "nbs", symlinks=True)
    shutil.copytree(ROOT / "rlnb", tmp_path / "rlnb")
    code = ("from nbdev.quarto import refresh_quarto_yml\nfrom nbdev.serve import proc_nbs\n"
            "refresh_quarto_yml(); print(proc_nbs(n_workers=2))")
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    proc = tmp_path / "_proc"
    for nb in (ROOT / "nbs").rglob("*.ipynb"):
        if any(part.startswith((".", "_")) for part in nb.relative_to(ROOT / "nbs").parts): continue  # .ipynb_checkpoints (Jupyter's)
        assert (proc / nb.relative_to(ROOT / "nbs")).exists(), nb
    assert yaml.safe_load((proc / "_quarto.yml").read_text())["website"]["sidebar"]["contents"]


def test_readme_is_the_index_notebook():
    p = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "markdown", "--stdout", str(ROOT / "nbs" / "index.ipynb")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert (ROOT / "README.md").read_text() == p.stdout, "README.md is stale: run bash scripts/readme.sh"
