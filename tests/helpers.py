"""Shared helpers for tests that run the pipeline on a Maildir and a directory outbox."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import mailbox
from email.message import EmailMessage, Message
from pathlib import Path

from helpdesk_bot.config import Config, embedded_default


def maildir_config(base: Path, **overrides) -> Config:
    """The embedded default rooted at ``base`` (Maildir in, SQLite, .eml outbox)."""
    cfg = embedded_default(base)
    return dataclasses.replace(cfg, **overrides) if overrides else cfg


def drop(cfg: Config, msg: EmailMessage | bytes, mailbox_name: str = "helpdesk") -> None:
    mb = next(m for m in cfg.mailbox if m.name == mailbox_name)
    path = cfg.resolve(mb.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    box = mailbox.Maildir(str(path), create=True)
    box.add(msg if isinstance(msg, bytes) else msg.as_bytes())


def outbox_mails(cfg: Config) -> list[Message]:
    path = cfg.resolve(cfg.smtp.path)
    if not path.exists():
        return []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(path.glob("*.eml"))]


def body(msg: Message) -> str:
    part = msg.get_body(preferencelist=("plain",)) if hasattr(msg, "get_body") else msg
    return part.get_content()
