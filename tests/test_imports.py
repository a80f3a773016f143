"""The package's import structure (docs/architecture.md): no import circle, and arrows only
pointing down (faces -> api -> training -> pronounce -> recognize), counting every import
in a module (top level, inside functions, under TYPE_CHECKING)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _graph() -> dict[str, set[str]]:
    """``{module: modules of space it imports}`` from the source of ``src/space``."""
    mods: dict[str, tuple[Path, list[str]]] = {}
    for p in (SRC / "space").rglob("*.py"):
        parts = list(p.relative_to(SRC).with_suffix("").parts)
        pkg = parts[:-1]
        if parts[-1] == "__init__":
            parts = pkg = parts[:-1]
        mods[".".join(parts)] = (p, pkg)
    edges: dict[str, set[str]] = {}
    for name, (path, pkg) in mods.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = pkg[: len(pkg) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base
                             for a in node.names)
        out = set()
        for target in found:
            while target and target not in mods:  # a name inside a module -> the module
                target = target.rpartition(".")[0]
            if target.startswith("space") and target != name:
                out.add(target)
        edges[name] = out
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_graph_sees_known_imports() -> None:
    edges = _graph()
    assert "space.pronounce.evidence.viterbi" in edges["space.pronounce.evidence.sentence"]
    assert "space.training.loop" in edges["space.training.words"]


def test_no_import_circle() -> None:
    assert _cycles(_graph()) == []


def test_imports_point_down() -> None:
    """recognize/ imports neither pronounce/ nor training/; pronounce/ does not import
    training/; neither imports the faces (cli, web) or the api."""
    above = {
        "space.recognize": ("space.pronounce", "space.training", "space.api", "space.cli",
                            "space.web"),
        "space.pronounce": ("space.training", "space.api", "space.cli", "space.web"),
        "space.training": ("space.api", "space.cli", "space.web"),
    }
    wrong = [f"{m} -> {t}" for m, targets in _graph().items() for low, high in above.items()
             if m == low or m.startswith(low + ".")
             for t in targets if any(t == h or t.startswith(h + ".") for h in high)]
    assert wrong == []
