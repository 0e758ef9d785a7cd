"""The shape the house style asks of bot/: every function at most 60 lines, and every file name
unique (a traceback's file name alone says which room it is in)."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
MAX_FUNCTION_LINES = 60


def long_functions(root: Path, limit: int) -> list[str]:
    """Every function or method under `root` longer than `limit` lines (decorators, docstring and
    nested functions included), as "path:line name (n lines)"."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines = (node.end_lineno or node.lineno) - first + 1
                if lines > limit:
                    found.append(f"{path.relative_to(root.parent)}:{first} {node.name} ({lines} lines)")
    return found


def test_every_function_in_bot_is_at_most_60_lines() -> None:
    assert long_functions(BOT, MAX_FUNCTION_LINES) == []


def test_the_check_sees_a_long_function(tmp_path: Path) -> None:
    """The check itself: a 61-line method (its decorator counted) is reported, a 60-line function
    is not."""
    body = [f"x{i} = {i}" for i in range(58)]
    short = ["def short():", *(f"    {line}" for line in body), "    return 1"]  # 60 lines
    long = ["class C:", "    @staticmethod", "    def long():", *(f"        {line}" for line in body)]
    (tmp_path / "short.py").write_text("\n".join(short) + "\n")
    (tmp_path / "long.py").write_text("\n".join([*long, "        return 1"]) + "\n")  # 61 lines
    assert long_functions(tmp_path, MAX_FUNCTION_LINES) == [f"{tmp_path.name}/long.py:2 long (61 lines)"]


def test_every_file_name_in_bot_is_unique() -> None:
    names = Counter(path.name for path in BOT.rglob("*.py") if path.name != "__init__.py")
    assert [name for name, count in names.items() if count > 1] == []
