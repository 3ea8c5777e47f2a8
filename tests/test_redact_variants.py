"""Table of the ways people write a credential in Indonesian and English mail (issue 9).

Each row is (text, secret): the secret must not survive ``redact``; None means the text holds
no credential and must come back unchanged. The spellings are the ones the issue listed plus
their relatives seen in helpdesk mail.
"""

from __future__ import annotations

import time

import pytest

from helpdesk_bot.redact import MASK, has_secret, redact, redact_filename

S = "Xy7#abc9"

MASKED: list[tuple[str, str]] = [
    # the list
    (f"pass: {S}", S), (f"pass={S}", S), (f"pw: {S}", S), (f"psw: {S}", S), (f"password\uff1a{S}", S),
    (f"Password -> {S}", S), (f"password \u2014 {S}", S), (f"Kata Sandi (baru): {S}", S), (f"sandi baru {S}", S),
    (f"kata_sandi: {S}", S), (f"passcode: {S}", S), (f"password:\n{S}", S), (f"Password :\n   {S}\n", S),
    # colons, equals, arrows, dashes
    (f"Password: {S}", S), (f"PASSWORD={S}", S), (f"password = {S}", S), (f"password => {S}", S),
    (f"password \u2192 {S}", S), (f"password \u2013 {S}", S), (f"password - {S}", S), (f"password -- {S}", S),
    (f"password\ufe55 {S}", S), (f"pwd:{S}", S), (f"PWD = {S}", S), (f"passwd: {S}", S), (f"pswd: {S}", S),
    (f"PW={S}", S), (f"Pass : {S}", S), (f"pass word: {S}", S), (f"pass-word: {S}", S), (f"passphrase: {S}", S),
    (f"pass code: {S}", S),
    # common typos (found by the outsider attack)
    (f"Pasword: {S}", S), (f"paswd={S}", S), (f"passowrd: {S}", S),
    # Indonesian labels and qualifiers
    (f"kata sandi: {S}", S), (f"katasandi: {S}", S), (f"Kata-Sandi: {S}", S), (f"KATA SANDI BARU : {S}", S),
    (f"kata sandi saya adalah {S}", S), (f"password saya adalah {S}", S), (f"passwordnya: {S}", S),
    (f"passwordnya {S}", S), (f"Password baru: {S}", S), (f"password lama: {S}", S), (f"password yg baru: {S}", S),
    (f"password akun spse: {S}", S), (f"Password (lama): {S}", S), (f"sandi: {S}", S), (f"Sandi baru: {S}", S),
    (f"sandinya: {S}", S), (f"kode sandi: {S}", S), (f"kata kunci: {S}", S), (f"kode akses: {S}", S),
    (f"password sementara {S}", S), (f"password untuk login yaitu {S}", S), (f"password anda: {S}", S),
    (f"Password Pokja: {S}", S), (f"PIN: 482913", "482913"), (f"PIN 482913", "482913"), (f"OTP: 771234", "771234"),
    # user ids
    ("User ID: pokja01", "pokja01"), ("userid=pokja01", "pokja01"), ("user_id: pokja01", "pokja01"),
    ("Username: pokja.dinkes", "pokja.dinkes"), ("nama pengguna: pokja01", "pokja01"), ("akun: pokja.dinkes", "pokja.dinkes"),
    ("login: pokja01", "pokja01"),
    # English sentences
    (f"my password is {S}", S), (f"The password is: {S}", S), (f"new password: {S}", S), (f"your password = {S}", S),
    (f"password {S} mohon dijaga", S),
    # in the middle of a line, several fields
    (f"User ID: pokja01, Password: {S}", S), (f"userid: pokja01 | pass: {S}", S),
    # letter-spaced labels, and an ordinary word as label before a value with a digit (outsider attack)
    (f"P a s s w o r d: {S}", S), (f"p.a.s.s.w.o.r.d = {S}", S), (f"K a t a  s a n d i : {S}", S),
    ("pass SecretPW1", "SecretPW1"), ("user pokja12 pass Rahasia123", "Rahasia123"), ("otp 482913", "482913"),
    # form tables ("Password | X"), a Pokja's number after the label, zero-width and full-width letters (attack 2)
    ("Password | RahasiaDocx1", "RahasiaDocx1"), ("Kata Sandi Baru | rahasia", "rahasia"),
    ("Kode Tender | 48658064 | Password | Abc12345 | Nama | Budi", "Abc12345"),
    ("Password Pokja 3: RahasiaBody1", "RahasiaBody1"), ("Kata sandi Pokja 5 : RahasiaBody2", "RahasiaBody2"),
    ("Pass\u200bword: Xq7S01", "Xq7S01"), ("\uff30\uff41\uff53\uff53\uff57\uff4f\uff52\uff44: Xq7S02", "Xq7S02"),
]

UNCHANGED: list[str] = [
    "password sudah diganti", "Password sudah diganti, terima kasih.", "passwordnya sudah saya ganti",
    "kata sandi telah diubah", "sandi baru sudah saya terima", "Mohon reset password Administrator Agency",
    "lupa password admin agency", "Pokja diminta segera mengganti password setelah jadwal diubah.",
    "Bapak Sandi Pratama, NIP 196504151987021003", "akun saya terkunci sejak kemarin",
    "Username budi tidak bisa login", "Mohon ubah password 3 kali gagal", "nilai pass ujian sertifikasi",
    "passport dinas terlampir", "bypass prosedur tidak diperbolehkan", "pinjaman alat ukur", "compass: utara",
    "Pin lokasi kantor terlampir", "please reset my password", "the password was changed yesterday",
    "user baru belum terdaftar", "Password:\nMohon dibantu", "kata sandi\nsudah diganti",
    "pass 2 lembar", "user Budi", "login SPSE hari ini gagal", "Mohon reset p a s s w o r d admin",
    "No | Password | Kode Tender | Satuan Kerja", "mx.lpse.jabarprov.go.id: dmarc=none dkim=pass (not aligned) spf=none",
]


@pytest.mark.parametrize("text, secret", MASKED)
def test_secret_is_masked(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out and MASK in out, out
    assert has_secret(text)


@pytest.mark.parametrize("text", UNCHANGED)
def test_no_secret_no_change(text: str) -> None:
    assert redact(text) == text and not has_secret(text)


def test_the_table_is_large_enough() -> None:
    assert len(MASKED) + len(UNCHANGED) >= 60 and len(MASKED) >= 60


@pytest.mark.parametrize("name, expected", [
    ("form password=Rahasia123.pdf", "form password=[disamarkan].pdf"),
    ("password_Rahasia123.pdf", "password [disamarkan].pdf"),
    ("kata_sandi_Xy7#abc.docx", "kata sandi [disamarkan].docx"),
    ("formulir_ubah_jadwal.pdf", "formulir_ubah_jadwal.pdf"),
    ("surat_reset_password.pdf", "surat_reset_password.pdf"),
    ("pw-Rahasia123.pdf", "pw [disamarkan].pdf"),
    ("formulir-ubah-jadwal-2026.pdf", "formulir-ubah-jadwal-2026.pdf"),
    ("password SecretPWggg.txt", "password [disamarkan].txt"),
])
def test_file_names(name: str, expected: str) -> None:
    assert redact_filename(name) == expected


@pytest.mark.parametrize("unit", ["password ", "password: ", "kata sandi (", "pass=", "pin pin ", "sandi baru ",
                                  "password saya yang baru ", "- ", "password\t" * 3 + "x"])
def test_hostile_lines_are_linear(unit: str) -> None:
    """Every regex here is bounded and each line is read once: 4x the input costs about 4x."""
    text = unit * (20_000 // len(unit))
    t0 = time.perf_counter()
    redact(text)
    small = time.perf_counter() - t0
    t0 = time.perf_counter()
    redact(text * 4)
    big = time.perf_counter() - t0
    assert big < max(1.0, small * 12), (small, big)  # about 4x for 4x the input, not 16x
