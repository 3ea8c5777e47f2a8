"""The reply service is the one door for mail the desk writes (issue 10, point 5).

Behaviour (rate limits, DMARC, the requester-only rule, withheld reasons) is tested where it
shows: test_hostile_mail, test_ticket_access, test_trust, test_workflow, test_scheduler,
test_digest, test_import. Here: the shape that keeps it one door, read from the source with
``ast`` so a new module that queues mail its own way fails at once.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "helpdesk_bot"
#: The store defines ``enqueue`` (the outbox table); the reply service is its only caller.
DOOR = {"reply_service.py", "tickets.py"}


def _attribute_calls(path: Path, names: set[str]) -> list[tuple[str, int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names:
            out.append((path.name, node.lineno, node.func.attr))
    return out


def test_only_the_reply_service_queues_mail() -> None:
    calls = [c for p in sorted(PACKAGE.rglob("*.py")) if p.name not in DOOR
             for c in _attribute_calls(p, {"enqueue"})]
    assert calls == [], f"mail queued outside reply_service.py: {calls}"


def test_the_checker_sees_a_call(tmp_path: Path) -> None:
    src = tmp_path / "x.py"
    src.write_text("def f(store, out):\n    store.enqueue(out)\n", encoding="utf-8")
    assert _attribute_calls(src, {"enqueue"}) == [("x.py", 2, "enqueue")]


def test_nobody_reaches_into_the_pipeline() -> None:
    """Other modules get what they need handed to them (a ReplyService, the store); none uses
    a Pipeline's private members (``pipeline._reply``, ``pipeline._initial_status`` were)."""
    found = []
    for p in sorted(PACKAGE.rglob("*.py")):
        if p.name == "pipeline.py":
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and node.value.id == "pipeline"):
                found.append((p.name, node.lineno, node.attr))
    assert found == []
