import subprocess, sys
from rlnb import api
from rlnb.core.explog import append_entry, format_entry


def test_every_run_appends_one_entry_and_keeps_older_ones(work):
    log = work / "experiments" / "log.md"
    log.parent.mkdir()
    log.write_text("# Experiment log\n\nan older entry written by hand\n")
    old = log.read_text()
    ov = dict(runs_dir=str(work / "runs"), quiet=True, total_timesteps=2048 * 10, num_envs=2048, cycles=2, iterations=5)
    r1 = api.train("demo", overrides=ov | {"name": "one"}, notes="first")
    r2 = api.train("demo", overrides=ov | {"name": "two"})
    text = log.read_text()
    assert text.startswith(old)
    assert text.count("\n## ") == 2 and "## one" in text and "## two" in text
    entry = text[text.index("## one"):text.index("## two")]
    for field in ("git commit:", "command:", "run folder: `", "hardware:", "| epoch |", "Notes: first"):
        assert field in entry
    assert entry.count("\n| ") == 1 + 2  # the header and one row per cycle (2 cycles)


def test_concurrent_appends_all_land_whole(tmp_path):
    log = tmp_path / "log.md"
    code = ("import sys; from rlnb.core.explog import append_entry, format_entry\n"
            "i = sys.argv[1]\n"
            "for j in range(20): append_entry(sys.argv[2], format_entry(f'r{i}-{j}', 'cmd', 'runs/x', '| a |\\n|---:|\\n| ' + 'x' * 5000 + ' |', commit='c'))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(i), str(log)]) for i in range(4)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    text = log.read_text()
    assert text.count("\n## ") == 80
    for block in text.split("\n## ")[1:]:
        assert block.count("x" * 5000) == 1 and block.rstrip().endswith("|")
