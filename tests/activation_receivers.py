"""Real receivers on 127.0.0.1 for the activation tests: an HTTP server that records JSON
POSTs, and a minimal SMTP server (socketserver; aiosmtpd is not installed) that records
each message it accepts. Both run in a thread of the test process."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Webhook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append({"headers": dict(self.headers), "json": json.loads(body)})
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):  # quiet
        pass


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self):
        self.reply("220 127.0.0.1 test SMTP ready")
        envelope = {"from": None, "to": []}
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 127.0.0.1")
            elif verb == "MAIL":
                envelope = {"from": command.split(":", 1)[1].strip(), "to": []}
                self.reply("250 OK")
            elif verb == "RCPT":
                envelope["to"].append(command.split(":", 1)[1].strip())
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                mail = message_from_bytes(b"".join(data), policy=policy.default)
                self.server.received.append({"envelope": envelope, "message": mail})
                self.reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def _serving(server) -> Iterator:
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def webhook_receiver(port: int = 0) -> Iterator:
    """`.url`, `.received` (list of {"headers", "json"})."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _Webhook)
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    with _serving(server):
        yield server


@contextmanager
def smtp_receiver(port: int = 0) -> Iterator:
    """`.port`, `.received` (list of {"envelope", "message": EmailMessage})."""
    server = _SmtpServer(("127.0.0.1", port), _Smtp)
    server.port = server.server_address[1]
    with _serving(server):
        yield server


def free_port() -> int:
    """A port nobody listens on (bound, then released): a receiver that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def attachments(mail: EmailMessage) -> dict[str, str]:
    return {
        part.get_filename(): part.get_content()
        for part in mail.iter_attachments()
        if part.get_filename()
    }
