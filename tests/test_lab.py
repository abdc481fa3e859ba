"""JupyterLab for real: a method page opened in headless Chromium, run, a slider moved, the figure redrawn by the kernel;
and `rlnb lab`'s bad input."""
import socket
from matplotlib.image import imread
import numpy as np
from conftest import ROOT, assert_user_error, cli
from rlnb.docs import check_lab_page


def test_lab_runs_a_method_page_and_a_moved_slider_redraws(tmp_path):
    page = ROOT / "nbs/policies/31_advantages.ipynb"
    before_nb, ckpt = page.read_bytes(), page.parent / ".ipynb_checkpoints" / "31_advantages-checkpoint.ipynb"
    had_ckpt = ckpt.exists()
    r = check_lab_page("nbs/policies/31_advantages.ipynb", shots=tmp_path)
    assert page.read_bytes() == before_nb and ckpt.exists() == had_ckpt    # the repository is left as it was
    print({k: v for k, v in r.items() if k.endswith("_s")})               # timings, shown with pytest -s
    assert r["cells"] > 5 and r["ran"] == r["cells"]                       # every code cell ran in the kernel
    assert r["errors"] == [] and r["widget_errors"] == 0, r
    assert r["figure_changed"]                                             # the kernel sent a new figure
    a, b = imread(r["before"])[..., :3], imread(r["after"])[..., :3]
    assert a.shape == b.shape and a.std() > 0.05                           # a drawn figure, then another
    assert np.abs(a - b).mean() > 1e-3                                     # the two screenshots differ where the plot is
    assert r["redraw_s"] < 30 and r["first_cell_s"] < 120


def test_lab_port_in_use_is_one_sentence(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); s.listen(); port = s.getsockname()[1]
        p = cli("lab", "--port", str(port), cwd=ROOT)
    assert_user_error(p, f"port {port} on 127.0.0.1 is in use", "rlnb lab --port")
    assert "token=" not in p.stdout                                        # nothing started, no address printed
    assert_user_error(cli("lab", "--port", "70000", cwd=ROOT), "port 70000 is not a TCP port")
