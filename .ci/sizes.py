"""Size limits of the house style: no module over 400 lines, no function over 80 lines,
docstrings aside (a long docstring is welcome; a long body is not).

    python .ci/sizes.py [ROOT ...] [--skip pronounce] [--max-module 400] [--max-function 80]

Prints one line per module or function over its limit and exits 1 if there is any.
``tests/test_layout.py`` runs it on ``src/space``.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable
from pathlib import Path


def _docstring_lines(node: ast.AST) -> set[int]:
    """Line numbers of every docstring inside ``node`` (its own and its children's)."""
    lines: set[int] = set()
    for n in ast.walk(node):
        if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = n.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                end = body[0].end_lineno or body[0].lineno
                lines.update(range(body[0].lineno, end + 1))
    return lines


def check_file(path: Path, *, max_module: int = 400, max_function: int = 80) -> list[str]:
    """Limits broken in one file: ``["path: N lines (limit M)", "path:line name: ..."]``."""
    text = path.read_text()
    tree = ast.parse(text, filename=str(path))
    docs = _docstring_lines(tree)
    problems = []
    n_module = sum(1 for i in range(1, len(text.splitlines()) + 1) if i not in docs)
    if n_module > max_module:
        problems.append(f"{path}: module of {n_module} lines (limit {max_module})")
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([d.lineno for d in node.decorator_list] + [node.lineno])
            span = range(first, (node.end_lineno or node.lineno) + 1)
            n = sum(1 for i in span if i not in docs)
            if n > max_function:
                problems.append(f"{path}:{node.lineno} {node.name}: {n} lines "
                                f"(limit {max_function})")
    return problems


def check_tree(root: Path, *, skip: Iterable[str] = (), max_module: int = 400,
               max_function: int = 80) -> list[str]:
    """:func:`check_file` on every ``*.py`` under ``root`` except folders named in ``skip``."""
    skip = set(skip)
    problems = []
    for path in sorted(root.rglob("*.py")):
        if skip & set(path.relative_to(root).parts[:-1]):
            continue
        problems += check_file(path, max_module=max_module, max_function=max_function)
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("roots", nargs="*", default=["src/space"])
    ap.add_argument("--skip", action="append", default=[], help="folder name to leave out")
    ap.add_argument("--max-module", type=int, default=400)
    ap.add_argument("--max-function", type=int, default=80)
    args = ap.parse_args(argv)
    problems = []
    for r in args.roots:
        problems += check_tree(Path(r), skip=args.skip, max_module=args.max_module,
                               max_function=args.max_function)
    print("\n".join(problems) or "all modules and functions within their limits")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
