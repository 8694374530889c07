"""The layer rules, read from the imports of every module (the rules are in README, "Architecture").

Each folder has one import rule, stated at the top of its ``__init__.py``. This test reads
every module's imports with ``ast`` and fails naming the file, the line and the import when a
folder imports what its rule forbids, or when code outside ``db/`` opens a connection.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SQL_CALLS = {"connect", "begin", "execute", "scalar", "scalars"}


@dataclass(frozen=True)
class Rule:
    """Imports a folder may not make (module prefixes), and whether it may touch SQL."""

    folder: str
    forbidden: tuple[str, ...]
    allowed: tuple[str, ...] = ()  # exceptions inside a forbidden prefix
    sql: bool = False  # may import SQLAlchemy beyond the Engine type and open connections


WEB_ONLY = ("dash", "dash_bootstrap_components", "dash_ag_grid", "flask", "werkzeug.wrappers")
RULES = (
    Rule("db", forbidden=("dashboard",), sql=True),
    Rule("migrations/versions", forbidden=("dashboard", "db"), sql=True),
    Rule("migrations", forbidden=("dashboard",), allowed=("dashboard.config",), sql=True),
    Rule(
        "dashboard/analytics",
        forbidden=("dashboard", "db", "sqlalchemy", *WEB_ONLY, "plotly"),
        allowed=("dashboard.analytics",),
    ),
    Rule(
        "dashboard/components",
        forbidden=("dashboard", "db", "sqlalchemy", "flask"),
        allowed=(
            "dashboard.components",
            "dashboard.analytics",
            "dashboard.ids",
            "db.filters",
            "db.columns",
        ),
    ),
    Rule(
        "dashboard/services",
        forbidden=("dashboard.pages", "dashboard.web", "dashboard.cli", "dashboard.app", *WEB_ONLY),
    ),
    Rule(
        "dashboard/pages",
        forbidden=("dashboard.analytics", "dashboard.cli", "dashboard.app", "db", "sqlalchemy"),
        allowed=("db.queries", "db.filters", "db.audit"),
    ),
    Rule("dashboard/web", forbidden=("dashboard.pages", "dashboard.cli", "dashboard.analytics")),
    Rule("dashboard/cli", forbidden=("dashboard.pages", "dashboard.components")),
    Rule("dashboard", forbidden=("dashboard.analytics",)),
)


def rule_for(path: Path) -> Rule:
    relative = path.relative_to(ROOT).as_posix()
    return max(
        (rule for rule in RULES if relative.startswith(f"{rule.folder}/")),
        key=lambda rule: len(rule.folder),
    )


def modules() -> list[Path]:
    found = [
        path
        for folder in ("dashboard", "db", "migrations")
        for path in sorted((ROOT / folder).rglob("*.py"))
    ]
    assert len(found) > 50, "the module walk found too few files"
    return found


def imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of every import, ``from a import b`` giving ``a.b``."""
    names: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return names


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(f"{prefix}.")


def violations(path: Path) -> list[str]:
    rule = rule_for(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(ROOT).as_posix()
    found = []
    for line, name in imported_names(tree):
        if name == "sqlalchemy.Engine":
            continue
        if any(_within(name, p) for p in rule.forbidden) and not any(
            _within(name, p) for p in rule.allowed
        ):
            found.append(f"{where}:{line} imports {name} ({rule.folder}/ may not)")
        elif not rule.sql and _within(name, "sqlalchemy"):
            found.append(f"{where}:{line} imports {name} (SQL lives in db/)")
    if not rule.sql:
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_CALLS
                and isinstance(node.func.value, ast.Name | ast.Call)
                and "engine" in ast.unparse(node.func.value).lower()
            ):
                found.append(f"{where}:{node.lineno} calls {ast.unparse(node.func)} (SQL in db/)")
    return found


def test_every_folder_keeps_its_import_rule():
    problems = [problem for path in modules() for problem in violations(path)]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    "folder", sorted({rule.folder for rule in RULES if not rule.folder.startswith("migrations")})
)
def test_each_folder_states_its_rule(folder):
    init = ROOT / folder / "__init__.py"
    docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    assert "Imports:" in docstring, f"{init.relative_to(ROOT)} does not state its import rule"


def test_the_checker_catches_a_forbidden_import(tmp_path, monkeypatch):
    """A page that imports analytics and a component that runs SQL are both named."""
    page = ROOT / "dashboard" / "pages" / "overview.py"
    tree = ast.parse("from dashboard.analytics.rfm import score_rfm\nimport sqlalchemy\n")
    rule = rule_for(page)
    names = [name for _line, name in imported_names(tree)]
    assert names == ["dashboard.analytics.rfm.score_rfm", "sqlalchemy"]
    assert any(_within(names[0], p) for p in rule.forbidden)
    assert rule_for(ROOT / "db" / "queries.py").sql
    assert not rule_for(ROOT / "dashboard" / "components" / "grid.py").sql
