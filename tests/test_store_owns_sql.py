"""The store owns every SQL statement (ARCHITECTURE.md, issue 10 point 5).

Outside ``helpdesk_bot/store/`` no module may hold SQL text (a statement or a WHERE fragment),
run a statement on a connection, open a SQLite connection, reach into sqlite-utils tables
(``store.db[...]``) or hand the store a table name or SQL string (``store.insert("outbox", ...)``,
``store.query("SELECT ...")``, ``store.tickets("status = ?")``). Code calls named methods with
typed parameters instead, so a schema change is one package's business.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "helpdesk_bot"
STORE = PACKAGE / "store"

#: SQL in a string: a statement, or a fragment of one (a condition with a placeholder, a JSON
#: path, an IN list, an ORDER BY). Keywords upper case, as the store writes them; English prose
#: ("select the files") does not match.
SQL = re.compile(
    r"\bSELECT\b.*\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\b(CREATE|ALTER|DROP)\s+(TABLE|INDEX|VIEW|TRIGGER)\b|\bPRAGMA\s+\w+"
    r"|\b\w+\s*(=|!=|<>|>=|<=|<|>)\s*\?|\bIS\s+(NOT\s+)?NULL\b|\bIN\s*\(\s*\?|\bORDER\s+BY\b|\bjson_extract\s*\(",
    re.S)
#: Connection methods that run SQL.
EXECUTE = {"execute", "executemany", "executescript"}
#: Store helpers that take SQL text or a table name (fine inside the store, for tests too).
RAW_HELPERS = {"query", "one", "insert", "update", "upsert", "tickets", "table", "count"}


def _strings(node: ast.AST) -> list[str]:
    """The literal text of a string constant or f-string (f-string holes left out)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))]
    return []


def violations(source: str, where: str) -> list[str]:
    tree = ast.parse(source)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            for text in _strings(node):
                if SQL.search(text):
                    found.append(f"{where}:{node.lineno}: SQL text {text[:70]!r}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            if name in EXECUTE:
                found.append(f"{where}:{node.lineno}: .{name}() runs SQL")
            elif name == "connect" and isinstance(node.func.value, ast.Name) and node.func.value.id in ("sqlite3", "sqlite_utils"):
                found.append(f"{where}:{node.lineno}: opens a SQLite connection")
            elif name in RAW_HELPERS and node.args and _strings(node.args[0]) and isinstance(node.func.value, (ast.Name, ast.Attribute)):
                receiver = ast.unparse(node.func.value)
                if re.search(r"store|\bdb\b|conn", receiver):
                    found.append(f"{where}:{node.lineno}: {receiver}.{name}({ast.unparse(node.args[0])[:40]}, ...) "
                                 "passes SQL or a table name")
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "db":
            found.append(f"{where}:{node.lineno}: {ast.unparse(node)[:60]} reaches into a table")
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if STORE not in p.parents)


def test_no_sql_outside_the_store() -> None:
    found = [v for path in _modules()
             for v in violations(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE.parent)))]
    assert found == [], "SQL outside helpdesk_bot/store/ (add a named Store method):\n" + "\n".join(found)


@pytest.mark.parametrize("code", [
    'rows = store.query("SELECT id FROM tickets WHERE status = ?", (s,))',
    'store.conn.execute(f"DELETE FROM doc_cache WHERE sha256 IN ({marks})")',
    'store.tickets("lower(requester) = ? AND request_type != \'x\'", (a,))',
    'where = f"status IN ({marks}) AND due_at IS NOT NULL"',
    'self.store.update("outbox", row["id"], {"status": "sent"})',
    'store.db["outbox"].update(1, {"status": "failed"})',
    'conn = sqlite3.connect(path)',
    'x = "UPDATE quarantine SET status = ?"',
])
def test_the_check_sees_sql(code: str) -> None:
    """The scanner itself: each way SQL used to leak out of the store is reported."""
    assert violations(code, "probe.py"), code


@pytest.mark.parametrize("code", [
    'found = store.tickets_overdue(now, ("baru",))',
    'seen.update(r["id"] for r in rows)',
    'parts.insert(0, "Select the files from the archive")',
    'log.info("outbox_sent", status="sent")',
    'n = text.count("?")',
])
def test_the_check_leaves_ordinary_code_alone(code: str) -> None:
    assert violations(code, "probe.py") == [], code
