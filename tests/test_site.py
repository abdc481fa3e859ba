"""The offline docs site (rlnb docs): every page of _quarto.yml executed and written, checked in headless Chromium;
a page that fails names itself and its cell and leaves the previous site as it was."""
import json, shutil, socket
from pathlib import Path
import nbformat
import yaml
from conftest import ROOT, assert_user_error, cli, image_stats, snapshot
from rlnb.docs import check_site, site_pages, site_problems


def test_docs_site_every_page_checked_in_chromium(tmp_path):
    """The whole site, as stored (nbdev-test has just executed every page in this suite: executing them all again here
    would only repeat it), opened page by page in Chromium; then two pages built executed."""
    out = tmp_path / "site"
    p = cli("docs", "--out", str(out), "--no-execute", cwd=ROOT, check=0)
    assert f"site: {len(site_pages(ROOT))} pages in {out}" in p.stdout
    info = json.loads((out / "site.json").read_text())
    assert [r["page"] for r in info["pages"]] == [p for _, p in site_pages(ROOT)] and not info["executed"]
    t = check_site(out, screenshot=tmp_path / "rrd.png", page="algos/45_rrd.ipynb")
    assert site_problems(t) == [], site_problems(t)
    assert t.loaded.all() and (t.links == len(t) + 1).all() and (t.broken_links == 0).all()   # every page, its sidebar
    rrd = t.set_index("page").loc["algos/45_rrd.ipynb"]
    assert rrd.math >= 20 and rrd.raw_math == 0 and rrd.title
    spread, dark = image_stats(tmp_path / "rrd.png")
    assert spread > 0.05 and dark > 0.01                                   # a page was drawn, not a blank one
    html = (out / "algos/45_rrd.html").read_text()
    assert 'src="../_mathjax/MathJax.js?config=' in html and '<script src="http' not in html   # nothing loaded from the network
    assert html.count('href="../policies/31_advantages.html"') == 1        # the sidebar links relatively
    assert (out / "index.html").is_file() and (out / "_mathjax/MathJax.js").is_file()
    ex = tmp_path / "executed"
    cli("docs", "--out", str(ex), "--pages", "explanations/loops.ipynb", "policies/31_advantages.ipynb", cwd=ROOT, check=0)
    info = json.loads((ex / "site.json").read_text())
    assert info["executed"] and all(r["executed"] > 3 and r["error_outputs"] == 0 for r in info["pages"])
    gae = (ex / "policies/31_advantages.html").read_text()
    assert gae.count('src="data:image/png') == 1                               # the explorer's static view, once
    assert site_problems(check_site(ex)) == []


def _tiny_project(root: Path, pages: dict):
    "A source tree of rlnb's shape with the given notebooks (name -> code of one cell)."
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / "nbs").mkdir(parents=True)
    for name, code in pages.items():
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {name}\n\nSome math: $x^2$."),
                                                      nbformat.v4.new_code_cell(code)]), root / "nbs" / name)
    (root / "_quarto.yml").write_text(yaml.safe_dump({"website": {"sidebar": {"contents": list(pages)}}}))


def test_docs_failing_page_is_named_and_the_previous_site_stays(tmp_path):
    _tiny_project(tmp_path, {"index.ipynb": "x = 41 + 1\nx"})
    cli("docs", cwd=tmp_path, check=0)
    before = snapshot(tmp_path / "_site")
    assert "index.html" in before and "site.json" in before
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# bad"), nbformat.v4.new_code_cell("y = 1"),
                                                  nbformat.v4.new_code_cell("y / 0")]), tmp_path / "nbs" / "bad.ipynb")
    (tmp_path / "_quarto.yml").write_text(yaml.safe_dump({"website": {"sidebar": {"contents": ["index.ipynb", "bad.ipynb"]}}}))
    p = cli("docs", cwd=tmp_path)
    assert_user_error(p, "page bad.ipynb, cell 3 ('y / 0') failed: ZeroDivisionError", "the site in", "is unchanged")
    assert snapshot(tmp_path / "_site") == before                          # the previous site, byte for byte
    assert sorted(x.name for x in tmp_path.iterdir() if x.name.startswith(".")) == []   # no partial folder left


def test_docs_bad_input_one_sentence_nothing_written(tmp_path):
    _tiny_project(tmp_path, {"index.ipynb": "1"})
    (tmp_path / "_quarto.yml").write_text(yaml.safe_dump({"website": {"sidebar": {"contents": ["index.ipynb", "gone.ipynb"]}}}))
    assert_user_error(cli("docs", cwd=tmp_path), "_quarto.yml lists gone.ipynb, which is not in nbs/")
    (tmp_path / "_quarto.yml").write_text(yaml.safe_dump({"website": {"sidebar": {"contents": ["index.ipynb"]}}}))
    assert_user_error(cli("docs", "--pages", "nope.ipynb", cwd=tmp_path), "nope.ipynb is not a page of _quarto.yml's sidebar")
    (tmp_path / "mine").mkdir(); (tmp_path / "mine" / "notes.txt").write_text("keep")
    assert_user_error(cli("docs", "--out", "mine", cwd=tmp_path), "is not an rlnb site (no site.json)")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"
    p = cli("docs", "--check", cwd=tmp_path, env={"RLNB_CHROMIUM": str(tmp_path / "no-such-chromium")})
    assert_user_error(p, "no Chromium on this machine", "apt-get install chromium")
    assert not (tmp_path / "_site").exists()                               # said before anything was built
    (tmp_path / "other").mkdir(); (tmp_path / "other" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert_user_error(cli("docs", cwd=tmp_path / "other"), "has no _quarto.yml")
