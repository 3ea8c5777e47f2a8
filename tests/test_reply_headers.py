"""The shortcut for plain reply headers writes exactly what compat32 writes (replies._OwnHeaders)."""

from __future__ import annotations

from email.mime.text import MIMEText
from email.policy import compat32

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk_bot.replies import _OWN_HEADERS, Outgoing

NAMES = st.sampled_from(["Subject", "To", "From", "References", "In-Reply-To", "X-Helpdesk-Ticket", "Message-ID"])
# Printable ASCII with spaces and tabs, lines around the 78-character limit, some non-ASCII.
VALUES = st.text(alphabet=st.characters(min_codepoint=9, max_codepoint=0x7E) | st.sampled_from("é—  \t"),
                 max_size=120)


def _fold(policy, name: str, value: str) -> bytes | str:  # type: ignore[no-untyped-def]
    """The folded header, or the error compat32 refuses it with (a value that would smuggle
    in a header of its own: "\r0:", "\x1e0:")."""
    try:
        return policy.fold_binary(name, value)
    except Exception as e:  # noqa: BLE001 - compared, not swallowed
        return f"{type(e).__name__}: {e}"


@settings(max_examples=3000, deadline=None)
@given(NAMES, VALUES)
def test_every_header_is_folded_as_compat32_folds_it(name: str, value: str) -> None:
    assert _fold(_OWN_HEADERS, name, value) == _fold(compat32, name, value)


def test_a_value_that_would_smuggle_in_a_header_is_refused_as_compat32_refuses_it() -> None:
    for value in ("\r0:", "\x1e0:", "a\nBcc: x@example.test"):
        assert _fold(_OWN_HEADERS, "Subject", value) == _fold(compat32, "Subject", value)
        assert str(_fold(_OWN_HEADERS, "Subject", value)).startswith("HeaderParseError")


def test_a_whole_reply_is_byte_for_byte_what_compat32_writes() -> None:
    msg = MIMEText("Yth. Bapak/Ibu,\n\npermohonan Saudara telah kami terima.\n", "plain", "utf-8")
    msg["From"] = "Helpdesk LPSE <helpdesk@lpse.example>"
    msg["To"] = "pokja@example.go.id"
    msg["Subject"] = "[HD-2026-00001] Re: Mohon ubah jadwal tender 40000001 yang sangat panjang sekali melebihi batas baris"
    msg["References"] = " ".join(f"<id{i}@example.go.id>" for i in range(8))
    msg["X-Helpdesk-Ticket"] = "HD-2026-00001"
    out = Outgoing(msg, ["pokja@example.go.id"], "ack")
    assert out.as_bytes() == msg.as_bytes()
    assert b"\n References" not in out.as_bytes() and b"References: <id0" in out.as_bytes()
