"""Request mails as people send them, for tests, examples and the labelled corpus."""

from __future__ import annotations

import email.utils
from collections.abc import Iterable
from email.message import EmailMessage

_counter = 0


def request_mail(
    subject: str = "Permohonan",
    body: str = "Dengan hormat,\nBersama ini kami sampaikan permohonan.\n\nTerima kasih.",
    attachments: Iterable[tuple[str, bytes]] = (),
    sender: str = "Pokja Pemilihan 12 <pokja12@bandungkab.go.id>",
    to: str = "helpdesk@lpse.jabarprov.go.id",
    cc: str = "",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A mail with attachments given as (filename, bytes); the type is sniffed from the name."""
    global _counter
    _counter += 1
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(email.utils.localtime())
    msg["Message-ID"] = message_id or email.utils.make_msgid(f"t{_counter}", domain="example.go.id")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = references or in_reply_to
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    for name, data in attachments:
        maintype, subtype = _ctype(name)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def _ctype(name: str) -> tuple[str, str]:
    ext = name.rsplit(".", 1)[-1].lower()
    return {
        "pdf": ("application", "pdf"),
        "jpg": ("image", "jpeg"),
        "jpeg": ("image", "jpeg"),
        "png": ("image", "png"),
        "zip": ("application", "zip"),
        "docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
        "doc": ("application", "msword"),
    }.get(ext, ("application", "octet-stream"))
