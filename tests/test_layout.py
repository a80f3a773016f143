"""The house rules a reader relies on: every benchmark is in the index, every stored result
is quoted somewhere, and src/ keeps its size limits (module <= 400 lines, function <= 80)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"


def test_every_benchmark_script_is_in_the_index() -> None:
    index = (BENCH / "README.md").read_text()
    scripts = [p.name for p in BENCH.glob("*.py")]
    assert scripts, "no benchmark scripts found"
    missing = [s for s in scripts if f"`{s}`" not in index]
    assert not missing, f"benchmarks/README.md does not list {missing}"


def test_every_result_file_is_quoted() -> None:
    quoting = (ROOT / "README.md").read_text() + (BENCH / "README.md").read_text()
    unquoted = [p.name for p in (BENCH / "results").iterdir()
                if f"results/{p.name}" not in quoting]
    assert not unquoted, (f"result files nothing quotes (quote them in benchmarks/README.md "
                          f"or delete them): {unquoted}")


def test_index_names_only_scripts_that_exist() -> None:
    index = (BENCH / "README.md").read_text()
    named = set(re.findall(r"\| `([a-z_]+\.py)`", index))
    gone = sorted(n for n in named if not (BENCH / n).is_file())
    assert not gone, f"benchmarks/README.md lists scripts that do not exist: {gone}"


def test_every_import_in_the_benchmarks_resolves(monkeypatch) -> None:
    """Imports inside a benchmark's functions are not checked by ruff or run by the tests:
    each ``from space... / from _common... import NAME`` must still name something that
    exists (a module renamed or a helper moved breaks a script only when someone runs it)."""
    import ast
    import importlib

    monkeypatch.syspath_prepend(str(BENCH))
    local = {p.stem for p in BENCH.glob("*.py")}
    bad = []
    for f in sorted(BENCH.glob("*.py")):
        for node in ast.walk(ast.parse(f.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
                continue
            top = node.module.split(".")[0]
            if not (top == "space" or top in local or top.startswith("_")):
                continue  # a third-party package (optional ones are the script's business)
            try:
                mod = importlib.import_module(node.module)
            except ImportError as e:
                bad.append(f"{f.name}:{node.lineno}: {e}")
                continue
            for a in node.names:
                if a.name != "*" and not hasattr(mod, a.name) and \
                        importlib.util.find_spec(f"{node.module}.{a.name}") is None:
                    bad.append(f"{f.name}:{node.lineno}: {node.module} has no {a.name}")
    assert not bad, "\n".join(bad)


def _sizes_module():
    spec = importlib.util.spec_from_file_location("sizes", ROOT / ".ci" / "sizes.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["sizes"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_size_checker_counts_code_not_docstrings(tmp_path: Path) -> None:
    sizes = _sizes_module()
    body = "\n".join(f"    x{i} = {i}" for i in range(81))
    src = (f'"""Module."""\n\n\ndef short() -> None:\n    """{"doc " * 10}\n\n'
           + "    more doc\n" * 100 + '    """\n    return None\n\n\n'
           f"def long() -> None:\n{body}\n")
    f = tmp_path / "m.py"
    f.write_text(src)
    problems = sizes.check_file(f, max_module=400, max_function=80)
    assert len(problems) == 1 and "long" in problems[0] and "82 lines" in problems[0], problems


def test_src_keeps_its_size_limits() -> None:
    sizes = _sizes_module()
    problems = sizes.check_tree(ROOT / "src" / "space")
    assert not problems, "\n".join(problems)
