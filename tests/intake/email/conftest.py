"""Real servers for the e-mail channel: Debian's dovecot (IMAP) and aiosmtpd (SMTP) on 127.0.0.1.

dovecot is installed by scripts/ensure-test-services.sh (run by `make install-dev`); without it the
real-IMAP tests are skipped with that reason. Each test gets a fresh IMAP folder of one session-wide
dovecot instance, a Mailbox row pointing at it, and a helper to APPEND messages to it.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from imapclient import IMAPClient
from pytest_django import Settings

from caseloop.intake.models import Mailbox

IMAP_USER, IMAP_PASSWORD = "support", "imap-test-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if Path(p).exists()), None)


@dataclass
class Dovecot:
    port: int
    log: Path

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(IMAP_USER, IMAP_PASSWORD)
        return client


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    binary = _dovecot_binary()
    if binary is None:
        pytest.skip("dovecot is not installed: run scripts/ensure-test-services.sh (Debian's dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="cl-dovecot-"))  # short: dovecot's sockets live under it
    root.chmod(0o755)
    mail = root / "mail"
    mail.mkdir()
    if os.geteuid() == 0:
        # dovecot refuses to access mail as root; the unprivileged `nobody` owns the test mail.
        mail_user = pwd.getpwnam("nobody")
        os.chown(mail, mail_user.pw_uid, mail_user.pw_gid)
        service_users = "default_login_user = dovenull\ndefault_internal_user = dovecot\n"
    else:
        mail_user = pwd.getpwuid(os.getuid())
        service_users = f"default_login_user = {mail_user.pw_name}\ndefault_internal_user = {mail_user.pw_name}\n"
    (root / "passwd").write_text(
        f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}:{mail_user.pw_uid}:{mail_user.pw_gid}::{mail}/{IMAP_USER}\n")
    port = free_port()
    (root / "dovecot.conf").write_text(f"""\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = caseloop-test-{port}
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{mail}/%u
mail_fsync = never
{service_users}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""")
    for folder in ("run", "state"):
        (root / folder).mkdir()
    process = subprocess.Popen([binary, "-F", "-c", str(root / "dovecot.conf")],  # noqa: S603
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    server = Dovecot(port=port, log=root / "dovecot.log")
    try:
        _wait_until_listening(port, process, server.log)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            pytest.fail(f"dovecot exited at start: {output}\n{log.read_text() if log.exists() else ''}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    pytest.fail(f"dovecot did not listen on 127.0.0.1:{port}")


@dataclass
class ImapFolder:
    """A fresh folder of the test dovecot and the Mailbox that reads it."""

    server: Dovecot
    name: str
    mailbox: Mailbox

    def append(self, *messages: bytes) -> None:
        client = self.server.client()
        try:
            for raw in messages:
                client.append(self.name, raw)
        finally:
            client.logout()


@pytest.fixture
def imap_folder(dovecot: Dovecot, db: None) -> ImapFolder:
    name = f"t{uuid.uuid4().hex[:12]}"
    client = dovecot.client()
    try:
        client.create_folder(name)
    finally:
        client.logout()
    mailbox = Mailbox.objects.create(
        name="support", address="support@caseloop.test", imap_host="127.0.0.1", imap_port=dovecot.port,
        imap_security="none", username=IMAP_USER, password=IMAP_PASSWORD, folder=name)
    return ImapFolder(server=dovecot, name=name, mailbox=mailbox)


# --- A line that breaks: forwards to dovecot, then drops the connection mid-fetch ------------------


class DroppingProxy:
    """TCP proxy to `port` that cuts both sides the moment the server starts sending the message
    body number `drop_at_body` (1-based) of a connection; `drop_at_body=None` never cuts."""

    def __init__(self, port: int, *, drop_at_body: int | None) -> None:
        self.upstream_port = port
        self.drop_at_body = drop_at_body
        self.drops = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump, args=(downstream, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, downstream, True), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, from_server: bool) -> None:
        bodies, tail = 0, b""
        try:
            while data := source.recv(65536):
                if from_server and self.drop_at_body is not None:
                    bodies += (tail + data).count(b"BODY[] {") - tail.count(b"BODY[] {")
                    tail = data[-16:]
                    if bodies >= self.drop_at_body:
                        self.drops += 1
                        break
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@pytest.fixture
def dropping_proxy(dovecot: Dovecot) -> Iterator[DroppingProxy]:
    proxy = DroppingProxy(dovecot.port, drop_at_body=2)
    yield proxy
    proxy.close()


# --- SMTP ------------------------------------------------------------------------------------------


@dataclass
class Mailroom:
    """What the SMTP server on 127.0.0.1 received."""

    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook name
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


@pytest.fixture
def smtp_server(settings: Settings) -> Iterator[Mailroom]:
    mailroom = Mailroom()
    port = free_port()
    controller = Controller(mailroom, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        yield mailroom
    finally:
        controller.stop()
