"""docs/reliability.md promises that every fault it lists is a test: each one it names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REF = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`")


def _functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def test_every_test_the_fault_matrix_names_exists() -> None:
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    refs = REF.findall(text)
    assert len(refs) >= 40  # the matrix is not empty
    missing = []
    for file, function in refs:
        path = ROOT / file
        if not path.is_file():
            missing.append(file)
        elif function and function not in _functions(path):
            missing.append(f"{file}::{function}")
    assert missing == []
