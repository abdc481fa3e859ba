"""How long a researcher waits: JupyterLab from launch to the first executed cell of a method page (the GAE page,
run all), to every cell, and from a slider move to the redrawn figure, in headless Chromium (rlnb.docs.check_lab_page);
against a reference in the same run: the same page executed without a server or a browser (a fresh kernel through
nbclient, as papermill runs it: kernel start + the cells). With --site, also the offline docs site: build (every page
executed) and the Chromium check, with a screenshot of a page with typeset math.

    python benchmarks/lab_open.py [--page nbs/policies/31_advantages.ipynb] [--repeats 2] [--shots DIR] [--site]
"""
import argparse, json, shutil, tempfile, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient
from rlnb.core.base import project_dir
from rlnb.docs import build_site, check_lab_page, check_site, site_problems

ap = argparse.ArgumentParser()
ap.add_argument("--page", default="nbs/policies/31_advantages.ipynb")
ap.add_argument("--repeats", type=int, default=2)
ap.add_argument("--shots", help="keep the screenshots here (lab.png, before.png, after.png; site_math.png with --site)")
ap.add_argument("--site", action="store_true")
a = ap.parse_args()
root = project_dir()
shots = Path(a.shots) if a.shots else Path(tempfile.mkdtemp())
shots.mkdir(parents=True, exist_ok=True)

lab = []
for i in range(a.repeats):
    r = check_lab_page(a.page, shots=shots)
    assert r["errors"] == [] and r["figure_changed"], r
    lab.append(r)
    print(f"lab run {i}: server ready {r['server_ready_s']:.1f} s, kernel connected {r['kernel_connected_s']:.1f} s, first executed cell "
          f"{r['first_cell_s']:.1f} s, all {r['ran']} cells {r['all_cells_s']:.1f} s, slider move -> new figure {r['redraw_s']:.2f} s")

ref = []
for i in range(a.repeats):
    nb = nbformat.read(root / a.page, as_version=4)
    t = time.time()
    c = NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": str((root / a.page).parent)}}, timeout=600)
    with c.setup_kernel():
        t_kernel = time.time() - t
        for j, cell in enumerate(nb.cells): c.execute_cell(cell, j)
    ref.append((t_kernel, time.time() - t))
    print(f"reference run {i} (nbclient, no server, no browser): kernel ready {t_kernel:.1f} s, all cells {ref[-1][1]:.1f} s")

best = lambda xs: min(xs)
print(f"best of {a.repeats}: lab launch -> first executed cell {best(r['first_cell_s'] for r in lab):.1f} s, -> all cells "
      f"{best(r['all_cells_s'] for r in lab):.1f} s; nbclient kernel start + all cells {best(x[1] for x in ref):.1f} s; "
      f"ratio lab/nbclient {best(r['all_cells_s'] for r in lab) / best(x[1] for x in ref):.2f}; redraw {best(r['redraw_s'] for r in lab):.2f} s")
print(f"screenshots: {shots / 'lab.png'} (the lab after the move), {shots / 'before.png'}, {shots / 'after.png'}")

if a.site:
    out = Path(tempfile.mkdtemp()) / "site"
    t = time.time(); build_site(out, quiet=True); t_build = time.time() - t
    t = time.time(); tab = check_site(out, screenshot=shots / "site_math.png", page="algos/45_rrd.ipynb"); t_check = time.time() - t
    assert site_problems(tab) == [], site_problems(tab)
    info = json.loads((out / "site.json").read_text())
    print(f"site: {len(info['pages'])} pages built (executed) in {t_build:.1f} s on 2 workers; Chromium check {t_check:.1f} s "
          f"({int(tab.math.sum())} equations typeset, 0 raw, 0 tracebacks, 0 broken links); screenshot {shots / 'site_math.png'}")
    shutil.rmtree(out)
