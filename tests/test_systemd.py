"""The systemd units: exposure rating, the settings the daemon relies on, and the daemon working
under the unit's sandbox.

There is no systemd as PID 1 here, so ``systemd-run`` cannot apply the unit. Instead the sandbox
test rebuilds what the unit's options do with the same kernel mechanisms systemd uses:
a private mount namespace with a read-only root (ProtectSystem=strict) and only the state
directory writable (StateDirectory=), private /tmp and /var/tmp (PrivateTmp=), an empty /root
with only the interpreter visible (ProtectHome=), a non-root user with no capabilities and
no_new_privs (User=, CapabilityBoundingSet=, NoNewPrivileges=), UMask=0077, and seccomp filters
built from the unit's own SystemCallFilter= lines (expanded by ``systemd-analyze
syscall-filter``), MemoryDenyWriteExecute=, RestrictAddressFamilies=, RestrictNamespaces= and
RestrictRealtime=. The daemon then processes mail (text PDF and an OCRed scan) inside it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from docgen import SAMPLE_FIELDS, scanned_pdf, text_pdf
from helpers import drop
from mails import request_mail
from test_cli_ops import ops_config

from helpdesk_bot.config import PROJECT_ROOT, load

UNITS = PROJECT_ROOT / "systemd"
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze missing (apt-get install systemd)")


def exposure(unit: Path) -> float:
    out = subprocess.run([ANALYZE, "security", "--offline=yes", "--no-pager", str(unit)], capture_output=True,
                         text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out.stdout + out.stderr)
    assert m, out.stdout + out.stderr
    return float(m.group(1))


def unit_settings(unit: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            k, v = line.split("=", 1)
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def _bytes(value: str) -> int:
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    return int(value[:-1]) * units[value[-1]] if value[-1] in units else int(value)


@needs_analyze
def test_single_desk_unit_exposure_is_at_most_1_5():
    assert exposure(UNITS / "helpdesk-bot.service") <= 1.5


@needs_analyze
def test_template_unit_exposure_is_at_most_1_5(tmp_path):
    inst = tmp_path / "helpdesk-bot@lpse.service"
    shutil.copy(UNITS / "helpdesk-bot@.service", inst)
    assert exposure(inst) <= 1.5


@pytest.mark.parametrize("name", ["helpdesk-bot.service", "helpdesk-bot@.service"])
def test_units_declare_what_the_daemon_relies_on(name):
    s = unit_settings(UNITS / name)
    assert s["Type"] == ["notify"] and s["NotifyAccess"] == ["main"]
    # daemon.run_forever sends WATCHDOG=1 every 5 s: WatchdogSec must leave room for several misses
    assert int(s["WatchdogSec"][0].rstrip("s")) >= 15
    assert s["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert s["StateDirectory"] and s["ConfigurationDirectory"] and s["UMask"] == ["0077"]
    assert s["LoadCredential"] and all(":" in v for v in s["LoadCredential"])
    assert " run" in s["ExecStart"][0] and "--config" in s["ExecStart"][0]
    # A hostile mail cannot take the host: memory and tasks are capped (issue 10).
    assert _bytes(s["MemoryMax"][0]) <= 4 * 1024**3 and _bytes(s["MemoryHigh"][0]) < _bytes(s["MemoryMax"][0])
    assert s["MemorySwapMax"] == ["0"] and 16 <= int(s["TasksMax"][0]) <= 512
    if "@" in name:
        assert "%i" in s["StateDirectory"][0] and "%i" in s["ConfigurationDirectory"][0] and "%i" in s["ExecStart"][0]


def test_deployment_config_uses_credentials_and_the_state_directory():
    text = (UNITS / "config.toml").read_text()
    assert "${CREDENTIALS_DIRECTORY}/" in text and "/var/lib/helpdesk-bot/" in text


def test_password_file_expands_the_credentials_directory(tmp_path, monkeypatch):
    from helpdesk_bot.config import MailboxConfig

    (tmp_path / "imap-helpdesk.secret").write_text("rahasia\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    mb = MailboxConfig(name="h", password_file="${CREDENTIALS_DIRECTORY}/imap-helpdesk.secret")
    assert mb.secret() == "rahasia"


# ---------------------------------------------------------------------------------------------
# The daemon under the unit's sandbox

LAUNCHER = r'''
import ctypes, errno, json, os, sys
lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
lib.seccomp_init.restype = ctypes.c_void_p
lib.seccomp_init.argtypes = [ctypes.c_uint32]
lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
lib.seccomp_load.argtypes = [ctypes.c_void_p]
lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]

class Cmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("a", ctypes.c_uint64), ("b", ctypes.c_uint64)]

ALLOW, EQ, MASKED_EQ = 0x7FFF0000, 4, 7
def ERRNO(e): return 0x00050000 | e
def nr(name): return lib.seccomp_syscall_resolve_name(name.encode())
def add(f, action, name, *cmps):
    n = nr(name)
    if n < 0:
        return
    arr = (Cmp * len(cmps))(*cmps) if cmps else None
    rc = lib.seccomp_rule_add_array(f, action, n, len(cmps), arr)
    assert rc == 0, (name, rc)

spec = json.loads(os.environ.pop("SANDBOX_SPEC"))
g = lib.seccomp_init(ALLOW)
# MemoryDenyWriteExecute=yes
add(g, ERRNO(errno.EPERM), "mmap", Cmp(2, MASKED_EQ, 6, 6))
add(g, ERRNO(errno.EPERM), "mprotect", Cmp(2, MASKED_EQ, 4, 4))
add(g, ERRNO(errno.EPERM), "pkey_mprotect", Cmp(2, MASKED_EQ, 4, 4))
add(g, ERRNO(errno.EPERM), "shmat", Cmp(2, MASKED_EQ, 0o100000, 0o100000))
# RestrictAddressFamilies=
for fam in range(0, 46):
    if fam not in spec["families"]:
        add(g, ERRNO(errno.EAFNOSUPPORT), "socket", Cmp(0, EQ, fam, 0))
# RestrictNamespaces=yes
for flag in (0x20000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x80):
    add(g, ERRNO(errno.EPERM), "unshare", Cmp(0, MASKED_EQ, flag, flag))
    add(g, ERRNO(errno.EPERM), "clone", Cmp(0, MASKED_EQ, flag, flag))
add(g, ERRNO(errno.EPERM), "setns")
add(g, ERRNO(errno.ENOSYS), "clone3")
# RestrictRealtime=yes
for policy in (1, 2, 6):
    add(g, ERRNO(errno.EPERM), "sched_setscheduler", Cmp(1, EQ, policy, 0))
assert lib.seccomp_load(g) == 0
# SystemCallFilter= (allow list) with SystemCallErrorNumber=EPERM; loaded last, as systemd does,
# because the allow list itself forbids seccomp()
f = lib.seccomp_init(ERRNO(errno.EPERM))
for name in spec["allowed"]:
    add(f, ALLOW, name)
assert lib.seccomp_load(f) == 0
os.umask(0o077)
os.execv(sys.argv[1], sys.argv[1:])
'''

PROBE = r'''
import errno, mmap, os, socket, subprocess
out = {}
try:
    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC); out["wx_mmap"] = "allowed"
except OSError as e:
    out["wx_mmap"] = errno.errorcode[e.errno]
try:
    socket.socket(socket.AF_PACKET, socket.SOCK_RAW); out["af_packet"] = "allowed"
except OSError as e:
    out["af_packet"] = errno.errorcode[e.errno]
try:
    open("/usr/probe", "w"); out["write_usr"] = "allowed"
except OSError as e:
    out["write_usr"] = errno.errorcode[e.errno]
try:
    os.setuid(0); out["setuid"] = "allowed"
except OSError as e:
    out["setuid"] = errno.errorcode[e.errno]
out["unshare"] = subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode
# The worker's address-space cap: @resources denies setrlimit(2); Python's resource.setrlimit goes
# through prlimit64(2), which the unit allows. A worker whose cap silently failed would let one
# PDF take the whole desk's memory.
import sys
cap = subprocess.run([sys.executable, "-c", "from helpdesk_bot.workers import _limit_memory\n_limit_memory(400)\n"
                      "try:\n    b = bytearray(800 * 1024 * 1024)\n    print('allocated')\n"
                      "except MemoryError:\n    print('MemoryError')"], capture_output=True, text=True)
out["rlimit_as"] = cap.stdout.strip() or cap.stderr[-300:]
out["uid"] = os.getuid()
out["umask"] = oct(os.umask(0))
out["home_listing"] = sorted(os.listdir("/root"))
print(json.dumps(out) if False else __import__("json").dumps(out))
'''


def _expand(group: str, seen: set[str] | None = None) -> set[str]:
    seen = seen if seen is not None else set()
    if group in seen:
        return set()
    seen.add(group)
    out = subprocess.run([ANALYZE, "syscall-filter", "--no-pager", group], capture_output=True, text=True, check=True).stdout
    names: set[str] = set()
    for line in out.splitlines()[1:]:
        item = line.strip()
        if not item or item.startswith("#"):
            continue
        names |= _expand(item, seen) if item.startswith("@") else {item}
    return names


def _allowed_syscalls(unit: Path) -> list[str]:
    allowed: set[str] = set()
    for value in unit_settings(unit)["SystemCallFilter"]:
        deny = value.startswith("~")
        items: set[str] = set()
        for item in value.lstrip("~").split():
            items |= _expand(item) if item.startswith("@") else {item}
        allowed = allowed - items if deny else allowed | items
    return sorted(allowed)


def _families(unit: Path) -> list[int]:
    import socket

    return [int(getattr(socket, f)) for f in unit_settings(unit)["RestrictAddressFamilies"][0].split()]


def _sandbox(state: Path, *cmd: str, timeout: float = 240) -> subprocess.CompletedProcess:
    unit = UNITS / "helpdesk-bot.service"
    (state / "launcher.py").write_text(LAUNCHER)
    py = os.path.realpath(sys.executable)
    prefix = Path(sys.base_prefix)  # the interpreter tree, made visible under an empty /root
    shell = (
        'set -e; mount --bind "$STATE" /mnt; mount --bind "$PROJ" /opt; '
        'if [ -d "$PYHOME" ]; then mount --bind "$PYHOME" /srv; mount -t tmpfs -o mode=755 tmpfs /root; '
        'mkdir -p "$PYHOME"; mount --move /srv "$PYHOME"; fi; '
        'mount -t tmpfs -o mode=1777 tmpfs /tmp; mount -t tmpfs -o mode=1777 tmpfs /var/tmp; '
        # The (editable-installed) source tree stays visible even when the clone lives in /tmp.
        'mkdir -p "$PROJ"; mount --move /opt "$PROJ"; '
        'mount -o remount,bind,ro /; '
        'exec setpriv --reuid=65534 --regid=65534 --clear-groups --bounding-set=-all --inh-caps=-all '
        '--no-new-privs -- "$PY" /mnt/launcher.py "$@"'
    )
    pyhome = str(prefix) if str(prefix).startswith("/root/") else ""
    env = dict(os.environ, STATE=str(state), PY=py, PYHOME=pyhome or "/nonexistent", HOME="/mnt",
               PROJ=str(PROJECT_ROOT),
               OMP_THREAD_LIMIT="1",
               SANDBOX_SPEC=json.dumps({"allowed": _allowed_syscalls(unit), "families": _families(unit)}))
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", shell, "sh", py, *cmd],
                          capture_output=True, text=True, env=env, timeout=timeout)


def _can_sandbox() -> str:
    if ANALYZE is None:
        return "systemd-analyze missing"
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("setpriv"):
        return "needs root, unshare and setpriv"
    try:
        import ctypes

        ctypes.CDLL("libseccomp.so.2")
    except OSError:
        return "libseccomp missing"
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    return "" if r.returncode == 0 else "mount namespaces not permitted here"


@pytest.fixture
def state(tmp_path) -> Path:
    why = _can_sandbox()
    if why:
        pytest.skip(why)
    d = tmp_path / "state"
    d.mkdir()
    ops_config(d, extra='\n[logging]\nformat = "json"\n')
    os.chown(d, 65534, 65534)
    return d


def test_sandbox_is_real(state):
    (state / "probe.py").write_text(PROBE)
    r = _sandbox(state, "/mnt/probe.py")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["wx_mmap"] == "EPERM"  # MemoryDenyWriteExecute
    assert got["af_packet"] == "EAFNOSUPPORT"  # RestrictAddressFamilies
    assert got["write_usr"] == "EROFS"  # ProtectSystem=strict
    assert got["setuid"] == "EPERM"  # no capabilities, @privileged denied
    assert got["unshare"] != 0  # RestrictNamespaces
    assert got["uid"] == 65534 and got["umask"] == "0o77"
    assert got["rlimit_as"] == "MemoryError"  # the worker's memory cap works under SystemCallFilter=~@resources
    assert got["home_listing"] == [".pyenv"]  # ProtectHome: only the interpreter is visible


def test_daemon_processes_mail_with_ocr_under_the_units_sandbox(state):
    cfg = load(state / "config.toml")
    drop(cfg, request_mail("Mohon ubah jadwal", attachments=[("f.pdf", text_pdf("FORMULIR PERMINTAAN UBAH JADWAL", SAMPLE_FIELDS))]))
    drop(cfg, request_mail("Uji forensik", attachments=[("scan0001.pdf", scanned_pdf("FORMULIR PERMINTAAN UJI FORENSIK", SAMPLE_FIELDS))]))
    for p in state.rglob("*"):
        os.chown(p, 65534, 65534)
    r = _sandbox(state, "-c", "from helpdesk_bot.cli import main; main()", "--config", "/mnt/config.toml", "run", "--once")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "processed: ticket: 2" in r.stderr and "sent: 2" in r.stderr, r.stderr[-3000:]
    created = [json.loads(ln) for ln in r.stderr.splitlines() if '"ticket_created"' in ln]
    assert sorted(e["request_type"] for e in created) == ["ubah_jadwal", "uji_forensik"]  # the scan was OCRed
    db = state / "var" / "helpdesk.db"
    assert db.stat().st_uid == 65534 and (db.stat().st_mode & 0o077) == 0  # UMask=0077
    # rules check and doctor work in the same sandbox
    r = _sandbox(state, "-c", "from helpdesk_bot.cli import main; main()", "--config", "/mnt/config.toml", "doctor")
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]
    assert "OK   tesseract" in r.stdout


def test_logs_are_json_for_the_journal_and_readable_on_a_terminal():
    import io

    import structlog

    from helpdesk_bot.logs import configure

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    journal, tty = io.StringIO(), Tty()
    try:
        configure("info", "auto", stream=journal)
        structlog.get_logger("t").info("ticket_created", ticket="HD-2026-00042")
        configure("info", "auto", stream=tty)
        structlog.get_logger("t").info("ticket_created", ticket="HD-2026-00042")
    finally:
        configure("info", "auto")
    line = json.loads(journal.getvalue())
    assert line["event"] == "ticket_created" and line["ticket"] == "HD-2026-00042" and line["level"] == "info"
    assert "ticket_created" in tty.getvalue() and "ticket=HD-2026-00042" in tty.getvalue()
    assert not tty.getvalue().lstrip().startswith("{")
