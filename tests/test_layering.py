"""The package's layering: imports point down only, and no module imports one that imports it.

Layers, bottom up (a module may import its own layer's lower-numbered modules and any lower layer):
core < envs < data < policies < algos < analysis < api < sweep < docs < cli. Every import is counted, at module top or
inside a function, since a deferred import is still a dependency."""
import ast
from pathlib import Path
import pytest
from conftest import ROOT

LAYERS = ["core", "envs", "data", "policies", "algos", "analysis", "api", "sweep", "docs", "cli"]
PKG = ROOT / "rlnb"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def rlnb_imports(path: Path) -> set[str]:
    "The rlnb modules `path` imports (relative imports resolved; `from pkg import mod` counted as pkg.mod)."
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("rlnb.")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod != "rlnb" and not mod.startswith("rlnb."): continue
            for a in node.names:  # `from rlnb.algos import ppo` imports the module rlnb.algos.ppo
                sub = f"{mod}.{a.name}"
                found.add(sub if (PKG.parent / (sub.replace(".", "/") + ".py")).exists()
                          or (PKG.parent / sub.replace(".", "/")).is_dir() else mod)
    return found - {me, "rlnb"}


def layer(mod: str) -> str | None:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def upward_imports(graph: dict) -> list[str]:
    "Every import from a higher layer, as 'a -> b'."
    out = []
    for m, deps in sorted(graph.items()):
        if layer(m) is None: continue
        out += [f"{m} -> {d}" for d in sorted(deps) if layer(d) and LAYERS.index(layer(d)) > LAYERS.index(layer(m))]
    return out


def import_cycles(graph: dict) -> list[list[str]]:
    "Every circle a depth-first walk of the import graph meets."
    state, stack, cycles = {}, [], []
    def visit(m):
        state[m] = "open"; stack.append(m)
        for n in sorted(graph.get(m, ())):
            if n not in graph: continue
            if state.get(n) == "open": cycles.append(stack[stack.index(n):] + [n])
            elif n not in state: visit(n)
        stack.pop(); state[m] = "done"
    for m in sorted(graph):
        if m not in state: visit(m)
    return cycles


GRAPH = {module_name(p): rlnb_imports(p) for p in sorted(PKG.rglob("*.py")) if p.name != "_modidx.py"}


def test_every_module_has_a_layer():
    loose = [m for m in GRAPH if m != "rlnb" and layer(m) is None]
    assert loose == [], f"put these modules into one of the layers {LAYERS}"


def test_imports_point_down():
    assert upward_imports(GRAPH) == [], "imports from a higher layer"


def test_no_import_circles():
    assert import_cycles(GRAPH) == [], "import circles"


def test_the_graph_is_read():
    "The graph holds what the code imports (a parser that found nothing would pass the checks above)."
    assert "rlnb.policies.agent" in GRAPH["rlnb.algos.ppo"] and "rlnb.core.base" in GRAPH["rlnb.envs.picklite"]
    assert {"rlnb.algos.demo", "rlnb.algos.ppo"} <= GRAPH["rlnb.algos"]  # `from . import demo, ppo, ...`


def test_the_checks_catch_a_bad_graph():
    bad = {"rlnb.core.a": {"rlnb.algos.b"}, "rlnb.algos.b": {"rlnb.envs.c"}, "rlnb.envs.c": {"rlnb.core.a"}}
    assert upward_imports(bad) == ["rlnb.core.a -> rlnb.algos.b"]
    assert import_cycles(bad) == [["rlnb.algos.b", "rlnb.envs.c", "rlnb.core.a", "rlnb.algos.b"]]
