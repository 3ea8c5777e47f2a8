"""Credentials never survive redaction; ordinary sentences keep their words."""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from helpdesk_bot.redact import MASK, is_credential_key, redact, redact_mapping

SECRET_CHARS = string.ascii_letters + string.digits + "!#$%&*+-./<>?@^_~"
secrets = st.text(alphabet=SECRET_CHARS, min_size=6, max_size=24)
labels = st.sampled_from([
    "Password: {}", "password : {}", "PASSWORD={}", "kata sandi : {}", "Kata Sandi: {}",
    "katasandi: {}", "Sandi: {}", "passwd: {}", "pwd={}", "PIN: {}", "User ID: {}", "userid: {}",
    "Username: {}", "nama pengguna: {}", "Akun: {}", "password saya adalah {}", "passwordnya: {}",
    "Password baru: {}", "my password is {}", "kata sandi pokja: {}",
])
TEMPLATE = "Yth. Helpdesk LPSE,\n\nMohon bantuan ubah jadwal tender 48658064.\n{}\nTerima kasih.\n"


@settings(max_examples=300)
@given(secret=secrets, label=labels)
def test_planted_secret_never_survives(secret: str, label: str) -> None:
    text = TEMPLATE.format(label.format(secret))
    assume(secret not in TEMPLATE.format(label.format("")))
    out = redact(text)
    assert secret not in out
    assert MASK in out
    assert "Mohon bantuan ubah jadwal tender 48658064." in out


@settings(max_examples=200)
@given(user=secrets, secret=secrets)
def test_user_and_password_on_one_line(user: str, secret: str) -> None:
    out = redact(f"User ID: {user}, Password: {secret}")
    assert user not in out and secret not in out
    assert out.startswith("User ID: ") and "Password: " in out


@settings(max_examples=200)
@given(text=st.text(max_size=200))
def test_redact_is_total_and_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@pytest.mark.parametrize("text", [
    "Mohon reset password Administrator Agency",
    "Surat permohonan reset password Administrator Agency terlampir.",
    "passwordnya sudah saya ganti",
    "akun saya terkunci sejak kemarin",
    "Bapak Sandi Pratama, NIP 196504151987021003",
    "Mohon ubah password 3 kali gagal",
    "Username budi tidak bisa login",
    "Pokja diminta segera mengganti password setelah jadwal diubah.",
    "Password:\nMohon dibantu",
])
def test_ordinary_text_untouched(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize("text,expected", [
    ("Password: Rahasia123!", "Password: [disamarkan]"),
    ("kata sandi : abc def", "kata sandi : [disamarkan]"),
    ("password saya adalah bandung", "password saya adalah [disamarkan]"),
    ("passwordnya Pokja2026", "passwordnya [disamarkan]"),
    ("password Rahasia123 mohon dijaga", "password [disamarkan] mohon dijaga"),
    ("PIN 123456", "PIN [disamarkan]"),
    ("userid=pokja01", "userid=[disamarkan]"),
    ("akun: pokja.dinkes", "akun: [disamarkan]"),
    ("Password :\nrahasia\nTerima kasih", "Password :\n[disamarkan]\nTerima kasih"),
    ("User ID: pokja01, Password: xyz", "User ID: [disamarkan], Password: [disamarkan]"),
])
def test_values_masked_labels_kept(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_mapping() -> None:
    form = {
        "kode_tender": "48658064",
        "kata_sandi": "Rahasia123",
        "UserId": "pokja01",
        "Password Pokja": "x",
        "nama": "Budi",
        "catatan": "password: abc123",
        "pokja": {"pwd": "secret1", "anggota": ["Siti", "kata sandi: s3cr3t"]},
        "kosong_password": "",
    }
    out = redact_mapping(form)
    assert out["kode_tender"] == "48658064" and out["nama"] == "Budi"
    assert out["kata_sandi"] == out["UserId"] == out["Password Pokja"] == MASK
    assert out["catatan"] == "password: [disamarkan]"
    assert out["pokja"] == {"pwd": MASK, "anggota": ["Siti", "kata sandi: [disamarkan]"]}
    assert out["kosong_password"] == ""
    assert form["kata_sandi"] == "Rahasia123"  # a copy, not in place


@pytest.mark.parametrize("key,expected", [
    ("password", True), ("kata_sandi", True), ("userId", True), ("user_name", True), ("PIN", True),
    ("nama_pengguna", True), ("nama", False), ("kode_tender", False), ("spinning", False), ("pinjaman", False),
])
def test_is_credential_key(key: str, expected: bool) -> None:
    assert is_credential_key(key) is expected
